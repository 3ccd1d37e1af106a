use super::*;
use crate::aws::status::{ServiceStatus, TaskStatus};

fn event(task: &str, n: usize) -> LogEvent {
    LogEvent {
        timestamp: n as i64,
        ingested: n as i64,
        stream: format!("worker/prefect-worker/{task}"),
        task: task.into(),
        message: format!("line {n}"),
        event_id: format!("{task}-{n}"),
    }
}

fn task(id: &str, last_status: &str) -> TaskStatus {
    TaskStatus::healthy(id, last_status)
}

fn service(status: &str) -> ServiceStatus {
    ServiceStatus {
        name: "prefect-tui-prod-worker".into(),
        status: status.into(),
        desired: 1,
        running: 1,
        pending: 0,
        deployments: vec![],
        events: vec![],
    }
}

fn with_tasks(tasks: Vec<TaskStatus>) -> Box<StackStatus> {
    Box::new(StackStatus {
        service: Some(service("ACTIVE")),
        tasks,
        ..StackStatus::default()
    })
}

#[test]
fn the_log_buffer_is_bounded_and_keeps_the_newest() {
    let mut app = MonitorApp::new(100);
    app.update(Action::LogsArrived(
        (0..250).map(|n| event("a", n)).collect(),
    ));
    assert_eq!(app.logs.lines.len(), 100);
    assert_eq!(
        app.logs.lines.front().map(|e| e.message.as_str()),
        Some("line 150")
    );
}

#[test]
fn scrolling_up_stops_following_and_the_bottom_resumes_it() {
    let mut app = MonitorApp::new(100);
    app.update(Action::LogsArrived(
        (0..50).map(|n| event("a", n)).collect(),
    ));
    app.update(Action::Up);
    assert!(!app.logs.follow);
    app.update(Action::LogsArrived(vec![event("a", 50)]));
    assert_eq!(app.logs.scroll, 2, "the line being read stays in place");
    app.update(Action::Down);
    app.update(Action::Down);
    assert!(app.logs.follow && app.logs.scroll == 0);
}

#[test]
fn task_filter_cycles_through_tasks_then_all() {
    let mut app = MonitorApp::new(100);
    app.update(Action::LogsArrived(vec![
        event("a", 0),
        event("b", 1),
        event("a", 2),
    ]));
    app.update(Action::CycleTaskFilter);
    assert_eq!(app.logs.visible_count(), 2);
    app.update(Action::CycleTaskFilter);
    assert_eq!(app.logs.task_filter.as_deref(), Some("b"));
    app.update(Action::CycleTaskFilter);
    assert_eq!(app.logs.task_filter, None);
    assert_eq!(app.logs.visible_count(), 3);
}

#[test]
fn scaling_asks_for_a_number_then_for_confirmation() {
    let mut app = MonitorApp::new(10);
    app.update(Action::AskScale);
    app.update(Action::Input('2'));
    assert_eq!(app.update(Action::Submit), None);
    assert!(matches!(
        &app.prompt,
        Some(Prompt::Confirm {
            work: Work::Scale(2),
            ..
        })
    ));
    assert_eq!(app.update(Action::Input('y')), Some(Work::Scale(2)));
    assert!(app.prompt.is_none());
    app.update(Action::AskRedeploy);
    assert_eq!(
        app.update(Action::Input('n')),
        None,
        "anything but y declines"
    );
    assert!(app.prompt.is_none());
}

#[test]
fn a_wrong_count_keeps_the_dialog_open_with_the_error_in_it() {
    let mut app = MonitorApp::new(10);
    app.update(Action::AskScale);
    for c in "abc".chars() {
        app.update(Action::Input(c));
    }
    assert_eq!(app.update(Action::Submit), None);
    match &app.prompt {
        Some(Prompt::ScaleTo {
            text,
            error: Some(error),
        }) => {
            assert_eq!(text, "abc", "what was typed stays, to correct it");
            assert!(error.contains("\"abc\" is not a number"), "{error}");
        }
        other => panic!("the dialog stays open with an error: {other:?}"),
    }
    // Typing again clears the error; a count too high is its own error.
    app.update(Action::Backspace);
    assert!(matches!(
        &app.prompt,
        Some(Prompt::ScaleTo { error: None, .. })
    ));
    for _ in 0..2 {
        app.update(Action::Backspace);
    }
    for c in "500".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    assert!(matches!(
        &app.prompt,
        Some(Prompt::ScaleTo { error: Some(e), .. }) if e.contains("more than 100")
    ));
    app.update(Action::Cancel);
    assert!(app.prompt.is_none());
}

