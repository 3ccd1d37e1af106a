//! Apply: runs a `Plan` as a dependency graph. The secret, both roles, the log group, the
//! cluster, the security group and the event observer (its queues, then its rule) go
//! concurrently; the execution role's secret policy
//! follows the secret; the task definition waits for all of them; the service waits for
//! the task definition. Every step reports `ProgressEvent`s. Steps that are `noop` make no
//! call at all, which is what makes a repeated deploy free of writes.
//!
//! A failure stops what depends on it, lets independent steps finish, and returns every
//! failure; everything is found again by name on the next run, so running deploy again
//! resumes where this one stopped.
//!
//! One file per resource family: `secret`, `roles`, `logs`, `cluster`, `network` (the
//! security group), `observer` (queues and rule) and `ecs` (task definition and service);
//! this file holds the graph.

mod alerting;
mod cluster;
mod ecs;
mod logs;
mod network;
mod observer;
mod roles;
mod scaling;
mod secret;

pub(crate) use network::egress_rules;

use std::time::Duration;

use serde_json::{Value, json};

use super::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit};
use crate::secret::SecretValue;
use crate::stack::desired::desired;
use crate::stack::names::{MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG};
use crate::stack::observed::*;
use crate::stack::plan::{Action, Plan, Resource};
use crate::stack::{RenderError, StackSpec};

