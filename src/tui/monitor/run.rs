//! The monitor's terminal and background work. A poller for the stack's state, one for
//! the service's CPU and memory, and a follower of the logs send actions over a channel; keys become actions; the screen is
//! redrawn when something changed, at most every 50 ms, and not otherwise. Leaving stops every background task and
//! restores the terminal (on panic too: `ratatui::init` installs that hook).

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinSet;

use super::app::{Action, MonitorApp, Work};
use super::{keys, ui};
use crate::aws::logs::{Cadence, LogTail, TailUpdate, follow};
use crate::aws::{AwsContext, AwsError, AwsSettings, ErrorKind};
use crate::ops::status::{StackStatus, stack_status};
use crate::ops::{self, verify::VerifyEvent};
use crate::prefect::PrefectClient;
use crate::stack::StackSpec;

const FRAME: Duration = Duration::from_millis(50);
const ROLLOUT: Duration = Duration::from_secs(2);
const STEADY: Duration = Duration::from_secs(5);
/// When polling: every second while lines arrive, easing to every 3 s while the workers
/// are quiet, so an idle monitor costs next to nothing.
const LOG_POLL: Cadence = Cadence {
    busy: Duration::from_secs(1),
    quiet: Duration::from_secs(3),
};
/// CloudWatch's ECS service metrics have one point a minute; reading more often shows
/// nothing new.
const METRICS_EVERY: Duration = Duration::from_secs(60);
/// How far back the logs pane starts.
const LOG_HISTORY_MS: i64 = 30 * 60 * 1000;

/// Everything the monitor needs to read and act on one stack.
#[derive(Clone)]
pub struct MonitorContext {
    pub aws: AwsContext,
    pub prefect: PrefectClient,
    pub spec: StackSpec,
    pub account: String,
    /// What the day-two operations (rollback, upgrade) connect with.
    pub settings: AwsSettings,
    /// The profile file they update, so the next deploy keeps their change.
    pub profile_path: PathBuf,
}

fn rollout_in_progress(status: &StackStatus) -> bool {
    status.service.as_ref().is_some_and(|s| {
        s.deployments.len() > 1
            || s.deployments
                .iter()
                .any(|d| d.rollout_state.as_deref() == Some("IN_PROGRESS"))
    })
}

/// The status without what changes on every read (heartbeat ages), to tell whether
/// anything happened since the last read.
fn fingerprint(status: &StackStatus) -> StackStatus {
    let mut status = status.clone();
    for worker in &mut status.workers {
        worker.heartbeat_age = None;
    }
    status
}

/// How long to wait before the next read of the stack's state.
fn status_wait(failures: u32, busy: bool, unchanged: u32) -> Duration {
    match (failures, busy) {
        (0, false) => STEADY,
        // A rollout shows change within seconds; one that has shown none for a while
        // (stuck, or an endpoint that never marks it complete) is read at the steady pace.
        (0, true) if unchanged >= 3 => STEADY,
        (0, true) => ROLLOUT,
        (n, _) => Duration::from_secs((5u64 << n.min(3)).min(30)),
    }
}

/// Polls ECS and Prefect: every 2 s during a rollout, every 5 s when steady, backing off
/// to 30 s while reads fail.
async fn poll_status(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    let mut failures = 0u32;
    let mut unchanged = 0u32;
    let mut last: Option<StackStatus> = None;
    let mut seen_failures = ctx.aws.calls.failed_attempts().0;
    loop {
        let status = stack_status(&ctx.aws, &ctx.prefect, &ctx.spec, &ctx.account).await;
        let busy = rollout_in_progress(&status);
        failures = if status.errors.is_empty() {
            0
        } else {
            failures + 1
        };
        let print = fingerprint(&status);
        unchanged = if last.as_ref() == Some(&print) {
            unchanged + 1
        } else {
            0
        };
        last = Some(print);
        if tx.send(Action::StatusLoaded(Box::new(status))).is_err() {
            return;
        }
        // Calls that failed and were retried since the last look: said in the status line,
        // so a flaky network shows even when the retries hide it from the panes.
        let (failed, last_failure) = ctx.aws.calls.failed_attempts();
        if failed > seen_failures {
            seen_failures = failed;
            let text = format!(
                "AWS retried {failed} failed attempt(s) so far; last: {}",
                last_failure.unwrap_or_default()
            );
            if tx.send(Action::StatusFailed(text)).is_err() {
                return;
            }
        }
        tokio::time::sleep(status_wait(failures, busy, unchanged)).await;
    }
}