#[test]
fn stop_acts_on_the_selected_task_not_the_newest() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StatusLoaded(with_tasks(vec![
        task("old", "RUNNING"),
        task("new", "RUNNING"),
        task("gone", "STOPPED"),
    ])));
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Pane::Tasks);
    app.update(Action::AskStopTask);
    assert!(matches!(
        &app.prompt,
        Some(Prompt::Confirm { work: Work::StopTask(id), .. }) if id == "old"
    ));
    app.update(Action::Cancel);
    app.update(Action::Down);
    app.update(Action::Down);
    app.update(Action::AskStopTask);
    assert!(app.prompt.is_none(), "a stopped task is not stopped again");
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(e, m)| *e && m.contains("gone"))
    );
    app.update(Action::Up);
    app.update(Action::AskStopTask);
    assert_eq!(
        app.update(Action::Input('y')),
        Some(Work::StopTask("new".into()))
    );
}

#[test]
fn enter_opens_the_selected_rows_detail_which_scrolls_and_closes() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StatusLoaded(with_tasks(vec![
        task("a", "RUNNING"),
        task("b", "RUNNING"),
    ])));
    app.update(Action::ToggleDetail);
    assert_eq!(app.detail, None, "the logs have no rows");
    app.update(Action::FocusNext);
    app.update(Action::Down);
    app.update(Action::ToggleDetail);
    assert_eq!(app.detail, Some(Detail::Task("b".into())));
    app.detail_size = (30, 10);
    app.update(Action::PageDown);
    app.update(Action::PageDown);
    app.update(Action::PageDown);
    assert_eq!(
        app.detail_scroll, 20,
        "stops with the last line at the bottom"
    );
    app.update(Action::Top);
    assert_eq!(app.detail_scroll, 0);
    assert_eq!(
        app.selection.task.as_deref(),
        Some("b"),
        "keys went to the detail"
    );
    app.update(Action::Cancel);
    assert_eq!(app.detail, None);
}

#[test]
fn logs_of_the_selected_task_filter_the_logs_pane() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StatusLoaded(with_tasks(vec![
        task("a", "RUNNING"),
        task("b", "RUNNING"),
    ])));
    app.update(Action::LogsArrived(vec![event("a", 0), event("b", 1)]));
    app.update(Action::FocusNext);
    app.update(Action::Down);
    app.update(Action::LogsOfSelectedTask);
    assert_eq!(app.logs.task_filter.as_deref(), Some("b"));
    assert_eq!(app.focus, Pane::Logs);
    assert_eq!(app.logs.visible_count(), 1);
}

#[test]
fn search_is_typed_and_esc_clears_it_then_the_filter() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StartFilter);
    for c in "line".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    app.update(Action::StartSearch);
    for c in "err".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Backspace);
    app.update(Action::Submit);
    assert_eq!(app.logs.search.as_deref(), Some("er"));
    app.update(Action::Cancel);
    assert_eq!(app.logs.search, None);
    assert_eq!(app.logs.text_filter.as_deref(), Some("line"));
    app.update(Action::Cancel);
    assert_eq!(app.logs.text_filter, None);
}

#[test]
fn a_service_that_disappears_is_said_to_be_gone() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StatusLoaded(Box::default()));
    assert_eq!(app.presence, Presence::NotDeployed);
    app.update(Action::StatusLoaded(with_tasks(vec![])));
    assert_eq!(app.presence, Presence::Deployed);
    let mut draining = with_tasks(vec![]);
    if let Some(s) = draining.service.as_mut() {
        s.status = "DRAINING".into();
    }
    app.update(Action::StatusLoaded(draining));
    assert!(matches!(app.presence, Presence::Going { .. }));
    // A failed read of the service says nothing about it.
    app.update(Action::StatusLoaded(Box::new(StackStatus {
        errors: vec!["service: AWS throttled ecs:DescribeServices".into()],
        ..StackStatus::default()
    })));
    assert!(matches!(app.presence, Presence::Going { .. }));
    app.update(Action::StatusLoaded(Box::default()));
    assert_eq!(
        app.presence,
        Presence::Gone {
            service: "prefect-tui-prod-worker".into()
        }
    );
}

#[test]
fn falling_back_to_polling_is_said_once_and_then_kept_as_the_mode() {
    let mut app = MonitorApp::new(10);
    app.update(Action::LogSource(TailSource::Polling(
        "the endpoint ended the session".into(),
    )));
    assert_eq!(
        app.log_source,
        Some(TailSource::Polling("the endpoint ended the session".into()))
    );
    let said = app.message.clone();
    assert!(
        said.as_ref()
            .is_some_and(|(error, text)| !error && text.contains("polling")),
        "{said:?}"
    );
    // Fresh state does not repeat it, and a later result replaces it.
    app.update(Action::StatusLoaded(Box::default()));
    assert_eq!(app.message, said);
    app.update(Action::WorkDone("Scaling to 2 task(s).".into()));
    app.update(Action::LogsArrived(vec![event("a", 1)]));
    assert_eq!(app.message, Some((false, "Scaling to 2 task(s).".into())));
    app.update(Action::LogSource(TailSource::Live));
    assert_eq!(app.message, Some((false, "Scaling to 2 task(s).".into())));
}