#[derive(Debug, Clone, Default)]
pub struct ApplyOutcome {
    pub task_definition_arn: Option<String>,
    pub service_arn: Option<String>,
    /// When the apply started: the online gate only counts workers heard from after it.
    pub started_at: Option<std::time::SystemTime>,
    /// What exists now, as far as the apply knows (new ARNs and ids included).
    pub observed: Observed,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{} step(s) failed", failures.len())]
    Failed { failures: Vec<(Resource, AwsError)> },
    #[error("the API key is needed to create the secret {secret}")]
    KeyRequired { secret: String },
    #[error(transparent)]
    Render(#[from] RenderError),
}

pub(super) fn stack_tags(stack: &str) -> [(&'static str, String); 2] {
    [
        (STACK_TAG, stack.to_owned()),
        (MANAGED_BY_TAG, MANAGED_BY_VALUE.to_owned()),
    ]
}

/// Whether ECS refused a role because IAM has not propagated it yet.
fn role_not_ready(e: &AwsError) -> bool {
    match e {
        AwsError::Call {
            kind,
            code,
            message,
            ..
        } => {
            let text = message.as_deref().unwrap_or_default().to_ascii_lowercase();
            (matches!(kind, ErrorKind::Invalid) || code.as_deref() == Some("ClientException"))
                && (text.contains("role") || text.contains("assume"))
        }
        _ => false,
    }
}

/// Retries an ECS call refused for a just-made role, with bounded backoff (about a minute
/// in all), saying so in the progress.
async fn retry_for_iam<T, F, Fut>(
    progress: &Progress,
    resource: Resource,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    const ATTEMPTS: u32 = 8;
    let mut delay = Duration::from_secs(2);
    for attempt in 1..=ATTEMPTS {
        match call().await {
            Err(e) if attempt < ATTEMPTS && role_not_ready(&e) => {
                emit(
                    progress,
                    ProgressEvent::Note {
                        resource,
                        message: format!(
                            "ECS does not accept the new IAM role yet (IAM changes take a while to \
                         reach every service); retrying in {}s, attempt {attempt} of {ATTEMPTS}",
                            delay.as_secs()
                        ),
                    },
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            other => return other,
        }
    }
    unreachable!("the last attempt returns")
}

impl AwsContext {
    /// Makes the stack match the plan. `observed` is what the plan was made from.
    pub async fn apply(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        assign_public_ip: bool,
        key: Option<&SecretValue>,
        progress: &Progress,
    ) -> Result<ApplyOutcome, ApplyError> {
        let started_at = std::time::SystemTime::now();
        let stack = spec.names.stack.as_str();
        if plan.action(Resource::Secret) == Action::Create && key.is_none() {
            return Err(ApplyError::KeyRequired {
                secret: spec.secret_name.clone().unwrap_or_default(),
            });
        }
        let first = desired(spec, observed, assign_public_ip)?;
        let trust = crate::stack::policies::ecs_tasks_trust(&observed.account_id);

        // Phase 1: everything that depends on nothing.
        let (secret, exec_role, task_role, log_group, cluster, security_group, events) = tokio::join!(
            self.apply_secret(spec, observed, plan, key, progress),
            self.apply_role_base(
                spec.names.execution_role(),
                Resource::ExecutionRole,
                observed.execution_role.as_ref(),
                plan,
                Some(&observed.partition),
                &trust,
                stack,
                progress,
            ),
            self.apply_task_role(spec, observed, plan, &first.worker_inline, progress),
            self.apply_log_group(spec, observed, plan, progress),
            self.apply_cluster(spec, observed, plan, progress),
            self.apply_security_group(spec, observed, plan, progress),
            self.apply_observer(spec, observed, plan, &first, progress),
        );
        let mut failures = Vec::new();
        let mut now = observed.clone();
        match secret {
            Ok(Some(arn)) => {
                now.secret = Some(ObservedSecret {
                    arn,
                    owned: true,
                    pending_deletion: false,
                    key: KeyComparison::Same,
                    changed_at: None,
                })
            }
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
        if let Err(f) = exec_role {
            failures.push(f);
        }
        if let Err(f) = task_role {
            failures.push(f);
        }
        if let Err(f) = log_group {
            failures.push(f);
        }
        if let Err(f) = cluster {
            failures.push(f);
        }
        if let Err(f) = events {
            failures.push(f);
        }
        match security_group {
            Ok(Some(id)) => {
                now.security_group = Some(ObservedSecurityGroup {
                    id,
                    vpc_id: spec.vpc_id.clone(),
                    owned: true,
                    egress: crate::stack::egress::wanted(spec)
                        .into_iter()
                        .map(|(r, _)| r)
                        .collect(),
                })
            }
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
        let failed = |r: Resource| failures.iter().any(|(f, _)| *f == r);

        // Phase 1b: the execution role may read the secret, now that it has an ARN.
        let wanted = desired(spec, &now, assign_public_ip)?;
        if !failed(Resource::Secret) && !failed(Resource::ExecutionRole) {
            if let Err(f) = self
                .apply_execution_inline(spec, observed, wanted.execution_inline.as_ref(), progress)
                .await
            {
                failures.push(f);
            }
        }
        if !failures.is_empty() {
            self.skip_rest(progress, &[Resource::TaskDefinition, Resource::Service]);
            return Err(ApplyError::Failed { failures });
        }

        // Phase 2: the task definition, with real ARNs.
        let td_arn = self
            .apply_task_definition(spec, observed, plan, &wanted, progress)
            .await
            .map_err(|f| {
                self.skip_rest(progress, &[Resource::Service]);
                ApplyError::Failed { failures: vec![f] }
            })?;

        // Phase 3: the service.
        let service_arn = self
            .apply_service(spec, observed, plan, &wanted, &td_arn, progress)
            .await
            .map_err(|f| ApplyError::Failed { failures: vec![f] })?;

        // Phase 4: alerting and scaling, which name the service, the cluster and the logs.
        Box::pin(self.apply_alerting(spec, observed, plan, &wanted, progress))
            .await
            .map_err(|f| ApplyError::Failed { failures: vec![f] })?;

        Ok(ApplyOutcome {
            task_definition_arn: Some(td_arn),
            service_arn,
            started_at: Some(started_at),
            observed: now,
        })
    }

    fn skip_rest(&self, progress: &Progress, resources: &[Resource]) {
        for resource in resources {
            emit(
                progress,
                ProgressEvent::Skipped {
                    resource: *resource,
                    reason: "waits for the failed steps above".to_owned(),
                },
            );
        }
    }
}

/// Progress detail for a resource a create found already there and carrying the stack's tag.
const ADOPTED: &str = "found already made (by an interrupted run, or a retried call whose \
                       answer was lost); taken over";

/// A create refused because the resource exists is not a failure when the resource carries
/// this stack's tag: a run killed after its request reached AWS, or a call retried after
/// its answer was lost on the way, made it. It is taken over and brought to the desired
/// state; anything without the tag stays the refusal it was (never touch what is not ours).
fn tagged_for<'a>(
    stack: &str,
    mut tags: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> bool {
    tags.any(|(k, v)| k == Some(STACK_TAG) && v == Some(stack))
}

fn push_tag(doc: &mut Value, key: &str, value: &str) {
    let tag = json!({ "key": key, "value": value });
    match doc.get_mut("tags").and_then(Value::as_array_mut) {
        Some(tags) => tags.push(tag),
        None => doc["tags"] = json!([tag]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(kind: ErrorKind, code: &str, message: &str) -> AwsError {
        AwsError::Call {
            action: "ecs:CreateService",
            kind,
            code: Some(code.to_owned()),
            message: Some(message.to_owned()),
        }
    }

    #[test]
    fn a_role_ecs_cannot_assume_yet_is_retried_and_other_refusals_are_not() {
        // ECS's words for a role IAM has not propagated (RegisterTaskDefinition,
        // CreateService): retried.
        assert!(role_not_ready(&refused(
            ErrorKind::Invalid,
            "ClientException",
            "Role is not valid"
        )));
        assert!(role_not_ready(&refused(
            ErrorKind::Invalid,
            "InvalidParameterException",
            "Unable to assume the service linked role. Please verify that the ECS service \
             linked role exists."
        )));
        // Anything else is the user's to fix: not retried.
        assert!(!role_not_ready(&refused(
            ErrorKind::Invalid,
            "InvalidParameterException",
            "Invalid subnet"
        )));
        assert!(!role_not_ready(&refused(
            ErrorKind::AccessDenied,
            "AccessDeniedException",
            "not authorized to perform: iam:PassRole on role"
        )));
    }
}
