//! Status: the stack's state as ECS and Prefect report it at one moment (the service, its
//! tasks, the pool's workers, the latest flow runs). `status` prints it; the monitor polls it.

use crate::aws::AwsContext;
use crate::prefect::PrefectClient;
use crate::stack::StackSpec;

/// Everything `status` and the monitor show about a running stack.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StackStatus {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub work_pool: String,
    pub service: Option<crate::aws::status::ServiceStatus>,
    pub tasks: Vec<crate::aws::status::TaskStatus>,
    pub workers: Vec<WorkerView>,
    pub flow_runs: Vec<crate::prefect::FlowRun>,
    /// What could not be read, in words (the rest is still shown).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkerView {
    pub name: String,
    pub status: String,
    /// Seconds since the last heartbeat.
    pub heartbeat_age: Option<u64>,
}

/// Reads the stack's state from ECS and Prefect; a source that fails is reported in
/// `errors` and the others are still read.
pub async fn stack_status(
    aws: &AwsContext,
    prefect: &PrefectClient,
    spec: &StackSpec,
    account: &str,
) -> StackStatus {
    let mut errors = Vec::new();
    let (service, tasks, workers, flow_runs) = tokio::join!(
        aws.service_status(spec),
        aws.task_statuses(spec, 5),
        prefect.workers(&spec.work_pool),
        prefect.pool_flow_runs(&spec.work_pool, 10),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    StackStatus {
        stack: spec.names.stack.clone(),
        account: account.to_owned(),
        region: spec.region.clone(),
        cluster: spec.cluster.name().to_owned(),
        work_pool: spec.work_pool.clone(),
        service: service.unwrap_or_else(|e| {
            errors.push(format!("service: {e}"));
            None
        }),
        tasks: tasks.unwrap_or_else(|e| {
            errors.push(format!("tasks: {e}"));
            Vec::new()
        }),
        workers: workers
            .unwrap_or_else(|e| {
                errors.push(format!("workers: {e}"));
                Vec::new()
            })
            .into_iter()
            .map(|w| {
                let heartbeat_age = w.heartbeat_age_at(now);
                // Prefect's own offline rule, applied now rather than at its next pass.
                let status = match w.status_given(heartbeat_age) {
                    crate::prefect::WorkerStatus::Online => "ONLINE",
                    crate::prefect::WorkerStatus::Offline => "OFFLINE",
                };
                WorkerView {
                    heartbeat_age,
                    status: status.to_owned(),
                    name: w.name,
                }
            })
            .collect(),
        flow_runs: flow_runs.unwrap_or_else(|e| {
            errors.push(format!("flow runs: {e}"));
            Vec::new()
        }),
        errors,
    }
}
