//! Destroy: removes what the stack made, in reverse order, touching only resources that
//! carry the stack's tag. The service is scaled to zero and drained before it is deleted;
//! task-definition revisions are deregistered and deleted; then the rest goes concurrently.
//! A cluster (or VPC) the user brought is never deleted. The secret is deleted with a
//! recovery window unless told otherwise.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{self, Progress, ProgressEvent, emit};
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Resource};
use crate::stack::{ClusterChoice, StackSpec};

pub const DEFAULT_RECOVERY_DAYS: i64 = 7;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Default)]
pub struct DestroyOutcome {
    /// What was deliberately left in place, in words.
    pub kept: Vec<String>,
    /// Set when the secret was scheduled for deletion rather than deleted at once.
    pub secret_recovery_days: Option<i64>,
    /// What `verify` had made in Prefect and the destroy removed, in words.
    pub removed_in_prefect: Vec<String>,
}

/// A destroy step: the shared step helper with the action fixed to `Delete`.
pub(super) async fn step<Fut>(
    progress: &Progress,
    resource: Resource,
    name: &str,
    work: Fut,
) -> Result<(), (Resource, AwsError)>
where
    Fut: std::future::Future<Output = Result<Option<String>, AwsError>>,
{
    progress::step(progress, resource, Action::Delete, name, async {
        work.await.map(|detail| ((), detail))
    })
    .await
}

pub(super) fn gone(progress: &Progress, resource: Resource, name: String) {
    emit(progress, ProgressEvent::Absent { resource, name });
}

