//! `verify`: proves the stack runs flows. It makes (or updates) a small deployment of the
//! stack in its work pool, starts a flow run of it, and follows it through Prefect and ECS
//! to a final state: scheduled, pending, the ECS task the worker started, running, its
//! log lines in CloudWatch, completed. On any other end it says why, typed (`Failure`);
//! `text::verify` words it.
//!
//! The flow needs no code storage and no image of ours: its source travels in the
//! deployment's pull step (`run_shell_script` writes it into the flow run's working
//! directory before Prefect loads it), and the stock prefect-aws image runs it.

mod classify;
mod deployment;

pub use classify::{classify, denied_action};
pub use deployment::{
    deployment_spec, ensure_deployment, flow_source, full_name, remove_deployment,
};

use std::time::{Duration, Instant};

use serde::Serialize;

use super::OpsError;
use crate::aws::AwsContext;
use crate::aws::runs::RunTask;
use crate::network::subnet_verdict;
use crate::prefect::{PrefectClient, WorkerStatus};
use crate::stack::StackSpec;

/// How long a final run's task may take to stop, for its exit code and last lines.
const TASK_STOP_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// The whole wait, from the flow run's creation.
    pub timeout: Duration,
    /// How long a run may stay scheduled (or late) with no worker taking it.
    pub late_after: Duration,
    pub poll: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            late_after: Duration::from_secs(120),
            poll: Duration::from_millis(500),
        }
    }
}

/// A state the flow run reached, and when (seconds since the flow run was created).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub state: String,
    pub at_seconds: f64,
}

/// Why a flow run did not complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// ECS could not start the task: the network gives it no way out. `subnets` are the
    /// task's subnets with their egress verdict's reason.
    NoNetworkPath {
        reason: String,
        subnets: Vec<(String, String)>,
    },
    /// The image could not be pulled (not a network problem).
    ImagePull { reason: String },
    /// The execution role could not read the credential's secret, or the secret is gone.
    Secret { reason: String },
    /// The worker was refused an AWS action when it tried to start the task.
    WorkerDenied {
        action: String,
        role: Option<String>,
        message: String,
    },
    /// The flow-run container exited with a non-zero code.
    Crashed {
        exit_code: Option<i32>,
        message: String,
    },
    /// No worker took the run.
    StayedLate { seconds: u64, workers_online: usize },
    /// Another final state (Failed, Cancelled), with Prefect's message.
    Ended { state: String, message: String },
    /// Still not final when the wait ended.
    TimedOut { state: String, seconds: u64 },
}

/// What `verify` saw.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub stack: String,
    pub deployment: String,
    pub deployment_created: bool,
    pub flow_run_id: String,
    pub flow_run_name: String,
    pub phases: Vec<Phase>,
    pub task: Option<RunTask>,
    /// The task's container output in CloudWatch, last lines, oldest first.
    pub log_lines: Vec<String>,
    pub final_state: String,
    pub seconds: f64,
    pub failure: Option<Failure>,
}

impl VerifyReport {
    pub fn completed(&self) -> bool {
        self.failure.is_none()
    }
}

/// What `verify` reports as it goes.
#[derive(Debug, Clone)]
pub enum VerifyEvent {
    Deployment { name: String, created: bool },
    FlowRun { name: String, id: String },
    State(Phase),
    Task(Box<RunTask>),
    Waiting { state: String, seconds: u64 },
}

