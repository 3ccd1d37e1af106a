//! Why a flow run did not complete, from its final state and its ECS task: typed, so
//! `text::verify` words it and the monitor reuses it.

use super::Failure;
use crate::aws::runs::RunTask;
use crate::prefect::runs::FlowRun;

/// Why a final (or stuck) run did not complete; `None` for Completed.
pub fn classify(run: &FlowRun, task: Option<&RunTask>) -> Option<Failure> {
    if run.state_type() == "COMPLETED" {
        return None;
    }
    let message = run
        .state
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    if let Some((action, role)) = denied_action(&message) {
        return Some(Failure::WorkerDenied {
            action,
            role,
            message,
        });
    }
    if let Some(t) = task.filter(|t| t.last_status == "STOPPED") {
        let reason = t
            .stopped_reason
            .clone()
            .or_else(|| t.container_reason.clone())
            .unwrap_or_default();
        let lower = reason.to_ascii_lowercase();
        let network = lower.contains("i/o timeout")
            || lower.contains("dial tcp")
            || lower.contains("network")
            || lower.contains("timed out");
        if lower.contains("cannotpullcontainer") || lower.contains("resourceinitialization") {
            return Some(if network {
                Failure::NoNetworkPath {
                    reason,
                    subnets: vec![],
                }
            } else if lower.contains("secret") || lower.contains("asm") {
                Failure::Secret { reason }
            } else {
                Failure::ImagePull { reason }
            });
        }
        if t.exit_code.is_some_and(|c| c != 0) {
            return Some(Failure::Crashed {
                exit_code: t.exit_code,
                message,
            });
        }
    }
    if !run.is_final() {
        return None;
    }
    if run.state_type() == "CRASHED" {
        return Some(Failure::Crashed {
            exit_code: task.and_then(|t| t.exit_code),
            message,
        });
    }
    Some(Failure::Ended {
        state: run.state_name().to_owned(),
        message,
    })
}

/// `(ecs:RunTask, Some(role))` from AWS's "... assumed-role/ROLE/session is not
/// authorized to perform: ecs:RunTask on resource ..." (and its variants).
pub fn denied_action(message: &str) -> Option<(String, Option<String>)> {
    let (_, after) = message.split_once("not authorized to perform")?;
    let action: String = after
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
        .collect();
    if !action.contains(':') {
        return None;
    }
    let role = message
        .split_once("assumed-role/")
        .and_then(|(_, rest)| rest.split('/').next())
        .or_else(|| {
            message
                .split_once(":role/")
                .and_then(|(_, rest)| rest.split([' ', '/']).next())
        })
        .map(str::to_owned);
    Some((action, role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefect::runs::RunState;

    fn ended(state_type: &str, name: &str, message: &str) -> FlowRun {
        let mut run = FlowRun::sample("r", state_type, name, None);
        if let Some(s) = run.state.as_mut() {
            s.message = Some(message.to_owned());
        }
        run
    }

    fn stopped(reason: &str, exit: Option<i32>) -> RunTask {
        RunTask {
            last_status: "STOPPED".into(),
            stopped_reason: Some(reason.into()),
            exit_code: exit,
            ..RunTask::default()
        }
    }

    #[test]
    fn a_denied_run_task_names_the_action_and_the_role() {
        let message = "Failed to submit flow run to infrastructure: AccessDeniedException: An \
            error occurred (AccessDeniedException) when calling the RunTask operation: User: \
            arn:aws:sts::123456789012:assumed-role/prefect-tui-prod-worker/abc is not \
            authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-west-2:1:task-definition/x:1";
        assert_eq!(
            denied_action(message),
            Some((
                "ecs:RunTask".to_owned(),
                Some("prefect-tui-prod-worker".to_owned())
            ))
        );
        let f = classify(&ended("CRASHED", "Crashed", message), None);
        assert!(
            matches!(&f, Some(Failure::WorkerDenied { action, .. }) if action == "ecs:RunTask"),
            "{f:?}"
        );
        assert_eq!(denied_action("Crashed: exit code 1"), None);
    }

    #[test]
    fn a_stopped_task_tells_network_image_secret_and_crash_apart() {
        let run = ended(
            "CRASHED",
            "Crashed",
            "containers stopped with a non-zero exit code",
        );
        let cases = [
            (
                stopped(
                    "CannotPullContainerError: pull image manifest has been retried 1 time(s): \
                     failed to resolve ref: dial tcp 1.2.3.4:443: i/o timeout",
                    None,
                ),
                "no_network_path",
            ),
            (
                stopped(
                    "CannotPullContainerError: repository does not exist or may require login",
                    None,
                ),
                "image_pull",
            ),
            (
                stopped(
                    "ResourceInitializationError: unable to pull secrets or registry auth: \
                     unable to retrieve secret from asm",
                    None,
                ),
                "secret",
            ),
            (
                stopped("Essential container in task exited", Some(1)),
                "crashed",
            ),
        ];
        for (task, kind) in cases {
            let f = classify(&run, Some(&task));
            let got = serde_json::to_value(&f).unwrap_or_default()["kind"].clone();
            assert_eq!(got, kind, "{task:?} -> {f:?}");
        }
    }

    #[test]
    fn completed_is_no_failure_and_a_running_run_is_not_judged() {
        assert_eq!(classify(&ended("COMPLETED", "Completed", ""), None), None);
        assert_eq!(classify(&ended("RUNNING", "Running", ""), None), None);
        let f = classify(&ended("FAILED", "Failed", "boom"), None);
        assert_eq!(
            f,
            Some(Failure::Ended {
                state: "Failed".into(),
                message: "boom".into()
            })
        );
        let _ = RunState::default();
    }
}