/// Deleting something already gone is success.
pub(super) fn ignore_not_found(result: Result<(), AwsError>) -> Result<(), AwsError> {
    match result {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl AwsContext {
    pub async fn destroy(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        force_delete_secret: bool,
        progress: &Progress,
    ) -> Result<DestroyOutcome, Vec<(Resource, AwsError)>> {
        let mut outcome = DestroyOutcome::default();
        let cluster = spec.cluster.name().to_owned();

        // 0. Scaling, alarms, the crash rule and the topic: nothing scales the service up
        // or e-mails anyone about workers while it goes.
        Box::pin(self.destroy_alerting(spec, observed, progress))
            .await
            .map_err(|f| vec![f])?;

        // 1. The service: scale to zero, wait for its tasks to stop, delete it.
        let service_name = spec.names.service();
        match &observed.service {
            Some(s) if s.owned && s.status != "INACTIVE" => {
                step(progress, Resource::Service, &service_name, async {
                    if s.desired_count > 0 {
                        self.ecs
                            .update_service()
                            .cluster(&cluster)
                            .service(&service_name)
                            .desired_count(0)
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))?;
                    }
                    self.wait_for_service_tasks_to_stop(&cluster, &service_name, progress)
                        .await?;
                    ignore_not_found(
                        self.ecs
                            .delete_service()
                            .cluster(&cluster)
                            .service(&service_name)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("ecs:DeleteService", e)),
                    )?;
                    Ok(Some("scaled to 0, drained, deleted".to_owned()))
                })
                .await
                .map_err(|f| vec![f])?;
            }
            _ => gone(progress, Resource::Service, service_name),
        }

        // 1b. Flow runs still running: their network interfaces hold the security group
        // (and a public address the internet gateway), so they are stopped and waited for.
        Box::pin(self.stop_flow_run_tasks(spec, progress))
            .await
            .map_err(|e| vec![(Resource::Service, e)])?;

        // 2. Every revision of the task-definition family.
        let family = spec.names.task_family();
        if observed.task_definition.as_ref().is_some_and(|t| !t.owned) {
            gone(progress, Resource::TaskDefinition, family.clone());
        } else {
            let revisions = self
                .family_revisions(&family)
                .await
                .map_err(|e| vec![(Resource::TaskDefinition, e)])?;
            if revisions.0.is_empty() && revisions.1.is_empty() {
                gone(progress, Resource::TaskDefinition, family.clone());
            } else {
                step(progress, Resource::TaskDefinition, &family, async {
                    let (active, inactive) = revisions;
                    let removed = self.remove_revisions(&active, &inactive).await?;
                    Ok(Some(format!("{removed} revision(s) removed")))
                })
                .await
                .map_err(|f| vec![f])?;
            }
        }

        // 3. The rest, concurrently.
        let recovery = if force_delete_secret {
            None
        } else {
            Some(DEFAULT_RECOVERY_DAYS)
        };
        let (cluster_result, sg, logs, exec, task, secret, observer) = tokio::join!(
            self.destroy_cluster(spec, observed, progress, &mut outcome.kept),
            self.destroy_security_group(spec, observed, progress),
            self.destroy_log_group(spec, observed, progress),
            self.destroy_role(
                spec.names.execution_role(),
                Resource::ExecutionRole,
                observed.execution_role.as_ref().is_some_and(|r| r.owned),
                progress
            ),
            self.destroy_role(
                spec.names.task_role(),
                Resource::TaskRole,
                observed.task_role.as_ref().is_some_and(|r| r.owned),
                progress
            ),
            self.destroy_secret(spec, observed, recovery, progress),
            self.destroy_observer(spec, observed, progress),
        );
        let failures: Vec<(Resource, AwsError)> = [
            cluster_result,
            sg,
            logs,
            exec,
            task,
            secret.map(|_| ()),
            observer,
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        if !failures.is_empty() {
            return Err(failures);
        }
        if observed.secret.as_ref().is_some_and(|s| s.owned) && !force_delete_secret {
            outcome.secret_recovery_days = recovery;
        }
        Ok(outcome)
    }

    /// ARNs of the family's ACTIVE and INACTIVE revisions (exact family only).
    /// Deregisters the ACTIVE revisions and deletes them all (ECS deletes only INACTIVE
    /// ones), ten to a call. Returns how many are gone.
    pub(super) async fn remove_revisions(
        &self,
        active: &[String],
        inactive: &[String],
    ) -> Result<usize, AwsError> {
        for arn in active {
            self.ecs
                .deregister_task_definition()
                .task_definition(arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:DeregisterTaskDefinition", e))?;
        }
        let all: Vec<String> = active.iter().chain(inactive).cloned().collect();
        for batch in all.chunks(10) {
            self.ecs
                .delete_task_definitions()
                .set_task_definitions(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:DeleteTaskDefinitions", e))?;
        }
        Ok(all.len())
    }

    pub(super) async fn family_revisions(
        &self,
        family: &str,
    ) -> Result<(Vec<String>, Vec<String>), AwsError> {
        let mut lists = Vec::new();
        for status in [TaskDefinitionStatus::Active, TaskDefinitionStatus::Inactive] {
            let arns: Vec<String> = self
                .ecs
                .list_task_definitions()
                .family_prefix(family)
                .status(status)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:ListTaskDefinitions", e))?;
            lists.push(
                arns.into_iter()
                    .filter(|arn| {
                        arn.rsplit('/')
                            .next()
                            .and_then(|f| f.rsplit_once(':'))
                            .map(|(f, _)| f)
                            == Some(family)
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let inactive = lists.pop().unwrap_or_default();
        let active = lists.pop().unwrap_or_default();
        Ok((active, inactive))
    }

    /// Polls until no task of the service is running, saying how many remain.
    async fn wait_for_service_tasks_to_stop(
        &self,
        cluster: &str,
        service: &str,
        progress: &Progress,
    ) -> Result<(), AwsError> {
        let started = Instant::now();
        loop {
            let running = self.service_tasks(cluster, service).await?;
            if running.is_empty() {
                return Ok(());
            }
            if started.elapsed() > DRAIN_TIMEOUT {
                return Err(AwsError::Call {
                    action: "ecs:DescribeTasks",
                    kind: ErrorKind::Other,
                    code: None,
                    message: Some(format!(
                        "{} task(s) of {service} still running after {} minutes",
                        running.len(),
                        DRAIN_TIMEOUT.as_secs() / 60
                    )),
                });
            }
            emit(
                progress,
                ProgressEvent::Note {
                    resource: Resource::Service,
                    message: format!("waiting for {} task(s) to stop", running.len()),
                },
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }

    /// Stops the pool's flow-run tasks in the stack's cluster and waits until they are gone.
    async fn stop_flow_run_tasks(
        &self,
        spec: &StackSpec,
        progress: &Progress,
    ) -> Result<(), AwsError> {
        let cluster = spec.cluster.name();
        let started = Instant::now();
        let mut asked = std::collections::BTreeSet::new();
        loop {
            let running = self.flow_run_tasks(cluster, &spec.work_pool).await?;
            if running.is_empty() {
                return Ok(());
            }
            for arn in &running {
                if asked.contains(arn) {
                    continue;
                }
                ignore_not_found(
                    self.ecs
                        .stop_task()
                        .cluster(cluster)
                        .task(arn)
                        .reason(format!(
                            "prefect-tui destroy: the stack {} is being removed",
                            spec.names.stack
                        ))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk("ecs:StopTask", e)),
                )?;
                asked.insert(arn.clone());
            }
            if started.elapsed() > DRAIN_TIMEOUT {
                return Err(AwsError::Call {
                    action: "ecs:DescribeTasks",
                    kind: ErrorKind::Other,
                    code: None,
                    message: Some(format!(
                        "{} flow-run task(s) of the pool {} still running after {} minutes",
                        running.len(),
                        spec.work_pool,
                        DRAIN_TIMEOUT.as_secs() / 60
                    )),
                });
            }
            emit(
                progress,
                ProgressEvent::Note {
                    resource: Resource::Service,
                    message: format!(
                        "stopping {} flow-run task(s) of the pool {}",
                        running.len(),
                        spec.work_pool
                    ),
                },
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }

    async fn destroy_cluster(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
        kept: &mut Vec<String>,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.cluster.name().to_owned();
        match (&spec.cluster, &observed.cluster) {
            (ClusterChoice::Existing(_), _) => {
                emit(
                    progress,
                    ProgressEvent::Note {
                        resource: Resource::Cluster,
                        message: format!("kept {name}: you brought it"),
                    },
                );
                kept.push(format!("cluster {name} (yours, not made by prefect-tui)"));
                Ok(())
            }
            (ClusterChoice::Owned(_), Some(c)) if c.owned && c.active => {
                step(progress, Resource::Cluster, &name, async {
                    ignore_not_found(
                        self.ecs
                            .delete_cluster()
                            .cluster(&name)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("ecs:DeleteCluster", e)),
                    )?;
                    Ok(None)
                })
                .await
            }
            _ => {
                gone(progress, Resource::Cluster, name);
                Ok(())
            }
        }
    }

    async fn destroy_security_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.security_group();
        let Some(sg) = observed.security_group.as_ref().filter(|g| g.owned) else {
            gone(progress, Resource::SecurityGroup, name);
            return Ok(());
        };
        step(progress, Resource::SecurityGroup, &name, async {
            // The network interfaces of stopped tasks linger for a minute or two, and
            // the group cannot go before they do.
            let started = Instant::now();
            loop {
                let result = self
                    .ec2
                    .delete_security_group()
                    .group_id(&sg.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("ec2:DeleteSecurityGroup", e));
                match result {
                    Err(AwsError::Call {
                        code: Some(code), ..
                    }) if code == "DependencyViolation"
                        && started.elapsed() < Duration::from_secs(300) =>
                    {
                        emit(
                            progress,
                            ProgressEvent::Note {
                                resource: Resource::SecurityGroup,
                                message:
                                    "still in use by network interfaces of stopped tasks; retrying"
                                        .to_owned(),
                            },
                        );
                        tokio::time::sleep(Duration::from_secs(10)).await;
                    }
                    other => {
                        ignore_not_found(other)?;
                        return Ok(Some(sg.id.clone()));
                    }
                }
            }
        })
        .await
    }

    async fn destroy_log_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.log_group();
        if !observed.log_group.as_ref().is_some_and(|g| g.owned) {
            gone(progress, Resource::LogGroup, name);
            return Ok(());
        }
        step(progress, Resource::LogGroup, &name, async {
            ignore_not_found(
                self.logs
                    .delete_log_group()
                    .log_group_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("logs:DeleteLogGroup", e)),
            )?;
            Ok(None)
        })
        .await
    }

    async fn destroy_role(
        &self,
        name: String,
        resource: Resource,
        owned: bool,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        if !owned {
            gone(progress, resource, name);
            return Ok(());
        }
        step(progress, resource, &name, async {
            let attached = self.attached_policy_arns(&name).await?;
            // Each of these is done when its target is gone: a call whose answer was lost
            // and was sent again finds nothing left to detach or delete.
            for policy_arn in attached {
                ignore_not_found(
                    self.iam
                        .detach_role_policy()
                        .role_name(&name)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk("iam:DetachRolePolicy", e)),
                )?;
            }
            let inline = self
                .iam
                .list_role_policies()
                .role_name(&name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("iam:ListRolePolicies", e))?;
            for policy in inline {
                ignore_not_found(
                    self.iam
                        .delete_role_policy()
                        .role_name(&name)
                        .policy_name(policy)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk("iam:DeleteRolePolicy", e)),
                )?;
            }
            ignore_not_found(
                self.iam
                    .delete_role()
                    .role_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("iam:DeleteRole", e)),
            )?;
            Ok(None)
        })
        .await
    }

    async fn destroy_secret(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        recovery_days: Option<i64>,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let Some(name) = spec.secret_name.clone() else {
            return Ok(());
        };
        let Some(secret) = observed.secret.as_ref().filter(|s| s.owned) else {
            gone(progress, Resource::Secret, name);
            return Ok(());
        };
        if secret.pending_deletion && recovery_days.is_some() {
            emit(
                progress,
                ProgressEvent::Note {
                    resource: Resource::Secret,
                    message: "already scheduled for deletion".to_owned(),
                },
            );
            return Ok(());
        }
        step(progress, Resource::Secret, &name, async {
            let mut request = self.secrets.delete_secret().secret_id(&secret.arn);
            request = match recovery_days {
                Some(days) => request.recovery_window_in_days(days),
                None => request.force_delete_without_recovery(true),
            };
            ignore_not_found(
                request
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("secretsmanager:DeleteSecret", e)),
            )?;
            Ok(Some(match recovery_days {
                Some(days) => format!("scheduled for deletion; recoverable for {days} days"),
                None => "deleted at once, without recovery".to_owned(),
            }))
        })
        .await
    }
}
