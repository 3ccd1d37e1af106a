//! Rotating the Prefect credential: the new key is checked against Prefect first (a
//! refused key writes nothing), stored as a new version of the stack's secret, and a new
//! deployment makes the tasks read it. Done when that deployment completed (the old tasks
//! stopped) and as many workers Prefect had not seen before are online: the only tasks
//! that can start one now hold the new key.
//!
//! Run again after an interruption it converges: a key already stored plans no secret
//! write, and the service's deployment is forced again only while the tasks' workers are
//! not the new ones.

use std::time::Duration;

use crate::aws::AwsSettings;
use crate::prefect::{PrefectAuth, PrefectClient};
use crate::profile::Credential;
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::plan::{Action, Resource};

use super::OpsError;
use super::deploy::{self, DeployOptions, Prepared};
use super::progress::Progress;
use super::rollout::{self, RolloutEnd};

/// A rotation read and planned: nothing written yet.
#[derive(Debug, Clone)]
pub struct RotationPlan {
    pub prepared: Prepared,
    /// The secret already holds this key (an earlier rotation stopped after writing it):
    /// only the tasks are replaced.
    pub already_stored: bool,
    /// The secret holds the key and every running task started after it was stored: the
    /// rotation is done already (run again after it finished).
    pub done_already: bool,
}

/// What a rotation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RotationReport {
    pub secret: String,
    pub rollout: RolloutEnd,
    /// The new tasks' workers, online with the new key.
    pub workers: Vec<String>,
}

/// Refuses a profile whose worker has no credential: there is nothing to rotate.
pub fn check_rotatable(spec: &StackSpec) -> Result<(), OpsError> {
    if spec.credential == Credential::None {
        return Err(OpsError::BadInput {
            message: format!(
                "profile {} gives the worker no Prefect credential, so there is none to rotate",
                spec.names.stack
            ),
            hint:
                "Set `credential` under [prefect] in the profile and deploy, if the API needs one."
                    .to_owned(),
        });
    }
    Ok(())
}

/// Checks the new key against Prefect, then reads and plans. No write.
pub async fn prepare(
    settings: &AwsSettings,
    spec: &StackSpec,
    key: &SecretValue,
) -> Result<RotationPlan, OpsError> {
    check_rotatable(spec)?;
    let auth = match spec.credential {
        Credential::AuthString => PrefectAuth::AuthString(key.clone()),
        _ => PrefectAuth::ApiKey(key.clone()),
    };
    // First: a key Prefect refuses must not reach the secret.
    PrefectClient::new(&spec.prefect.api_url(), auth)?
        .check()
        .await?;
    let prepared = Box::pin(deploy::prepare(settings, spec, Some(key), false)).await?;
    let stack = &spec.names.stack;
    let secret_is_ours = prepared
        .observed
        .secret
        .as_ref()
        .is_some_and(|s| s.owned && !s.pending_deletion);
    if !secret_is_ours || prepared.observed.service.is_none() {
        return Err(OpsError::BadInput {
            message: format!("stack {stack} is not deployed, so there is no key to rotate"),
            hint: format!("Run `prefect-tui deploy --profile {stack}` with the new key instead."),
        });
    }
    // Anything but the secret and the service's new deployment is drift or a profile
    // edit: a rotation must not carry it out unseen.
    let other: Vec<String> = prepared
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Noop)
        .filter(|c| !matches!(c.resource, Resource::Secret | Resource::Service))
        .map(|c| format!("{} {}", c.resource.label(), c.name))
        .chain(
            prepared
                .plan
                .change(Resource::Service)
                .into_iter()
                .flat_map(|c| c.fields.iter())
                .filter(|f| !f.starts_with("new deployment"))
                .map(|f| format!("service: {f}")),
        )
        .collect();
    if !other.is_empty() {
        return Err(OpsError::BadInput {
            message: format!(
                "stack {stack} differs from its profile in more than the key: {}",
                other.join("; ")
            ),
            hint: format!(
                "Run `prefect-tui plan --profile {stack}` and `deploy` first, then rotate the key."
            ),
        });
    }
    let already_stored = prepared.plan.action(Resource::Secret) == Action::Noop;
    let done_already = already_stored && tasks_started_after_the_key(&prepared).await?;
    Ok(RotationPlan {
        prepared,
        already_stored,
        done_already,
    })
}

/// Whether every running task started after the secret last changed (so read it).
async fn tasks_started_after_the_key(prepared: &Prepared) -> Result<bool, OpsError> {
    let Some(changed) = prepared.observed.secret.as_ref().and_then(|s| s.changed_at) else {
        return Ok(false);
    };
    let tasks = prepared.aws.task_statuses(&prepared.spec, 0).await?;
    let running: Vec<_> = tasks
        .iter()
        .filter(|t| t.last_status != "STOPPED")
        .collect();
    Ok(!running.is_empty()
        && running.iter().all(|t| {
            t.started_at
                .as_deref()
                .and_then(crate::prefect::timestamp_secs)
                .is_some_and(|started| started >= changed)
        }))
}

/// Writes the new version, forces the new deployment and waits for it and its workers.
pub async fn rotate(
    plan: &RotationPlan,
    spec: &StackSpec,
    key: &SecretValue,
    timeout: Duration,
    progress: &Progress,
) -> Result<RotationReport, OpsError> {
    let prepared = &plan.prepared;
    let known = rollout::known_workers(&prepared.prefect, spec).await?;
    rollout::settle_first(&prepared.aws, &prepared.spec, timeout, progress).await?;
    if plan.already_stored {
        prepared.aws.force_new_deployment(&prepared.spec).await?;
    } else {
        let options = DeployOptions {
            key: Some(key),
            overwrite_pool_defaults: false,
            gate_timeout: None,
        };
        Box::pin(deploy::deploy(prepared, spec, options, progress))
            .await
            .map_err(|e| OpsError::BadInput {
                message: e.to_string(),
                hint: "Run the same rotate-key again: it picks up where this one stopped."
                    .to_owned(),
            })?;
    }
    let (end, workers) = rollout::follow_change(
        &prepared.aws,
        &prepared.prefect,
        &prepared.spec,
        &known,
        timeout,
        progress,
    )
    .await?;
    Ok(RotationReport {
        secret: spec.secret_name.clone().unwrap_or_default(),
        rollout: end,
        workers,
    })
}
