//! The monitor drawn on a fixed-size `TestBackend`, pinned with snapshots at 120x40 and
//! 80x24: tasks running, a task stopped with its reason, a rollout in progress, an AWS
//! error in the status line, the help overlay, focus and selection, the detail view,
//! search with its count, the filter, the service events, the charts and their absence,
//! the scale dialog's error, a stack that is gone, and the scaling lines of the service pane.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Action, MonitorApp};
use super::ui;
use crate::aws::logs::LogEvent;
use crate::aws::status::metrics::ServiceMetrics;
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
        stopped_at: None,
        az: Some("us-east-1a".into()),
        image: Some("prefecthq/prefect-aws:latest".into()),
        private_ip: Some("10.0.1.23".into()),
        public_ip: Some("54.210.1.17".into()),
        network_interface: Some("eni-0a1b2c3d4e5f60718".into()),
        exit_code: None,
        container_reason: None,
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
        rollout_state_reason: None,
        task_definition_arn: format!(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/prefect-tui-prod-worker:{revision}"
        ),
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
        flow_runs: vec![FlowRun::sample(
            "daring-fox",
            "COMPLETED",
            "Completed",
            None,
        )],
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
    // The message is longer than the line: it wraps below it, whole.
    assert!(
        screen.contains("Live tail is not available (the endpoint ended the live tail"),
        "{screen}"
    );
    app.update(Action::LogSource(crate::aws::logs::TailSource::Live));
    assert!(render(&mut app, 120, 40).contains("logs live"));
}

/// The same state at the two sizes the monitor promises to fit.
fn both(name: &str, app: &mut MonitorApp) {
    insta::assert_snapshot!(format!("{name}_120x40"), render(app, 120, 40));
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
}

fn stopped_task() -> TaskStatus {
    let mut stopped = task("9f8e7d6c5b4a", "STOPPED", "3");
    stopped.health = "UNKNOWN".into();
    stopped.stopped_at = Some("2026-11-23T12:04:10Z".into());
    stopped.public_ip = None;
    stopped.exit_code = Some(1);
    stopped.stopped_reason = Some(
        "Essential container in task exited: the worker process ended with exit code 1 after failing to reach the Prefect API at https://prefect.internal.example.com/api".into(),
    );
    stopped.container_reason =
        Some("OutOfMemoryError: Container killed due to memory usage".into());
    stopped.advice = Some(
        "The worker in task 9f8e7d6c5b4a exited with code 1. Its last log lines say why: look for the first error above 'Worker stopped'. If it could not reach Prefect, check the subnet's route and the security group's egress.".into(),
    );
    stopped
}

fn busy_status() -> StackStatus {
    let mut s = status();
    s.tasks.push(task("0f1e2d3c4b5a", "RUNNING", "3"));
    s.tasks.push(stopped_task());
    s.workers.push(WorkerView {
        name: "ECSWorker 9a8b7c6d-0000-4000-8000-0000cafef00d".into(),
        status: "ONLINE".into(),
        heartbeat_age: Some(3),
    });
    s.flow_runs.push(FlowRun::sample(
        "quiet-otter",
        "RUNNING",
        "Running",
        Some("2026-11-23T12:01:00Z"),
    ));
    if let Some(svc) = s.service.as_mut() {
        svc.events = vec![
            (
                "2026-11-23T12:04:30Z".into(),
                "(service prefect-tui-prod-worker) has started 1 tasks: (task 5e6f7a8b9c0d).".into(),
            ),
            (
                "2026-11-23T12:04:10Z".into(),
                "(service prefect-tui-prod-worker) has stopped 1 running tasks: (task 9f8e7d6c5b4a).".into(),
            ),
            (
                "2026-11-23T12:00:00Z".into(),
                "(service prefect-tui-prod-worker) has reached a steady state.".into(),
            ),
        ];
    }
    s
}

fn metrics() -> ServiceMetrics {
    let at = |m: i64| 1_795_953_600 + m * 60;
    ServiceMetrics {
        cpu: (0..60)
            .map(|m| (at(m), 5.0 + ((m * 7) % 30) as f64))
            .collect(),
        memory: (0..60).map(|m| (at(m), 40.0 + (m / 10) as f64)).collect(),
    }
}

#[test]
fn focus_and_selection() {
    let mut app = app_with(busy_status());
    app.update(Action::MetricsLoaded(Ok(metrics())));
    app.update(Action::FocusNext);
    app.update(Action::Down);
    both("focus_on_the_tasks_second_row_selected", &mut app);
    app.update(Action::FocusNext);
    app.update(Action::Down);
    both("focus_on_the_workers", &mut app);
}