/// Follows the workers' logs (live tail, or polling where the endpoint has none) and
/// forwards what arrives as actions. Ends when the monitor stops listening.
async fn follow_logs(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let tail = LogTail::new(&ctx.spec.names.log_group(), now - LOG_HISTORY_MS);
    let (tail_tx, mut updates) = unbounded_channel();
    // Dropping `updates` (when this task is aborted) stops the follower too.
    tokio::spawn(follow(ctx.aws.clone(), tail, LOG_POLL, tail_tx));
    while let Some(update) = updates.recv().await {
        let action = match update {
            TailUpdate::Events(events) => Action::LogsArrived(events),
            TailUpdate::Source(source) => Action::LogSource(source),
            TailUpdate::Failed(e) => Action::LogsFailed(format!("logs: {e}")),
        };
        if tx.send(action).is_err() {
            return;
        }
    }
}

/// Why the charts are empty, in words, from the failed read.
fn metrics_unavailable(e: &AwsError) -> String {
    match e {
        AwsError::Call {
            kind: ErrorKind::AccessDenied,
            ..
        } => "not allowed to call cloudwatch:GetMetricData.".to_owned(),
        AwsError::Call {
            kind: ErrorKind::Unreachable,
            ..
        } => "CloudWatch is unreachable.".to_owned(),
        _ => "the endpoint does not serve them.".to_owned(),
    }
}

/// Reads the service's CPU and memory (and, for a stack that scales or publishes its
/// backlog, the scaling view) now and then every minute.
async fn poll_metrics(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let result = ctx.aws.service_metrics(&ctx.spec, now).await.map_err(|e| {
            tracing::debug!("service metrics: {e}");
            metrics_unavailable(&e)
        });
        if tx.send(Action::MetricsLoaded(result)).is_err() {
            return;
        }
        if let Some(view) = ctx.aws.scaling_view(&ctx.spec, now).await
            && tx.send(Action::ScalingLoaded(Box::new(view))).is_err()
        {
            return;
        }
        tokio::time::sleep(METRICS_EVERY).await;
    }
}

async fn do_work(ctx: MonitorContext, work: Work, tx: UnboundedSender<Action>) {
    let result = match &work {
        Work::Scale(n) => ctx
            .aws
            .scale_service(&ctx.spec, *n)
            .await
            .map(|()| format!("Scaling to {n} task(s).")),
        Work::Redeploy => ctx
            .aws
            .force_new_deployment(&ctx.spec)
            .await
            .map(|()| "New deployment started.".to_owned()),
        Work::StopTask(id) => ctx
            .aws
            .stop_task(&ctx.spec, id)
            .await
            .map(|()| format!("Task {id} stopping.")),
        Work::Verify => return verify(ctx, tx).await,
        Work::PlanRollback | Work::Rollback(_) | Work::PlanUpgrade | Work::Upgrade(_) => {
            return day_two(ctx, work, tx).await;
        }
    };
    let _ = tx.send(match result {
        Ok(text) => Action::WorkDone(text),
        Err(e) => Action::WorkFailed(e.to_string()),
    });
}

/// How long the monitor's rollback and upgrade wait for the rollout and the workers.
const DAY_TWO_TIMEOUT: Duration = Duration::from_secs(600);

