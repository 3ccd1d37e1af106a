//! The monitor drawn on a fixed-size `TestBackend`, pinned with snapshots: tasks running, a
//! task stopped with its reason, a rollout in progress, an AWS error in the status line,
//! and the help overlay.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Action, MonitorApp};
use super::ui;
use crate::aws::logs::LogEvent;
use crate::aws::status::{DeploymentStatus, ServiceStatus, TaskStatus};
use crate::ops::status::{StackStatus, WorkerView};
use crate::prefect::FlowRun;

fn task(id: &str, status: &str, revision: &str) -> TaskStatus {
    TaskStatus {
        id: id.into(),
        last_status: status.into(),
        desired_status: if status == "STOPPED" {
            "STOPPED".into()
        } else {
            "RUNNING".into()
        },
        health: "HEALTHY".into(),
        started_at: Some("2026-11-23T12:00:00Z".into()),
        az: Some("us-east-1a".into()),
        task_definition: format!("prefect-tui-prod-worker:{revision}"),
        stopped_reason: None,
        advice: None,
    }
}

fn deployment(status: &str, revision: &str, rollout: &str) -> DeploymentStatus {
    DeploymentStatus {
        id: format!("ecs-svc/{revision}"),
        status: status.into(),
        task_definition: format!("prefect-tui-prod-worker:{revision}"),
        rollout_state: Some(rollout.into()),
        desired: 1,
        running: 1,
        pending: 0,
    }
}

fn status() -> StackStatus {
    StackStatus {
        stack: "prod".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        cluster: "prefect-tui-prod".into(),
        work_pool: "ecs-prod".into(),
        service: Some(ServiceStatus {
            name: "prefect-tui-prod-worker".into(),
            status: "ACTIVE".into(),
            desired: 1,
            running: 1,
            pending: 0,
            deployments: vec![deployment("PRIMARY", "3", "COMPLETED")],
            events: vec![(
                "2026-11-23T12:00:00Z".into(),
                "(service prefect-tui-prod-worker) has reached a steady state.".into(),
            )],
        }),
        tasks: vec![task("a1b2c3d4e5f6", "RUNNING", "3")],
        workers: vec![WorkerView {
            name: "ECSWorker 5f1c2b7e-0000-4000-8000-1234deadbeef".into(),
            status: "ONLINE".into(),
            heartbeat_age: Some(12),
        }],
        flow_runs: vec![FlowRun {
            name: "daring-fox".into(),
            state_name: Some("Completed".into()),
            start_time: None,
        }],
        errors: vec![],
    }
}

fn logs() -> Vec<LogEvent> {
    (0..30)
        .map(|n| LogEvent {
            timestamp: 1_795_953_600_000 + n * 1000,
            ingested: 1_795_953_600_000 + n * 1000,
            stream: "worker/prefect-worker/a1b2c3d4e5f6".into(),
            task: "a1b2c3d4e5f6".into(),
            message: if n == 0 {
                "Worker 'ECSWorker 5f1c2b7e' started!".to_owned()
            } else {
                format!("Polling work pool 'ecs-prod' for scheduled flow runs ({n})")
            },
            event_id: n.to_string(),
        })
        .collect()
}

fn render(app: &mut MonitorApp, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draws");
    let buffer = terminal.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn app_with(status: StackStatus) -> MonitorApp {
    let mut app = MonitorApp::new(1000);
    app.update(Action::StatusLoaded(Box::new(status)));
    app.update(Action::LogsArrived(logs()));
    app.refreshed = Some("12:00:30".into());
    app
}

#[test]
fn tasks_running() {
    insta::assert_snapshot!(render(&mut app_with(status()), 120, 40));
}

#[test]
fn a_task_stopped_with_its_reason() {
    let mut s = status();
    let mut stopped = task("9f8e7d6c5b4a", "STOPPED", "3");
    stopped.stopped_reason = Some("Essential container in task exited (exit code 1)".into());
    // As status words it: the advice, then where the task's log lines are.
    stopped.advice = Some(format!(
        "The worker in task 9f8e7d6c5b4a exited with code 1. {}",
        crate::stack::diagnosis::where_its_logs_are("9f8e7d6c5b4a", "/ecs/prefect-tui/prod")
    ));
    s.tasks.push(stopped);
    insta::assert_snapshot!(render(&mut app_with(s), 120, 40));
}

#[test]
fn a_rollout_in_progress() {
    let mut s = status();
    if let Some(svc) = s.service.as_mut() {
        svc.deployments = vec![
            deployment("PRIMARY", "4", "IN_PROGRESS"),
            deployment("ACTIVE", "3", "COMPLETED"),
        ];
        svc.desired = 1;
        svc.pending = 1;
    }
    s.tasks.push(task("0a0b0c0d0e0f", "PROVISIONING", "4"));
    insta::assert_snapshot!(render(&mut app_with(s), 120, 40));
}

#[test]
fn an_aws_error_in_the_status_line() {
    let mut app = app_with(status());
    app.update(Action::StatusFailed(
        "AWS throttled ecs:DescribeServices: ThrottlingException: Rate exceeded".into(),
    ));
    insta::assert_snapshot!(render(&mut app, 120, 40));
}

#[test]
fn help_search_and_a_small_terminal() {
    let mut app = app_with(status());
    app.update(Action::StartSearch);
    for c in "Polling".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!(render(&mut app, 80, 24));
    insta::assert_snapshot!(render(&mut app, 50, 10));
}

#[test]
fn the_status_line_says_where_the_logs_come_from() {
    let mut app = app_with(status());
    let before = render(&mut app, 120, 40);
    assert!(!before.contains("logs polled") && !before.contains("logs live"));
    app.update(Action::LogSource(crate::aws::logs::TailSource::Polling(
        "the endpoint ended the live tail session".into(),
    )));
    let screen = render(&mut app, 120, 40);
    let status = screen
        .lines()
        .find(|l| l.contains("refreshed"))
        .unwrap_or_default();
    assert!(status.contains("logs polled"), "{status}");
    assert!(status.contains("Live tail is not available"), "{status}");
    app.update(Action::LogSource(crate::aws::logs::TailSource::Live));
    assert!(render(&mut app, 120, 40).contains("logs live"));
}
