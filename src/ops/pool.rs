//! The Prefect work pool: read into the observed state, then created or given the stack's
//! defaults once AWS has made what they name.

use crate::prefect::{PrefectClient, PrefectError};
use crate::stack::StackSpec;
use crate::stack::desired::desired;
use crate::stack::observed::{Observed, ObservedPool};
use crate::stack::plan::{Action, Resource};
use crate::stack::pool::{PoolField, merge_defaults};

use super::OpsError;
use super::connect::CredentialSource;
use super::progress::{self, Progress, ProgressEvent, emit};

/// Reads the work pool into `observed`. An API that cannot be reached from here is a note
/// (a self-hosted server may be reachable only from inside the VPC); a refused credential
/// is an error, because the worker would be refused too, unless no credential was there to
/// send, which is said as that.
pub async fn observe_pool(
    client: &PrefectClient,
    spec: &StackSpec,
    credential: CredentialSource,
    observed: &mut Observed,
) -> Result<(), OpsError> {
    match client.work_pool(&spec.work_pool).await {
        Ok(Some(pool)) => {
            observed.work_pool = Some(ObservedPool::Present {
                pool_type: pool.pool_type,
                template: pool.base_job_template,
            })
        }
        Ok(None) => observed.work_pool = Some(ObservedPool::Missing),
        Err(e @ PrefectError::Unreachable { .. }) => observed.work_pool_note = Some(e.to_string()),
        Err(PrefectError::Rejected { url }) => return Err(no_credential(spec, credential, url)),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// A 401 named by its cause: a key that was refused, or no key at all.
fn no_credential(spec: &StackSpec, credential: CredentialSource, url: String) -> OpsError {
    let var = spec.credential.env_name().unwrap_or("PREFECT_API_KEY");
    let secret = spec.secret_name.as_deref().unwrap_or_default();
    match credential {
        CredentialSource::SecretPendingDeletion => OpsError::BadInput {
            message: format!(
                "No API key was given, and the stack's secret {secret} is scheduled for deletion \
                 (the stack was destroyed), so the Prefect API at {url} could not be asked about \
                 the work pool."
            ),
            hint: format!(
                "Set {var} (or pipe it with --api-key-stdin): the deploy restores the secret with it."
            ),
        },
        CredentialSource::SecretMissing => OpsError::BadInput {
            message: format!(
                "No API key was given, and the stack's secret {secret} does not exist, so the \
                 Prefect API at {url} could not be asked about the work pool."
            ),
            hint: format!(
                "Set {var}, or pipe the key in with --api-key-stdin. It is stored only in Secrets Manager."
            ),
        },
        _ => OpsError::Prefect(PrefectError::Rejected { url }),
    }
}

/// Creates the work pool if needed and fills its defaults from what now exists.
pub async fn configure_pool(
    client: &PrefectClient,
    spec: &StackSpec,
    now: &Observed,
    assign_public_ip: bool,
    overwrite: bool,
    progress: &Progress,
) -> Result<(), OpsError> {
    let resource = Resource::WorkPool;
    let wanted = desired(spec, now, assign_public_ip)?.pool_defaults;
    let (template, exists) = match &now.work_pool {
        Some(ObservedPool::Present { template, .. }) => (template.clone(), true),
        Some(ObservedPool::Missing) => (client.default_ecs_template().await?, false),
        None => return Ok(()),
    };
    let (merged, fields) = merge_defaults(&template, &wanted, overwrite);
    if exists && !fields.iter().any(PoolField::changes_something) {
        emit(
            progress,
            ProgressEvent::Unchanged {
                resource,
                name: spec.work_pool.clone(),
            },
        );
        return Ok(());
    }
    let action = if exists {
        Action::Update
    } else {
        Action::Create
    };
    let set: Vec<&str> = fields
        .iter()
        .filter(|f| f.changes_something())
        .map(PoolField::name)
        .collect();
    progress::step(progress, resource, action, &spec.work_pool, async {
        if exists {
            client
                .update_work_pool_template(&spec.work_pool, &merged)
                .await?;
        } else {
            client.create_work_pool(&spec.work_pool, &merged).await?;
        }
        Ok::<_, PrefectError>(((), Some(format!("defaults: {}", set.join(", ")))))
    })
    .await
    .map_err(|(_, e)| e.into())
}