#[test]
fn errors_show_in_the_status_line_without_losing_state() {
    let mut app = MonitorApp::new(10);
    app.update(Action::LogsArrived(vec![event("a", 0)]));
    app.update(Action::StatusFailed(
        "AWS throttled ecs:DescribeServices".into(),
    ));
    assert_eq!(
        app.message,
        Some((true, "AWS throttled ecs:DescribeServices".into()))
    );
    assert_eq!(app.logs.lines.len(), 1);
    app.update(Action::WorkDone("Scaling to 2 task(s).".into()));
    app.update(Action::StatusLoaded(Box::default()));
    assert_eq!(
        app.message,
        Some((false, "Scaling to 2 task(s).".into())),
        "results stay"
    );
}

fn crashed_run(name: &str, task_id: &str) -> crate::prefect::FlowRun {
    let mut run = crate::prefect::FlowRun::sample(name, "CRASHED", "Crashed", None);
    run.infrastructure_pid = Some(format!(
        "prefect-tui-prod::arn:aws:ecs:us-east-1:123456789012:task/prefect-tui-prod/{task_id}"
    ));
    if let Some(s) = run.state.as_mut() {
        s.message =
            Some("The following containers stopped with a non-zero exit code: ['prefect']".into());
    }
    run
}

#[test]
fn a_flow_runs_logs_are_its_tasks_and_its_detail_says_why_it_failed() {
    let mut app = MonitorApp::new(10);
    let mut status = with_tasks(vec![task("w1", "RUNNING")]);
    status.flow_runs = vec![crashed_run("sly-fox", "f1")];
    app.update(Action::StatusLoaded(status));
    app.update(Action::LogsArrived(vec![event("w1", 0), event("f1", 1)]));
    while app.focus != Pane::FlowRuns {
        app.update(Action::FocusNext);
    }
    app.update(Action::LogsOfSelectedTask);
    assert_eq!(
        app.logs.task_filter.as_deref(),
        Some("f1"),
        "the run's task"
    );
    assert_eq!(app.logs.visible_count(), 1);

    while app.focus != Pane::FlowRuns {
        app.update(Action::FocusNext);
    }
    app.update(Action::ToggleDetail);
    assert_eq!(app.detail, Some(Detail::FlowRun("sly-fox".into())));
    let status = app.status.clone().unwrap_or_default();
    let (_, rows) =
        crate::tui::monitor::detail::fields(&status, &Detail::FlowRun("sly-fox".into()))
            .expect("the run's detail");
    let get = |k: &str| {
        rows.iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(get("ECS task").starts_with("f1"), "{rows:?}");
    assert!(get("what it means").contains("crashed"), "{rows:?}");
    assert!(!get("what to do").is_empty(), "{rows:?}");
}

#[test]
fn verify_is_asked_before_it_runs() {
    let mut app = MonitorApp::new(10);
    app.update(Action::StatusLoaded(with_tasks(vec![task("a", "RUNNING")])));
    assert_eq!(app.update(Action::AskVerify), None, "a question first");
    assert!(matches!(
        app.prompt,
        Some(Prompt::Confirm {
            work: Work::Verify,
            ..
        })
    ));
    assert_eq!(app.update(Action::Input('y')), Some(Work::Verify));
}

#[test]
fn rollback_and_upgrade_read_first_then_ask_with_the_plan_and_only_y_makes_the_change() {
    let mut app = MonitorApp::new(10);
    assert_eq!(
        app.update(Action::AskRollback),
        Some(Work::PlanRollback),
        "a read first"
    );
    assert!(app.prompt.is_none(), "no question before the plan is read");
    app.update(Action::Planned {
        question: "Roll back from revision 3 to 1 (image: b -> a)?".into(),
        work: Work::Rollback(1),
    });
    assert!(matches!(
        &app.prompt,
        Some(Prompt::Confirm { question, work: Work::Rollback(1) }) if question.contains("b -> a")
    ));
    assert_eq!(app.update(Action::Input('n')), None, "declined");
    assert_eq!(app.update(Action::AskUpgrade), Some(Work::PlanUpgrade));
    app.update(Action::Planned {
        question: "Upgrade?".into(),
        work: Work::Upgrade("w:2".into()),
    });
    assert_eq!(
        app.update(Action::Input('y')),
        Some(Work::Upgrade("w:2".into()))
    );
}