/// Rollback and upgrade from the monitor: the plan read and asked about first, then the
/// operation with each progress note in the status line, the profile updated as the
/// commands do, and how it ended.
async fn day_two(ctx: MonitorContext, work: Work, tx: UnboundedSender<Action>) {
    let result = match work {
        Work::PlanRollback => ops::rollback::prepare(&ctx.settings, &ctx.spec, None)
            .await
            .map(|plan| {
                let question = if plan.already_live {
                    format!(
                        "The service already runs revision {} (rolled back). Wait for it to settle?",
                        plan.live.revision
                    )
                } else {
                    format!(
                        "Roll back from revision {} to {} ({}); the profile follows?",
                        plan.live.revision,
                        plan.target.revision,
                        if plan.diff.is_empty() {
                            "the same fields".to_owned()
                        } else {
                            plan.diff.join("; ")
                        }
                    )
                };
                Action::Planned {
                    question,
                    work: Work::Rollback(plan.target.revision),
                }
            }),
        Work::Rollback(revision) => rollback(&ctx, revision, &tx).await,
        Work::PlanUpgrade => ops::upgrade::prepare(&ctx.settings, &ctx.spec, None)
            .await
            .map(|plan| {
                if plan.is_noop() {
                    return Action::WorkDone(format!("The service already runs {}.", plan.to));
                }
                Action::Planned {
                    question: format!(
                        "Upgrade from {} ({}) to {} ({}); a rolling update, rolled back by ECS if \
                         the new tasks fail?",
                        plan.from,
                        crate::stack::image::describe(&plan.from),
                        plan.to,
                        crate::stack::image::describe(&plan.to)
                    ),
                    work: Work::Upgrade(plan.to),
                }
            }),
        Work::Upgrade(to) => upgrade(&ctx, &to, &tx).await,
        _ => return,
    };
    let _ = tx.send(result.unwrap_or_else(|e| Action::WorkFailed(e.to_string())));
}

/// Progress notes of an operation, each in the status line.
fn progress_to_status_line(
    tx: &UnboundedSender<Action>,
    what: &'static str,
) -> ops::progress::Progress {
    let (progress, mut events) = unbounded_channel();
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let ops::progress::ProgressEvent::Note { message, .. }
            | ops::progress::ProgressEvent::Done {
                detail: Some(message),
                ..
            } = event
            {
                let _ = tx.send(Action::WorkDone(format!("{what}: {message}")));
            }
        }
    });
    progress
}

async fn rollback(
    ctx: &MonitorContext,
    revision: i32,
    tx: &UnboundedSender<Action>,
) -> Result<Action, ops::OpsError> {
    let plan = ops::rollback::prepare(&ctx.settings, &ctx.spec, Some(revision)).await?;
    crate::profile::set_worker_fields(
        &ctx.profile_path,
        &ops::rollback::profile_fields(&plan.target),
    )
    .map_err(|e| ops::OpsError::BadInput {
        message: e.to_string(),
        hint: String::new(),
    })?;
    let progress = progress_to_status_line(tx, "rollback");
    let report = ops::rollback::rollback(&plan, &ctx.spec, DAY_TWO_TIMEOUT, &progress).await?;
    Ok(ended(
        "Rollback",
        &report.rollout,
        report.workers.len(),
        &format!("revision {}", report.to),
    ))
}

async fn upgrade(
    ctx: &MonitorContext,
    to: &str,
    tx: &UnboundedSender<Action>,
) -> Result<Action, ops::OpsError> {
    let plan = ops::upgrade::prepare(&ctx.settings, &ctx.spec, Some(to)).await?;
    let progress = progress_to_status_line(tx, "upgrade");
    let report = ops::upgrade::upgrade(&plan, DAY_TWO_TIMEOUT, &progress).await?;
    if matches!(report.rollout, ops::rollout::RolloutEnd::Completed { .. }) {
        crate::profile::set_worker_fields(
            &ctx.profile_path,
            &[("image", toml_edit::Value::from(to))],
        )
        .map_err(|e| ops::OpsError::BadInput {
            message: e.to_string(),
            hint: String::new(),
        })?;
    }
    Ok(ended("Upgrade", &report.rollout, report.workers.len(), to))
}

