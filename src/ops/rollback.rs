//! Rolling back: the service goes back to an earlier task-definition revision of the
//! stack (the one before the live one, or a named one), rolled out as a new deployment;
//! done when it completed and its workers are online. The caller writes the revision's
//! image, cpu and memory into the profile, so the next `deploy` keeps it.
//!
//! Run again after an interruption it converges: once the service runs an earlier
//! revision that the profile already renders, it is not rolled back further (pass `--to`
//! for that); the rollout and the workers are waited for again.

use std::time::Duration;

use serde::Serialize;

use crate::aws::revisions::Revision;
use crate::aws::{AwsContext, AwsSettings};
use crate::prefect::PrefectClient;
use crate::stack::StackSpec;
use crate::stack::plan::{Action, Resource};

use super::OpsError;
use super::history::{HISTORY_LIMIT, changes};
use super::progress::Progress;
use super::rollout::{self, RolloutEnd};

/// A rollback read and planned: nothing written yet.
#[derive(Debug, Clone)]
pub struct RollbackPlan {
    pub aws: AwsContext,
    pub prefect: PrefectClient,
    pub live: Revision,
    pub target: Revision,
    /// `field: live's -> target's`.
    pub diff: Vec<String>,
    /// The service already runs the target (an earlier rollback that was interrupted).
    pub already_live: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub from: i32,
    pub to: i32,
    pub rollout: RolloutEnd,
    pub workers: Vec<String>,
}

/// Picks the revision to go back to. No write.
pub async fn prepare(
    settings: &AwsSettings,
    spec: &StackSpec,
    to: Option<i32>,
) -> Result<RollbackPlan, OpsError> {
    let prepared = Box::pin(super::deploy::prepare(settings, spec, None, false)).await?;
    let stack = &spec.names.stack;
    let Some(service) = &prepared.observed.service else {
        return Err(OpsError::BadInput {
            message: format!("stack {stack} is not deployed, so there is nothing to roll back"),
            hint: format!("Run `prefect-tui deploy --profile {stack}` first."),
        });
    };
    let aws = prepared.aws.clone();
    let revisions = aws
        .revisions(&spec.names.task_family(), HISTORY_LIMIT)
        .await?;
    let live = revisions
        .iter()
        .find(|r| r.arn == service.task_definition_arn)
        .cloned()
        .ok_or_else(|| OpsError::BadInput {
            message: format!(
                "the service runs {}, which is not one of the stack's last {HISTORY_LIMIT} revisions",
                service.task_definition_arn
            ),
            hint: format!("Run `prefect-tui history --profile {stack}` and pass --to."),
        })?;
    let listed = || {
        revisions
            .iter()
            .map(|r| r.revision.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let newest = revisions.first().map_or(live.revision, |r| r.revision);
    // The profile renders what runs, and what runs is not the newest revision: rolled
    // back already.
    let rolled_back_already =
        prepared.plan.action(Resource::TaskDefinition) == Action::Noop && live.revision < newest;
    let target = match to {
        Some(n) => revisions
            .iter()
            .find(|r| r.revision == n)
            .cloned()
            .ok_or_else(|| OpsError::BadInput {
                message: format!("revision {n} is not one of the stack's revisions ({})", listed()),
                hint: format!("Run `prefect-tui history --profile {stack}` to see them."),
            })?,
        None if rolled_back_already => live.clone(),
        // The newest earlier one, passing over those ECS rolled back.
        None => revisions
            .iter()
            .find(|r| r.revision < live.revision && !r.failed_rollout)
            .cloned()
            .ok_or_else(|| OpsError::BadInput {
                message: format!(
                    "revision {} is the stack's first that served, so there is no earlier one to go back to",
                    live.revision
                ),
                hint: "Deploy the change you want instead.".to_owned(),
            })?,
    };
    if to.is_some() && target.arn == live.arn && !rolled_back_already {
        return Err(OpsError::BadInput {
            message: format!("the service already runs revision {}", live.revision),
            hint: format!("Run `prefect-tui history --profile {stack}` and pick another."),
        });
    }
    Ok(RollbackPlan {
        diff: changes(&live, &target),
        already_live: target.arn == live.arn,
        prefect: prepared.prefect,
        aws,
        live,
        target,
    })
}

/// The profile's `[worker]` values that render the target revision.
pub fn profile_fields(target: &Revision) -> Vec<(&'static str, toml_edit::Value)> {
    let mut fields = Vec::new();
    if let Some(image) = target.image() {
        fields.push(("image", toml_edit::Value::from(image)));
    }
    for (key, value) in [("cpu", target.cpu()), ("memory", target.memory())] {
        if let Some(n) = value.and_then(|v| v.parse::<i64>().ok()) {
            fields.push((key, toml_edit::Value::from(n)));
        }
    }
    fields
}

/// Points the service at the target and waits for the rollout and its workers.
pub async fn rollback(
    plan: &RollbackPlan,
    spec: &StackSpec,
    timeout: Duration,
    progress: &Progress,
) -> Result<RollbackReport, OpsError> {
    let known = rollout::known_workers(&plan.prefect, spec).await?;
    if !plan.already_live {
        rollout::settle_first(&plan.aws, spec, timeout, progress).await?;
        plan.aws.point_service(spec, &plan.target.arn).await?;
    }
    let (end, workers) =
        rollout::follow_change(&plan.aws, &plan.prefect, spec, &known, timeout, progress).await?;
    Ok(RollbackReport {
        from: plan.live.revision,
        to: plan.target.revision,
        rollout: end,
        workers,
    })
}
