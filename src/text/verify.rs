//! The words of `verify`: a line per event as it goes, then the report: each phase with
//! its time, the ECS task (where it ran, with which roles), its log lines, and for a run
//! that did not complete, why, with what to do.

use std::fmt::Write as _;

use crate::aws::runs::RunTask;
use crate::ops::verify::{Failure, VerifyEvent, VerifyReport};

pub fn event_line(event: &VerifyEvent) -> String {
    match event {
        VerifyEvent::Deployment { name, created } => format!(
            "deployment {name} {}",
            if *created { "created" } else { "up to date" }
        ),
        VerifyEvent::FlowRun { name, id } => format!("flow run {name} ({id}) created"),
        VerifyEvent::State(phase) => format!("{:>7.1} s  {}", phase.at_seconds, phase.state),
        VerifyEvent::Task(task) => format!("          ECS task {} {}", task.id, task.last_status),
        VerifyEvent::Waiting { state, seconds } => {
            format!("          still {state} after {seconds} s")
        }
    }
}

fn or_unknown(v: &[String]) -> String {
    if v.is_empty() {
        "not reported".to_owned()
    } else {
        v.join(", ")
    }
}

fn task_lines(out: &mut String, t: &RunTask) {
    let _ = writeln!(out, "ECS task {} ({})", t.id, t.last_status);
    let _ = writeln!(out, "  subnets          {}", or_unknown(&t.subnets));
    let _ = writeln!(out, "  security groups  {}", or_unknown(&t.security_groups));
    let _ = writeln!(
        out,
        "  public IP        {}",
        t.public_ip.as_deref().unwrap_or("none")
    );
    let _ = writeln!(
        out,
        "  execution role   {}",
        t.execution_role.as_deref().unwrap_or("none")
    );
    let _ = writeln!(
        out,
        "  task role        {}",
        t.task_role.as_deref().unwrap_or("none")
    );
    if let Some(code) = t.exit_code {
        let _ = writeln!(out, "  exit code        {code}");
    }
    if let Some(reason) = &t.stopped_reason {
        let _ = writeln!(out, "  stopped because  {reason}");
    }
}

/// The whole report, for people.
pub fn render(r: &VerifyReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Flow run {} of {} ({}):",
        r.flow_run_name, r.deployment, r.flow_run_id
    );
    let mut previous = 0.0;
    let width = r.phases.iter().map(|p| p.state.len()).max().unwrap_or(0);
    for p in &r.phases {
        let _ = writeln!(
            out,
            "  {:<width$} at {:>6.1} s  (+{:.1} s)",
            p.state,
            p.at_seconds,
            p.at_seconds - previous
        );
        previous = p.at_seconds;
    }
    if let Some(t) = &r.task {
        task_lines(&mut out, t);
    }
    if !r.log_lines.is_empty() {
        let where_ = r
            .task
            .as_ref()
            .and_then(|t| {
                Some(format!(
                    "{} {}",
                    t.log_group.as_deref()?,
                    t.log_stream.as_deref()?
                ))
            })
            .unwrap_or_default();
        let _ = writeln!(out, "Its log lines ({where_}):");
        for line in &r.log_lines {
            let _ = writeln!(out, "  | {line}");
        }
    }
    match outcome(r) {
        Ok(summary) => {
            let _ = writeln!(out, "{summary}");
        }
        Err((what, todo)) => {
            let _ = writeln!(out, "{what}");
            let _ = writeln!(out, "What to do: {todo}");
        }
    }
    out
}

/// How it ended, in a sentence: `Ok` for Completed, else what went wrong and what to do.
pub fn outcome(r: &VerifyReport) -> Result<String, (String, String)> {
    match &r.failure {
        None => Ok(format!(
            "Flow run {} Completed in {:.1} s: the stack runs flows.",
            r.flow_run_name, r.seconds
        )),
        Some(f) => {
            let (what, todo) = explain(f);
            Err((
                format!(
                    "The flow run {} ended {}: {what}",
                    r.flow_run_name, r.final_state
                ),
                todo,
            ))
        }
    }
}

