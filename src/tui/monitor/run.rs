//! The monitor's terminal and background work. Pollers for the stack's state and for the
//! logs send actions over a channel; keys become actions; the screen is redrawn when
//! something changed, at most every 50 ms. Leaving stops every background task and
//! restores the terminal (on panic too: `ratatui::init` installs that hook).

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::app::{Action, MonitorApp, Work};
use super::{keys, ui};
use crate::aws::AwsContext;
use crate::aws::logs::LogTail;
use crate::engine::{self, StackStatus};
use crate::prefect::PrefectClient;
use crate::stack::StackSpec;

const FRAME: Duration = Duration::from_millis(50);
/// How far back the logs pane starts.
const LOG_HISTORY_MS: i64 = 30 * 60 * 1000;

/// Everything the monitor needs to read and act on one stack.
#[derive(Clone)]
pub struct MonitorContext {
    pub aws: AwsContext,
    pub prefect: PrefectClient,
    pub spec: StackSpec,
    pub account: String,
}

fn rollout_in_progress(status: &StackStatus) -> bool {
    status.service.as_ref().is_some_and(|s| {
        s.deployments.len() > 1
            || s.deployments
                .iter()
                .any(|d| d.rollout_state.as_deref() == Some("IN_PROGRESS"))
    })
}

/// Polls ECS and Prefect: every 2 s during a rollout, every 5 s when steady, backing off
/// to 30 s while reads fail. (The emulator never completes a rollout, so there the
/// monitor stays at the faster rate.)
async fn poll_status(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    let mut failures = 0u32;
    loop {
        let status = engine::stack_status(&ctx.aws, &ctx.prefect, &ctx.spec, &ctx.account).await;
        let busy = rollout_in_progress(&status);
        failures = if status.errors.is_empty() {
            0
        } else {
            failures + 1
        };
        if tx.send(Action::StatusLoaded(Box::new(status))).is_err() {
            return;
        }
        let wait = match (failures, busy) {
            (0, true) => Duration::from_secs(2),
            (0, false) => Duration::from_secs(5),
            (n, _) => Duration::from_secs((5u64 << n.min(3)).min(30)),
        };
        tokio::time::sleep(wait).await;
    }
}

async fn poll_logs(ctx: MonitorContext, tx: UnboundedSender<Action>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut tail = LogTail::new(&ctx.spec.names.log_group(), now - LOG_HISTORY_MS);
    // Every second while lines arrive; slower while the workers are quiet, so an idle
    // monitor costs next to nothing; backing off further while reads fail.
    let mut wait = Duration::from_secs(1);
    loop {
        let action = match tail.poll(&ctx.aws).await {
            Ok(events) if events.is_empty() => {
                wait = (wait + Duration::from_millis(500)).min(Duration::from_secs(3));
                None
            }
            Ok(events) => {
                wait = Duration::from_secs(1);
                Some(Action::LogsArrived(events))
            }
            Err(e) => {
                wait = (wait * 2).min(Duration::from_secs(30));
                Some(Action::LogsFailed(format!("logs: {e}")))
            }
        };
        if let Some(action) = action
            && tx.send(action).is_err()
        {
            return;
        }
        tokio::time::sleep(wait).await;
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
    };
    let _ = tx.send(match result {
        Ok(text) => Action::WorkDone(text),
        Err(e) => Action::WorkFailed(e.to_string()),
    });
}

/// Runs the monitor until the user quits.
pub async fn run(ctx: MonitorContext, buffer: usize) -> std::io::Result<()> {
    let mut terminal = ratatui::init();
    let (tx, mut rx) = unbounded_channel();
    let pollers = [
        tokio::spawn(poll_status(ctx.clone(), tx.clone())),
        tokio::spawn(poll_logs(ctx.clone(), tx.clone())),
    ];
    let mut app = MonitorApp::new(buffer);
    let mut events = EventStream::new();
    let mut frame = tokio::time::interval(FRAME);
    let mut dirty = true;
    let result = loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(action) = keys::action_for(&key, app.prompt.is_some()) {
                        if let Some(work) = app.update(action) {
                            tokio::spawn(do_work(ctx.clone(), work, tx.clone()));
                        }
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            Some(action) = rx.recv() => {
                app.update(action);
                dirty = true;
            }
            _ = frame.tick() => {
                if dirty {
                    if let Err(e) = terminal.draw(|f| ui::draw(f, &mut app)) {
                        break Err(e);
                    }
                    dirty = false;
                }
            }
        }
        if app.quit {
            break Ok(());
        }
    };
    for poller in pollers {
        poller.abort();
    }
    ratatui::restore();
    result
}