/// Runs one flow run of the verify deployment and follows it to its end.
pub async fn verify(
    aws: &AwsContext,
    prefect: &PrefectClient,
    spec: &StackSpec,
    options: VerifyOptions,
    on_event: &(dyn Fn(VerifyEvent) + Send + Sync),
) -> Result<VerifyReport, OpsError> {
    let (deployment, created) = ensure_deployment(prefect, spec).await?;
    on_event(VerifyEvent::Deployment {
        name: full_name(spec),
        created,
    });
    let mut run = prefect.create_flow_run(&deployment.id).await?;
    let started = Instant::now();
    on_event(VerifyEvent::FlowRun {
        name: run.name.clone(),
        id: run.id.clone(),
    });
    let mut phases: Vec<Phase> = Vec::new();
    let mut task: Option<RunTask> = None;
    let mut stopped_since: Option<Instant> = None;
    let mut last_said = Instant::now();
    let cluster = spec.cluster.name();
    let failure = loop {
        let state = run.state_name().to_owned();
        if phases.last().map(|p| p.state.as_str()) != Some(state.as_str()) {
            let phase = Phase {
                state,
                at_seconds: started.elapsed().as_secs_f64(),
            };
            on_event(VerifyEvent::State(phase.clone()));
            phases.push(phase);
        }
        // The task, once the worker has started one; followed until it stops.
        if let Some(arn) = run.task_arn().map(str::to_owned)
            && task.as_ref().is_none_or(|t| t.last_status != "STOPPED")
            && let Some(now) = aws.run_task(cluster, &arn).await?
        {
            let changed = task.as_ref().map(|t| t.last_status.as_str()) != Some(&now.last_status);
            if changed {
                on_event(VerifyEvent::Task(Box::new(now.clone())));
            }
            if now.last_status == "STOPPED" && stopped_since.is_none() {
                stopped_since = Some(Instant::now());
            }
            task = Some(keep_network(now, task.as_ref()));
        }
        if run.is_final() {
            break classify(&run, task.as_ref());
        }
        let waited = started.elapsed();
        if task.is_none() && waited > options.late_after {
            let workers_online = prefect
                .workers(&spec.work_pool)
                .await
                .map(|ws| {
                    ws.iter()
                        .filter(|w| {
                            w.status_given(w.heartbeat_age_at(now_secs())) == WorkerStatus::Online
                        })
                        .count()
                })
                .unwrap_or(0);
            break Some(Failure::StayedLate {
                seconds: waited.as_secs(),
                workers_online,
            });
        }
        // A task that stopped while Prefect still shows the run unfinished: the observer
        // had a minute to report it.
        if let Some(since) = stopped_since
            && since.elapsed() > Duration::from_secs(60)
        {
            break classify(&run, task.as_ref()).or(Some(Failure::TimedOut {
                state: run.state_name().to_owned(),
                seconds: waited.as_secs(),
            }));
        }
        if waited > options.timeout {
            break Some(Failure::TimedOut {
                state: run.state_name().to_owned(),
                seconds: waited.as_secs(),
            });
        }
        if last_said.elapsed() > Duration::from_secs(15) {
            on_event(VerifyEvent::Waiting {
                state: run.state_name().to_owned(),
                seconds: waited.as_secs(),
            });
            last_said = Instant::now();
        }
        tokio::time::sleep(options.poll).await;
        if let Some(now) = prefect.flow_run(&run.id).await? {
            run = now;
        }
    };
    // A run Prefect calls final can still have a task going (the container exits after
    // the engine reports): its exit code and last lines come once it stops.
    let ended = Instant::now();
    while let Some(t) = task.as_ref().filter(|t| t.last_status != "STOPPED") {
        if ended.elapsed() > TASK_STOP_WAIT {
            break;
        }
        tokio::time::sleep(options.poll).await;
        if let Some(now) = aws.run_task(cluster, &t.arn).await? {
            if now.last_status != t.last_status {
                on_event(VerifyEvent::Task(Box::new(now.clone())));
            }
            task = Some(keep_network(now, Some(t)));
        }
    }
    let failure = match failure {
        Some(Failure::NoNetworkPath { reason, .. }) => Some(Failure::NoNetworkPath {
            subnets: explain_subnets(aws, task.as_ref()).await,
            reason,
        }),
        other => other,
    };
    // The phases as the server recorded them: polling can miss a state that lasted less
    // than a poll (Pending, a short Running); the history does not.
    if let Ok(states) = prefect.flow_run_states(&run.id).await
        && let Some(first) = states
            .first()
            .and_then(|s| s.timestamp.as_deref())
            .and_then(crate::prefect::timestamp_secs)
    {
        let recorded: Vec<Phase> = states
            .iter()
            .filter_map(|s| {
                let at = crate::prefect::timestamp_secs(s.timestamp.as_deref()?)?;
                Some(Phase {
                    state: s.name.clone(),
                    at_seconds: (at - first).max(0.0),
                })
            })
            .collect();
        if !recorded.is_empty() {
            phases = recorded;
        }
    }
    let log_lines = match task
        .as_ref()
        .and_then(|t| Some((t.log_group.as_deref()?, t.log_stream.as_deref()?)))
    {
        Some((group, stream)) => aws.stream_tail(group, stream, 40).await.unwrap_or_default(),
        None => vec![],
    };
    Ok(VerifyReport {
        stack: spec.names.stack.clone(),
        deployment: full_name(spec),
        deployment_created: created,
        flow_run_id: run.id.clone(),
        flow_run_name: run.name.clone(),
        phases,
        task,
        log_lines,
        final_state: run.state_name().to_owned(),
        seconds: started.elapsed().as_secs_f64(),
        failure,
    })
}

/// A stopped task's network interface is gone, and with it what EC2 knew of its security
/// groups and public address: keep what was read while it ran.
fn keep_network(mut now: RunTask, before: Option<&RunTask>) -> RunTask {
    if let Some(before) = before {
        if now.security_groups.is_empty() {
            now.security_groups = before.security_groups.clone();
        }
        if now.public_ip.is_none() {
            now.public_ip = before.public_ip.clone();
        }
    }
    now
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Each of the task's subnets with the egress verdict's reason, for a task that had no
/// way out.
async fn explain_subnets(aws: &AwsContext, task: Option<&RunTask>) -> Vec<(String, String)> {
    let Some(task) = task else { return vec![] };
    let Ok(net) = aws.network_snapshot(None).await else {
        return vec![];
    };
    task.subnets
        .iter()
        .filter_map(|id| {
            let subnet = net.subnets.iter().find(|s| &s.id == id)?;
            let verdict = subnet_verdict(&net, subnet);
            Some((
                id.clone(),
                format!("{}: {}", verdict.egress.as_str(), verdict.reason),
            ))
        })
        .collect()
}