/// What went wrong and what to do, in words.
pub fn explain(f: &Failure) -> (String, String) {
    match f {
        Failure::NoNetworkPath { reason, subnets } => {
            let mut what = format!("the flow-run task could not start: {reason}");
            for (id, verdict) in subnets {
                let _ = write!(what, "\n  subnet {id}: {verdict}");
            }
            (
                what,
                "Point the work pool's network_configuration at subnets that reach the internet \
                 (a NAT gateway, or an internet gateway with assignPublicIp ENABLED) or have VPC \
                 endpoints for ECR, Secrets Manager and CloudWatch Logs; `prefect-tui discover` \
                 says which do, and `prefect-tui deploy` writes the profile's subnets back."
                    .to_owned(),
            )
        }
        Failure::ImagePull { reason } => (
            format!("the flow-run image could not be pulled: {reason}"),
            "Check the work pool's `image` variable names an image that exists, and that the \
             execution role may pull it (private registries need repository credentials)."
                .to_owned(),
        ),
        Failure::Secret { reason } => (
            format!("the flow-run task could not read the Prefect credential's secret: {reason}"),
            "Run `prefect-tui deploy` to restore the secret and the execution role's policy; \
             `prefect-tui plan` shows what differs."
                .to_owned(),
        ),
        Failure::WorkerDenied {
            action,
            role,
            message,
        } => (
            format!(
                "AWS denied {action} to the worker ({}), so it could not start the flow run. \
                 Prefect's message: {message}",
                role.as_deref()
                    .map(|r| format!("role {r}"))
                    .unwrap_or_else(|| "its role".to_owned())
            ),
            format!(
                "Run `prefect-tui deploy`: it puts the worker role's policy back, {action} \
                 included; `prefect-tui plan` shows the difference first."
            ),
        ),
        Failure::Crashed { exit_code, message } => (
            match exit_code {
                Some(code) => format!(
                    "the flow-run container exited with code {code} and the worker marked the \
                     run Crashed. {message}"
                ),
                None => format!("the flow run crashed: {message}"),
            },
            "Read the log lines above; the flow's own code, its image or the pool's `command` \
             is the usual cause."
                .to_owned(),
        ),
        Failure::StayedLate {
            seconds,
            workers_online,
        } => (
            format!(
                "no worker took the flow run in {seconds} s ({workers_online} worker(s) online \
                 in the pool)"
            ),
            "Open `prefect-tui monitor` to see the worker's tasks and logs; `prefect-tui \
             deploy` brings the service back to its desired count."
                .to_owned(),
        ),
        Failure::Ended { state, message } => (
            format!("the flow run ended {state}: {message}"),
            "Read the flow run's logs in Prefect (the log lines above are its container's)."
                .to_owned(),
        ),
        Failure::TimedOut { state, seconds } => (
            format!("still {state} after {seconds} s"),
            "Try again with a longer --timeout, or open `prefect-tui monitor` to see what the \
             worker is doing."
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_action_is_said_with_its_role_and_the_fix() {
        let (what, todo) = explain(&Failure::WorkerDenied {
            action: "ecs:RunTask".into(),
            role: Some("prefect-tui-prod-worker".into()),
            message: "not authorized".into(),
        });
        assert!(what.contains("AWS denied ecs:RunTask"), "{what}");
        assert!(what.contains("role prefect-tui-prod-worker"), "{what}");
        assert!(todo.contains("prefect-tui deploy"), "{todo}");
    }

    #[test]
    fn an_isolated_subnet_is_named_with_its_verdict() {
        let (what, _) = explain(&Failure::NoNetworkPath {
            reason: "CannotPullContainerError: i/o timeout".into(),
            subnets: vec![("subnet-1".into(), "isolated: no route out".into())],
        });
        assert!(what.contains("subnet subnet-1: isolated"), "{what}");
    }
}
