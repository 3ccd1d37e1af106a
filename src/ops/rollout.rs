//! Waiting out a rolling deployment, and the workers after it: what rotate-key, upgrade
//! and rollback end with. A change is done when its deployment COMPLETED (the old tasks
//! stopped) and the new tasks' workers are online; not when UpdateService answered.
//!
//! A deployment is followed by its id: a forced new deployment (rotate) keeps the same
//! task definition, so the revision alone cannot tell the new tasks from the old.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::aws::AwsContext;
use crate::aws::status::DeploymentStatus;
use crate::prefect::{PrefectClient, WorkerStatus, timestamp_secs};
use crate::stack::StackSpec;
use crate::stack::plan::{Action, Resource};

use super::OpsError;
use super::progress::{Progress, ProgressEvent, emit};

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RolloutEnd {
    /// The deployment completed: only its tasks run, on this revision (`family:N`).
    Completed { revision: String },
    /// ECS's circuit breaker failed the deployment and rolled the service back.
    RolledBack {
        failed: String,
        back_to: String,
        reason: String,
        /// The failed tasks' stop reasons, and what the newest of them logged.
        tasks: Vec<String>,
    },
    /// The deployment failed and nothing rolled it back.
    Failed {
        revision: String,
        reason: String,
        tasks: Vec<String>,
    },
    /// Still rolling out when the wait ended.
    TimedOut {
        revision: String,
        tasks: Vec<String>,
    },
}

/// How long a failed deployment is given for ECS to start rolling it back before the
/// rollout is reported failed without a rollback.
const ROLLBACK_GRACE: Duration = Duration::from_secs(30);

/// The service's PRIMARY deployment now: the one a change just made.
pub async fn primary_deployment(
    aws: &AwsContext,
    spec: &StackSpec,
) -> Result<DeploymentStatus, OpsError> {
    let status = aws
        .service_status(spec)
        .await?
        .ok_or_else(|| OpsError::BadInput {
            message: format!("stack {} has no service", spec.names.stack),
            hint: format!(
                "Run `prefect-tui deploy --profile {}` first.",
                spec.names.stack
            ),
        })?;
    status
        .deployments
        .into_iter()
        .find(|d| d.status == "PRIMARY")
        .ok_or_else(|| OpsError::BadInput {
            message: format!(
                "the service of stack {} has no deployment",
                spec.names.stack
            ),
            hint: "Check the service in the ECS console.".to_owned(),
        })
}

/// Waits for a rollout already under way to end before another change: ECS's circuit
/// breaker can only roll a change back to a deployment that completed.
pub async fn settle_first(
    aws: &AwsContext,
    spec: &StackSpec,
    timeout: Duration,
    progress: &Progress,
) -> Result<(), OpsError> {
    let current = primary_deployment(aws, spec).await?;
    if current.rollout_state.as_deref() != Some("IN_PROGRESS") {
        return Ok(());
    }
    emit(
        progress,
        ProgressEvent::Note {
            resource: Resource::Service,
            message: format!(
                "{} is still rolling out: waiting for it to complete first",
                current.task_definition
            ),
        },
    );
    match wait_rollout(aws, spec, &current.id, timeout, progress).await? {
        RolloutEnd::Completed { .. } => Ok(()),
        _ => Err(OpsError::BadInput {
            message: format!(
                "the service's current deployment ({}) did not complete, so a change now could \
                 not be rolled back to it",
                current.task_definition
            ),
            hint: format!(
                "Run `prefect-tui monitor --profile {}` to see why, and fix that first.",
                spec.names.stack
            ),
        }),
    }
}