/// The status line's last word on a rollout.
fn ended(what: &str, end: &ops::rollout::RolloutEnd, workers: usize, target: &str) -> Action {
    use ops::rollout::RolloutEnd;
    match end {
        RolloutEnd::Completed { .. } => Action::WorkDone(format!(
            "{what} done: {target} serves, {workers} new worker(s) online; the profile follows."
        )),
        RolloutEnd::RolledBack {
            reason,
            back_to,
            tasks,
            ..
        } => Action::WorkFailed(format!(
            "{what} failed: {reason} ECS rolled back to {back_to}. {}",
            tasks.first().map(String::as_str).unwrap_or_default()
        )),
        RolloutEnd::Failed { reason, tasks, .. } => Action::WorkFailed(format!(
            "{what} failed: {reason} {}",
            tasks.first().map(String::as_str).unwrap_or_default()
        )),
        RolloutEnd::TimedOut { revision, .. } => Action::WorkFailed(format!(
            "{what}: {revision} still rolling out after {} s; run it again from the command line to wait more.",
            DAY_TWO_TIMEOUT.as_secs()
        )),
    }
}

/// A verify flow run: each step in the status line, then how it ended.
async fn verify(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    let progress = tx.clone();
    let say = move |event: VerifyEvent| {
        let _ = progress.send(Action::WorkDone(format!(
            "verify: {}",
            crate::text::verify::event_line(&event).trim()
        )));
    };
    let result = ops::verify::verify(
        &ctx.aws,
        &ctx.prefect,
        &ctx.spec,
        ops::verify::VerifyOptions::default(),
        &say,
    )
    .await;
    let _ = tx.send(match result.as_ref().map(crate::text::verify::outcome) {
        Ok(Ok(summary)) => Action::WorkDone(format!("verify: {summary}")),
        Ok(Err((what, todo))) => Action::WorkFailed(format!("verify: {what} {todo}")),
        Err(e) => Action::WorkFailed(format!("verify could not run: {e}")),
    });
}

/// Runs the monitor until the user quits.
pub async fn run(ctx: MonitorContext, buffer: usize) -> std::io::Result<()> {
    let mut terminal = ratatui::init();
    crate::tui::screen_taken();
    let (tx, mut rx) = unbounded_channel();
    // Every background task is held here and aborted when the monitor is left.
    let mut background = JoinSet::new();
    background.spawn(poll_status(ctx.clone(), tx.clone()));
    background.spawn(poll_metrics(ctx.clone(), tx.clone()));
    background.spawn(follow_logs(ctx.clone(), tx.clone()));
    let mut app = MonitorApp::new(buffer);
    let mut events = EventStream::new();
    // Drawn when something changed, at most once per FRAME; with nothing changed there is
    // no timer at all, so an idle monitor sleeps until input or a poller's result.
    let mut dirty = true;
    let mut next_frame = tokio::time::Instant::now();
    let result = loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(action) = keys::action_for(&key, app.prompt.is_some()) {
                        if let Some(work) = app.update(action) {
                            background.spawn(do_work(ctx.clone(), work, tx.clone()));
                        }
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            // Reaps finished work so the set holds only what still runs.
            Some(_) = background.join_next(), if !background.is_empty() => {}
            Some(action) = rx.recv() => {
                app.update(action);
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {
                if let Err(e) = terminal.draw(|f| ui::draw(f, &mut app)) {
                    break Err(e);
                }
                dirty = false;
                next_frame = tokio::time::Instant::now() + FRAME;
            }
        }
        if app.quit {
            break Ok(());
        }
    };
    background.abort_all();
    ratatui::restore();
    crate::tui::screen_released();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_is_read_fast_until_it_stops_changing() {
        assert_eq!(status_wait(0, true, 0), ROLLOUT);
        assert_eq!(status_wait(0, true, 2), ROLLOUT);
        assert_eq!(status_wait(0, true, 3), STEADY, "stuck: steady pace");
        assert_eq!(status_wait(0, false, 0), STEADY);
        assert_eq!(status_wait(1, true, 0), Duration::from_secs(10));
        assert_eq!(status_wait(9, false, 0), Duration::from_secs(30));
    }

    #[test]
    fn heartbeat_ages_alone_are_not_a_change() {
        let mut a = StackStatus::default();
        a.workers.push(crate::ops::status::WorkerView {
            name: "w".into(),
            status: "ONLINE".into(),
            heartbeat_age: Some(3),
        });
        let mut b = a.clone();
        b.workers[0].heartbeat_age = Some(8);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.workers[0].status = "OFFLINE".into();
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
