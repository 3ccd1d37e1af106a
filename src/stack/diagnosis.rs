//! Why a worker did not come online, in words: a stopped task's reasons turned into advice.
//! Pure; the `aws` layer gathers the reasons and the log lines.

/// One stopped task as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTask {
    pub task_id: String,
    pub stopped_reason: String,
    pub container_reason: Option<String>,
    pub exit_code: Option<i32>,
}

/// The exit code, from the container or, failing that, from the reason text.
pub fn exit_code(task: &StoppedTask) -> Option<i32> {
    task.exit_code.or_else(|| {
        let reason = &task.stopped_reason;
        let start = reason.find("exit code ")? + "exit code ".len();
        let digits: String = reason[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    })
}

/// Advice for one stopped task: what happened and what to do.
pub fn advise(task: &StoppedTask) -> String {
    let text = format!(
        "{} {}",
        task.stopped_reason,
        task.container_reason.as_deref().unwrap_or_default()
    );
    let lower = text.to_ascii_lowercase();
    if lower.contains("cannotpullcontainer")
        || lower.contains("pull image")
        || lower.contains("pulling image")
    {
        return format!(
            "Task {} could not pull its image ({}). The subnets probably cannot reach ECR or the \
             registry: check `prefect-tui discover` and use subnets marked nat or public (public \
             subnets need public_ip enabled or auto), or add VPC endpoints for ecr.api, ecr.dkr \
             and s3. If the image name is wrong, fix `image` under [worker].",
            task.task_id,
            text.trim()
        );
    }
    if lower.contains("resourceinitializationerror")
        || (lower.contains("secret") && lower.contains("unable"))
    {
        return format!(
            "Task {} could not read the API key secret ({}). The execution role must allow \
             secretsmanager:GetSecretValue on the secret (prefect-tui grants exactly that; check \
             nothing removed it), and private subnets without NAT need a Secrets Manager VPC endpoint.",
            task.task_id,
            text.trim()
        );
    }
    if lower.contains("outofmemory") || exit_code(task) == Some(137) {
        return format!(
            "Task {} ran out of memory ({}). Raise `memory` under [worker] (with a matching cpu).",
            task.task_id,
            text.trim()
        );
    }
    if let Some(code) = exit_code(task) {
        return format!(
            "The worker in task {} exited with code {code}. Its last log lines say why:",
            task.task_id
        );
    }
    format!("Task {} stopped: {}", task.task_id, text.trim())
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
        assert!(
            exited.contains("exited with code 1") && exited.contains("last log lines"),
            "{exited}"
        );
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
        assert_eq!(exit_code(&task("no code here", None, None)), None);
    }
}
