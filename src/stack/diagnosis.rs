//! Why a worker did not come online, in words: a stopped task's reasons turned into advice.
//! Pure; the `aws` layer gathers the reasons and the log lines.

use super::names::{CONTAINER_NAME, LOG_STREAM_PREFIX};

/// One stopped task as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTask {
    pub task_id: String,
    pub stopped_reason: String,
    pub container_reason: Option<String>,
    pub exit_code: Option<i32>,
}

/// The exit code: the one the reason names, else the container's. A reason that names one
/// comes from whatever saw the process end; a container's code can be a default (the
/// emulator shows 0 for every container, whatever the process did).
pub fn exit_code(task: &StoppedTask) -> Option<i32> {
    let from_reason = || {
        let reason = &task.stopped_reason;
        let start = reason.find("exit code ")? + "exit code ".len();
        let digits: String = reason[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    };
    from_reason().or(task.exit_code)
}

/// What stopped a task, as far as its reasons tell.
enum Cause {
    Pull,
    Secret,
    /// Stopped by a person (StopTask): its exit code (0 after SIGTERM) says nothing about
    /// the worker.
    OnPurpose,
    OutOfMemory,
    Exited(i32),
    Other,
}

fn reasons(task: &StoppedTask) -> String {
    format!(
        "{} {}",
        task.stopped_reason,
        task.container_reason.as_deref().unwrap_or_default()
    )
}

fn cause(task: &StoppedTask) -> Cause {
    let lower = reasons(task).to_ascii_lowercase();
    if lower.contains("cannotpullcontainer")
        || lower.contains("pull image")
        || lower.contains("pulling image")
    {
        Cause::Pull
    } else if lower.contains("resourceinitializationerror")
        || (lower.contains("secret") && lower.contains("unable"))
    {
        Cause::Secret
    } else if lower.contains("stopped by user") {
        Cause::OnPurpose
    } else if lower.contains("outofmemory") || exit_code(task) == Some(137) {
        Cause::OutOfMemory
    } else if let Some(code) = exit_code(task)
        // A 0 after a stop ECS made (a scale-down, a new deployment) is SIGTERM obeyed, not
        // the worker's own exit.
        && (code != 0 || lower.contains("essential container in task exited"))
    {
        Cause::Exited(code)
    } else {
        Cause::Other
    }
}

/// Advice for one stopped task: what happened and what to do.
pub fn advise(task: &StoppedTask) -> String {
    let text = reasons(task);
    let (id, text) = (&task.task_id, text.trim());
    match cause(task) {
        Cause::Pull => format!(
            "Task {id} could not pull its image ({text}). The subnets probably cannot reach ECR or the \
             registry: check `prefect-tui discover` and use subnets marked nat or public (public \
             subnets need public_ip enabled or auto), or add VPC endpoints for ecr.api, ecr.dkr \
             and s3. If the image name is wrong, fix `image` under [worker]."
        ),
        Cause::Secret => format!(
            "Task {id} could not read the API key secret ({text}). The execution role must allow \
             secretsmanager:GetSecretValue on the secret (prefect-tui grants exactly that; check \
             nothing removed it), and private subnets without NAT need a Secrets Manager VPC endpoint."
        ),
        Cause::OutOfMemory => format!(
            "Task {id} ran out of memory ({text}). Raise `memory` under [worker] (with a matching cpu)."
        ),
        Cause::OnPurpose => format!("Task {id} was stopped on purpose: {text}."),
        Cause::Exited(code) => format!("The worker in task {id} exited with code {code}."),
        Cause::Other => format!("Task {id} stopped: {text}"),
    }
}

/// True when the advice has no words for why the task stopped and its own log lines are
/// what explains it (a worker that exited with a code).
pub fn explained_by_its_logs(task: &StoppedTask) -> bool {
    matches!(cause(task), Cause::Exited(_))
}

/// Where a task's log lines are, for where they are not quoted.
pub fn where_its_logs_are(task_id: &str, log_group: &str) -> String {
    format!(
        "Its log lines say why: they are in log group {log_group}, stream \
         {LOG_STREAM_PREFIX}/{CONTAINER_NAME}/{task_id} (`prefect-tui logs --since 1h` shows them)."
    )
}

/// What follows advice that quotes a task's last log lines: a heading and the lines, or,
/// when there are none, that there are none and where they would have been. Never a
/// heading with nothing under it.
pub fn quoted_log_lines(task_id: &str, log_group: &str, lines: Vec<String>) -> Vec<String> {
    if lines.is_empty() {
        return vec![format!(
            "Task {task_id} wrote no log lines: its stream {LOG_STREAM_PREFIX}/{CONTAINER_NAME}/\
             {task_id} in log group {log_group} is empty or missing. A worker that stops before \
             printing anything usually has a wrong image or command (`prefect-tui preview` shows \
             them); if the image is right, check the task definition's logConfiguration."
        )];
    }
    let mut out = vec![format!("The last log lines of task {task_id}:")];
    out.extend(lines.into_iter().map(|l| format!("    | {l}")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(reason: &str, container: Option<&str>, code: Option<i32>) -> StoppedTask {
        StoppedTask {
            task_id: "abc123".into(),
            stopped_reason: reason.into(),
            container_reason: container.map(str::to_owned),
            exit_code: code,
        }
    }

    #[test]
    fn each_kind_of_stop_gets_its_advice() {
        let pull = advise(&task(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref",
            None,
            None,
        ));
        assert!(
            pull.contains("cannot reach ECR") && pull.contains("prefect-tui discover"),
            "{pull}"
        );
        let secret = advise(&task(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed",
            None,
            None,
        ));
        assert!(
            secret.contains("could not read the API key secret") && secret.contains("VPC endpoint"),
            "{secret}"
        );
        let exited = advise(&task(
            "Essential container in task exited (exit code 1)",
            None,
            None,
        ));
        assert_eq!(exited, "The worker in task abc123 exited with code 1.");
        let oom = advise(&task(
            "Essential container in task exited",
            Some("OutOfMemoryError: Container killed"),
            Some(137),
        ));
        assert!(oom.contains("ran out of memory"), "{oom}");
        let other = advise(&task(
            "Scaling activity initiated by deployment",
            None,
            None,
        ));
        assert!(
            other.starts_with("Task abc123 stopped: Scaling activity"),
            "{other}"
        );
    }

    #[test]
    fn no_heading_without_lines_under_it() {
        let exited = task(
            "Essential container in task exited (exit code 1)",
            None,
            None,
        );
        assert!(explained_by_its_logs(&exited));
        assert!(!explained_by_its_logs(&task(
            "CannotPullContainerError: x",
            None,
            None
        )));
        assert!(!explained_by_its_logs(&task(
            "Scaling activity",
            None,
            None
        )));
        let advice = advise(&exited);
        assert!(!advice.trim_end().ends_with(':'), "{advice}");

        let none = quoted_log_lines("abc123", "/ecs/prefect-tui/prod", vec![]);
        assert_eq!(none.len(), 1, "{none:?}");
        assert!(
            none[0].starts_with("Task abc123 wrote no log lines")
                && none[0].contains("worker/prefect-worker/abc123")
                && none[0].contains("/ecs/prefect-tui/prod"),
            "{none:?}"
        );
        assert!(
            none.iter().all(|l| !l.trim_end().ends_with(':')),
            "{none:?}"
        );

        let some = quoted_log_lines("abc123", "/g", vec!["boom".into()]);
        assert_eq!(some, ["The last log lines of task abc123:", "    | boom"]);

        let pointer = where_its_logs_are("abc123", "/ecs/prefect-tui/prod");
        assert!(
            pointer.contains("worker/prefect-worker/abc123")
                && pointer.contains("prefect-tui logs"),
            "{pointer}"
        );
    }

    #[test]
    fn exit_codes_come_from_the_container_or_the_reason() {
        assert_eq!(
            exit_code(&task(
                "Essential container in task exited (exit code 3)",
                None,
                None
            )),
            Some(3)
        );
        assert_eq!(exit_code(&task("whatever", None, Some(2))), Some(2));
        assert_eq!(
            exit_code(&task(
                "Essential container in task exited (exit code 1)",
                None,
                Some(0)
            )),
            Some(1),
            "the reason's code over a container's default"
        );
        assert_eq!(exit_code(&task("no code here", None, None)), None);
    }

    #[test]
    fn a_task_stopped_on_purpose_is_not_blamed_on_its_exit_code() {
        for reason in [
            "Task stopped by user",
            "Scaling activity initiated by (deployment ecs-svc/123)",
        ] {
            let advice = advise(&task(reason, None, Some(0)));
            assert!(advice.contains(reason), "{advice}");
            assert!(!advice.contains("exited with code"), "{advice}");
            assert!(!explained_by_its_logs(&task(reason, None, Some(0))));
        }
    }
}
