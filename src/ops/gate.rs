//! The online gate: a deploy is done when the workers are ONLINE in Prefect with a
//! heartbeat newer than the deploy, not when AWS accepted the service. On timeout it
//! gathers why (stopped tasks' reasons, the worker's last log lines).

use std::time::{Duration, Instant, SystemTime};

use crate::aws::AwsContext;
use crate::prefect::{PrefectClient, WorkerStatus, timestamp_secs};
use crate::stack::StackSpec;
use crate::stack::plan::{Action, Resource};

use super::OpsError;
use super::progress::{Progress, ProgressEvent, emit};

/// How long the online gate waits by default.
pub const GATE_TIMEOUT: Duration = Duration::from_secs(300);

/// Fewer workers came online than wanted, with what explains it.
#[derive(Debug, thiserror::Error)]
#[error(
    "{online} of {wanted} worker(s) came online in pool {pool} within {}s",
    waited.as_secs()
)]
pub struct NotOnline {
    pub pool: String,
    pub online: usize,
    pub wanted: usize,
    pub waited: Duration,
    pub diagnosis: Vec<String>,
}

/// Why the gate did not pass.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    NotOnline(#[from] NotOnline),
    #[error(transparent)]
    Ops(#[from] OpsError),
}

/// Waits until `spec.desired_count` workers are ONLINE in the pool, heard from after
/// `since` (any ONLINE worker counts when `since` is `None`). Reports progress; on
/// timeout returns a diagnosis.
pub async fn online_gate(
    aws: &AwsContext,
    client: &PrefectClient,
    spec: &StackSpec,
    since: Option<SystemTime>,
    timeout: Duration,
    progress: &Progress,
) -> Result<Vec<String>, GateError> {
    let want = spec.desired_count as usize;
    let started = Instant::now();
    let since_secs = since
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    loop {
        let workers = client
            .workers(&spec.work_pool)
            .await
            .map_err(OpsError::from)?;
        let online: Vec<String> = workers
            .iter()
            .filter(|w| w.status == WorkerStatus::Online)
            .filter(|w| {
                match (
                    since_secs,
                    w.last_heartbeat_time.as_deref().and_then(timestamp_secs),
                ) {
                    (None, _) => true,
                    (Some(since), Some(beat)) => beat >= since,
                    (Some(_), None) => false,
                }
            })
            .map(|w| w.name.clone())
            .collect();
        if online.len() >= want {
            emit(
                progress,
                ProgressEvent::Done {
                    resource: Resource::WorkPool,
                    action: Action::Noop,
                    elapsed: started.elapsed(),
                    detail: Some(format!("{} worker(s) online", online.len())),
                },
            );
            return Ok(online);
        }
        if started.elapsed() >= timeout {
            let diagnosis = aws
                .diagnose(spec)
                .await
                .unwrap_or_else(|e| vec![format!("(could not read the tasks: {e})")]);
            return Err(NotOnline {
                pool: spec.work_pool.clone(),
                online: online.len(),
                wanted: want,
                waited: timeout,
                diagnosis,
            }
            .into());
        }
        let running = aws
            .service_tasks(spec.cluster.name(), &spec.names.service())
            .await
            .map(|t| t.len())
            .unwrap_or(0);
        emit(
            progress,
            ProgressEvent::Note {
                resource: Resource::WorkPool,
                message: format!(
                    "waiting for workers: {} of {want} online in pool {}; {running} task(s) running ({}s of {}s)",
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