#[test]
fn the_detail_view_of_a_stopped_task() {
    let mut app = app_with(busy_status());
    app.update(Action::FocusNext);
    app.update(Action::Bottom);
    app.update(Action::ToggleDetail);
    both("detail_of_a_stopped_task", &mut app);
    // At 80x24 it does not all fit: it scrolls to the end.
    render(&mut app, 80, 24);
    app.update(Action::Bottom);
    insta::assert_snapshot!(
        "detail_of_a_stopped_task_scrolled_80x24",
        render(&mut app, 80, 24)
    );
}

#[test]
fn the_detail_view_of_a_running_task() {
    let mut app = app_with(busy_status());
    app.update(Action::FocusNext);
    app.update(Action::ToggleDetail);
    insta::assert_snapshot!("detail_of_a_running_task_120x40", render(&mut app, 120, 40));
}

#[test]
fn search_with_a_count_and_next_match() {
    let mut app = app_with(status());
    app.update(Action::StartSearch);
    for c in "(2".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    app.update(Action::PrevMatch);
    app.update(Action::PrevMatch);
    both("search_2_with_a_count", &mut app);
}

#[test]
fn a_filter_hides_other_lines() {
    let mut app = app_with(status());
    app.update(Action::StartFilter);
    for c in "(1".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    both("filter_1", &mut app);
}

#[test]
fn the_service_events_newest_first_with_times() {
    let mut app = app_with(busy_status());
    app.update(Action::FocusPrev);
    both("events_focused", &mut app);
}

#[test]
fn charts_and_no_metrics() {
    let mut app = app_with(status());
    app.update(Action::MetricsLoaded(Ok(metrics())));
    both("charts", &mut app);
    app.update(Action::MetricsLoaded(Ok(ServiceMetrics::default())));
    both("no_metrics", &mut app);
    app.update(Action::MetricsLoaded(Err(
        "the endpoint does not serve them.".into(),
    )));
    insta::assert_snapshot!("metrics_unavailable_80x24", render(&mut app, 80, 24));
}

#[test]
fn a_wrong_count_in_the_scale_dialog() {
    let mut app = app_with(status());
    app.update(Action::AskScale);
    for c in "abc".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    both("scale_abc", &mut app);
}

#[test]
fn a_stack_that_is_gone() {
    let mut app = app_with(status());
    let mut gone = status();
    gone.service = None;
    gone.tasks.clear();
    app.update(Action::StatusLoaded(Box::new(gone)));
    app.refreshed = Some("12:01:00".into());
    both("stack_gone", &mut app);
}

#[test]
fn scaling_bounds_backlog_and_the_last_activity_in_the_service_pane() {
    use crate::aws::status::scaling::ScalingView;
    let at = 1_795_953_600;
    let view = ScalingView {
        wanted: Some((1, 3, "backlog, 10 per worker".into())),
        bounds: Ok(Some((1, 3))),
        backlog: Ok(Some((at, 12.0))),
        online: Ok(Some((at, 1.0))),
        last_activity: Ok(Some((
            at,
            "Setting desired count to 2. (Successful)".into(),
        ))),
    };
    let mut app = app_with(status());
    app.update(Action::ScalingLoaded(Box::new(view.clone())));
    let screen = render(&mut app, 120, 40);
    insta::assert_snapshot!("scaling_in_the_service_pane", screen);
    for said in [
        "scales 1-3 on backlog",
        "published 12:00: backlog 12, online 1",
        "last scaling 12:00",
    ] {
        assert!(screen.contains(said), "{said:?} in\n{screen}");
    }
    // Bounds someone changed are red words, not the profile's numbers; an endpoint without
    // DescribeScalingActivities is said; nothing published in ten minutes is said.
    let drifted = ScalingView {
        bounds: Ok(Some((1, 8))),
        backlog: Ok(None),
        online: Ok(None),
        last_activity: Err("not served by this endpoint".into()),
        ..view
    };
    app.update(Action::ScalingLoaded(Box::new(drifted)));
    let screen = render(&mut app, 120, 40);
    for said in [
        "scales 1-8, profile says 1-3",
        "backlog: nothing published in 10",
        "last scaling: not served by this",
    ] {
        assert!(screen.contains(said), "{said:?} in\n{screen}");
    }
}
