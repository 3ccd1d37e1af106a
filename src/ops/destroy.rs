//! Destroy: what of the stack there is to remove, then its removal in reverse order, with
//! the account of what is left when a step fails. A cluster the user brought is kept.

use crate::aws::{AwsError, DestroyOutcome};
use crate::stack::plan::Resource;
use crate::stack::{ClusterChoice, StackSpec};

use super::connect::StackContext;
use super::exists::{self, WhatExists};
use super::progress::Progress;

/// What a destroy would find.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Whether anything the stack made is there to remove.
    pub anything: bool,
    pub existing: WhatExists,
    /// A cluster the user brought, which is kept.
    pub kept_cluster: Option<String>,
}

/// Reads nothing new: judges the context's observed state.
pub fn survey(ctx: &StackContext, spec: &StackSpec, force_delete_secret: bool) -> Survey {
    let observed = &ctx.observed;
    let owned_cluster = matches!(spec.cluster, ClusterChoice::Owned(_))
        && observed
            .cluster
            .as_ref()
            .is_some_and(|c| c.owned && c.active);
    let anything = observed
        .secret
        .as_ref()
        .is_some_and(|s| !s.pending_deletion || force_delete_secret)
        || observed.execution_role.is_some()
        || observed.task_role.is_some()
        || observed.log_group.is_some()
        || owned_cluster
        || observed.security_group.is_some()
        || observed.task_definition.is_some()
        || observed
            .service
            .as_ref()
            .is_some_and(|s| s.status != "INACTIVE")
        || observed.network.as_ref().is_some_and(|n| !n.is_empty());
    Survey {
        anything,
        existing: exists::account(spec, observed),
        kept_cluster: match &spec.cluster {
            ClusterChoice::Existing(name) => Some(name.clone()),
            ClusterChoice::Owned(_) => None,
        },
    }
}

/// Some steps failed; `existing` is what is left, read back after them.
#[derive(Debug, thiserror::Error)]
#[error("{} step(s) of the destroy failed", failures.len())]
pub struct DestroyError {
    pub failures: Vec<(Resource, AwsError)>,
    pub existing: WhatExists,
}

/// Removes everything the stack made.
pub async fn destroy(
    ctx: &StackContext,
    spec: &StackSpec,
    force_delete_secret: bool,
    progress: &Progress,
) -> Result<DestroyOutcome, DestroyError> {
    // The verify deployment first, while the stack's credential still reads the API; a
    // Prefect that cannot be reached does not stop the destroy, and is said.
    let prefect_side = super::verify::remove_deployment(&ctx.prefect, spec).await;
    let mut result = ctx
        .aws
        .destroy(spec, &ctx.observed, force_delete_secret, progress)
        .await;
    // The stack's own network last, once nothing of the stack is left in it.
    if let (Ok(_), Some(net)) = (&result, &ctx.observed.network)
        && let Err(failure) = Box::pin(ctx.aws.destroy_network(spec, net, progress)).await
    {
        result = Err(vec![failure]);
    }
    match result {
        Ok(mut outcome) => {
            match prefect_side {
                Ok(removed) => outcome.removed_in_prefect = removed,
                Err(e) => outcome.kept.push(format!(
                    "the deployment {} in Prefect, if it exists (the Prefect API said: {e}); \
                     delete it there",
                    super::verify::full_name(spec)
                )),
            }
            Ok(outcome)
        }
        Err(failures) => Err(DestroyError {
            failures,
            existing: exists::read(&ctx.aws, spec, &ctx.identity).await,
        }),
    }
}