/// Waits until deployment `id` completed, failed or was rolled back.
pub async fn wait_rollout(
    aws: &AwsContext,
    spec: &StackSpec,
    id: &str,
    timeout: Duration,
    progress: &Progress,
) -> Result<RolloutEnd, OpsError> {
    let started = Instant::now();
    let mut ours: Option<DeploymentStatus> = None;
    let mut failure: Option<String> = None;
    let mut failed_at: Option<Instant> = None;
    loop {
        let Some(status) = aws.service_status(spec).await? else {
            return Err(OpsError::BadInput {
                message: format!(
                    "the service of stack {} went away during the rollout",
                    spec.names.stack
                ),
                hint: "Someone deleted it; run `prefect-tui deploy` to make it again.".to_owned(),
            });
        };
        if let Some(d) = status.deployments.iter().find(|d| d.id == id) {
            if d.rollout_state.as_deref() == Some("FAILED") {
                failure = Some(d.rollout_state_reason.clone().unwrap_or_default());
                failed_at.get_or_insert_with(Instant::now);
            }
            ours = Some(d.clone());
        }
        let revision = ours
            .as_ref()
            .map(|d| d.task_definition.clone())
            .unwrap_or_default();
        let primary = status.deployments.iter().find(|d| d.status == "PRIMARY");
        let rolled_back = primary.filter(|p| p.id != id).filter(|_| {
            failure.is_some()
                || status
                    .events
                    .iter()
                    .any(|(_, m)| m.contains("rolling back"))
        });
        if let Some(primary) = rolled_back {
            // The old revision serves again once the rollback's own deployment completed.
            if primary.rollout_state.as_deref() == Some("COMPLETED")
                && status.deployments.len() == 1
            {
                return Ok(RolloutEnd::RolledBack {
                    failed: revision.clone(),
                    back_to: primary.task_definition.clone(),
                    reason: failure.unwrap_or_else(|| "ECS rolled the deployment back".to_owned()),
                    tasks: failed_tasks(aws, spec, &revision).await,
                });
            }
        } else if primary.is_some_and(|p| p.id != id) {
            return Err(OpsError::BadInput {
                message: format!(
                    "another deployment ({}) replaced this one during the rollout",
                    primary.map(|p| p.task_definition.as_str()).unwrap_or("?")
                ),
                hint: "Someone changed the service at the same time; run the command again \
                       once it settles."
                    .to_owned(),
            });
        } else if let Some(reason) = &failure
            && failed_at.is_some_and(|t: Instant| t.elapsed() >= ROLLBACK_GRACE)
        {
            // ECS makes the rollback's deployment a moment after it failed this one.
            return Ok(RolloutEnd::Failed {
                revision: revision.clone(),
                reason: reason.clone(),
                tasks: failed_tasks(aws, spec, &revision).await,
            });
        } else if ours
            .as_ref()
            .is_some_and(|d| d.rollout_state.as_deref() == Some("COMPLETED"))
            && status.deployments.len() == 1
        {
            emit(
                progress,
                ProgressEvent::Done {
                    resource: Resource::Service,
                    action: Action::Update,
                    elapsed: started.elapsed(),
                    detail: Some(format!("{revision} rolled out; the old tasks stopped")),
                },
            );
            return Ok(RolloutEnd::Completed { revision });
        }
        if started.elapsed() >= timeout {
            return Ok(RolloutEnd::TimedOut {
                tasks: failed_tasks(aws, spec, &revision).await,
                revision,
            });
        }
        let old: i32 = status
            .deployments
            .iter()
            .filter(|d| d.id != id)
            .map(|d| d.running)
            .sum();
        let message = match (&failure, &ours) {
            (Some(reason), _) => format!("{reason} Waiting for ECS to roll back"),
            (None, Some(d)) => format!(
                "rolling out {}: {} of {} new task(s) running, {old} old still running",
                d.task_definition, d.running, d.desired
            ),
            (None, None) => "waiting for the deployment to show".to_owned(),
        };
        emit(
            progress,
            ProgressEvent::Note {
                resource: Resource::Service,
                message: format!(
                    "{message} ({}s of {}s)",
                    started.elapsed().as_secs(),
                    timeout.as_secs()
                ),
            },
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// A change just made, followed to its end: its deployment (the service's PRIMARY now)
/// waited out, the revision marked when ECS rolled it back, and once it completed, the
/// new tasks' workers.
pub async fn follow_change(
    aws: &AwsContext,
    client: &PrefectClient,
    spec: &StackSpec,
    known: &BTreeSet<String>,
    timeout: Duration,
    progress: &Progress,
) -> Result<(RolloutEnd, Vec<String>), OpsError> {
    let deployment = primary_deployment(aws, spec).await?;
    let end = wait_rollout(aws, spec, &deployment.id, timeout, progress).await?;
    mark_if_rolled_back(aws, &end, &deployment, progress).await;
    let workers = match &end {
        RolloutEnd::Completed { .. } => {
            new_workers_online(client, spec, known, timeout, progress).await?
        }
        _ => Vec::new(),
    };
    Ok((end, workers))
}

/// After a rollback by ECS, marks the revision that failed (`history` shows it, and
/// `rollback` passes over it); a failure to tag is only a note.
async fn mark_if_rolled_back(
    aws: &AwsContext,
    end: &RolloutEnd,
    deployment: &DeploymentStatus,
    progress: &Progress,
) {
    if let RolloutEnd::RolledBack { .. } = end
        && let Err(e) = aws
            .mark_rollout_failed(&deployment.task_definition_arn)
            .await
    {
        emit(
            progress,
            ProgressEvent::Note {
                resource: Resource::TaskDefinition,
                message: format!(
                    "could not tag {} as rolled back: {e}",
                    deployment.task_definition
                ),
            },
        );
    }
}

/// What stopped the tasks of one revision (`family:N`): each task's reason, and the last
/// lines the newest of them logged.
pub async fn failed_tasks(aws: &AwsContext, spec: &StackSpec, revision: &str) -> Vec<String> {
    let Ok(tasks) = aws.task_statuses(spec, 20).await else {
        return vec!["(the stopped tasks could not be read)".to_owned()];
    };
    let stopped: Vec<_> = tasks
        .iter()
        .filter(|t| t.last_status == "STOPPED" && t.task_definition == revision)
        .collect();
    let mut out: Vec<String> = stopped
        .iter()
        .map(|t| {
            let mut line = format!(
                "task {}: {}",
                t.id,
                t.stopped_reason.as_deref().unwrap_or("stopped")
            );
            if let Some(code) = t.exit_code {
                line.push_str(&format!(" (exit code {code})"));
            }
            if let Some(advice) = &t.advice {
                line.push_str(&format!(": {advice}"));
            }
            line
        })
        .collect();
    if let Some(newest) = stopped.first()
        && let Ok(lines) = aws.last_log_lines(spec, &newest.id).await
        && !lines.is_empty()
    {
        out.push(format!("task {} logged:", newest.id));
        out.extend(
            lines
                .into_iter()
                .rev()
                .take(5)
                .rev()
                .map(|l| format!("  {l}")),
        );
    }
    out
}

/// The names of the pool's workers Prefect knows now (online or not): those the new tasks
/// start are the others.
pub async fn known_workers(
    client: &PrefectClient,
    spec: &StackSpec,
) -> Result<BTreeSet<String>, OpsError> {
    Ok(client
        .workers(&spec.work_pool)
        .await?
        .into_iter()
        .map(|w| w.name)
        .collect())
}

/// Waits until `spec.desired_count` of the new tasks' workers are online: workers Prefect
/// did not know before the change, or heard from after the rollout completed (when only
/// the new tasks run; a run that picks up an interrupted one knows them already).
pub async fn new_workers_online(
    client: &PrefectClient,
    spec: &StackSpec,
    known: &BTreeSet<String>,
    timeout: Duration,
    progress: &Progress,
) -> Result<Vec<String>, OpsError> {
    let started = Instant::now();
    let completed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let want = spec.desired_count as usize;
    loop {
        let online: Vec<String> = client
            .workers(&spec.work_pool)
            .await?
            .into_iter()
            .filter(|w| w.status == WorkerStatus::Online)
            .filter(|w| {
                !known.contains(&w.name)
                    || w.last_heartbeat_time
                        .as_deref()
                        .and_then(timestamp_secs)
                        .is_some_and(|beat| beat >= completed)
            })
            .map(|w| w.name)
            .collect();
        if online.len() >= want || started.elapsed() >= timeout {
            if online.len() >= want {
                emit(
                    progress,
                    ProgressEvent::Done {
                        resource: Resource::WorkPool,
                        action: Action::Noop,
                        elapsed: started.elapsed(),
                        detail: Some(format!("{} new worker(s) online", online.len())),
                    },
                );
            }
            return Ok(online);
        }
        emit(
            progress,
            ProgressEvent::Note {
                resource: Resource::WorkPool,
                message: format!(
                    "waiting for the new tasks' workers: {} of {want} online in pool {} ({}s of {}s)",
                    online.len(),
                    spec.work_pool,
                    started.elapsed().as_secs(),
                    timeout.as_secs()
                ),
            },
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}
