//! `prefect-tui status`: the stack's state, once, for people or scripts.

use std::fmt::Write as _;

use crate::cli::{GlobalArgs, OutputFormat, StatusArgs};
use crate::ops::{self, status::StackStatus};

use super::{CommandError, load_profile, print_out};

pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let ctx = ops::connect::connect(&global.aws_settings(), spec).await?;
    let status =
        ops::status::stack_status(&ctx.aws, &ctx.prefect, spec, &ctx.identity.account).await;
    let text = match args.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&status)
                .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
            text.push('\n');
            text
        }
        OutputFormat::Table => render_status(&status),
    };
    print_out(&text)
}

pub fn render_status(s: &StackStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stack {} (account {}, {}), cluster {}, pool {}",
        s.stack, s.account, s.region, s.cluster, s.work_pool
    );
    match &s.service {
        None => {
            let _ = writeln!(out, "Service: not deployed");
        }
        Some(svc) => {
            let _ = writeln!(
                out,
                "Service {} {}: {} desired, {} running, {} pending",
                svc.name, svc.status, svc.desired, svc.running, svc.pending
            );
            for d in &svc.deployments {
                let _ = writeln!(
                    out,
                    "  deployment {} {} {} rollout {}",
                    d.status,
                    d.task_definition,
                    d.id,
                    d.rollout_state.as_deref().unwrap_or("-")
                );
            }
            for (when, message) in svc.events.iter().take(3) {
                let _ = writeln!(out, "  event {when} {message}");
            }
        }
    }
    let _ = writeln!(out, "Tasks:");
    if s.tasks.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for t in &s.tasks {
        let _ = writeln!(
            out,
            "  {} {}/{} health {} {} {}",
            t.id,
            t.last_status,
            t.desired_status,
            t.health,
            t.task_definition,
            t.az.as_deref().unwrap_or("-")
        );
        if let Some(advice) = &t.advice {
            let _ = writeln!(out, "    {advice}");
        }
    }
    let _ = writeln!(out, "Workers:");
    if s.workers.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for w in &s.workers {
        let age = w
            .heartbeat_age
            .map(|a| format!("{a}s ago"))
            .unwrap_or_else(|| "never".to_owned());
        let _ = writeln!(out, "  {} {} heartbeat {age}", w.name, w.status);
    }
    let _ = writeln!(out, "Flow runs:");
    if s.flow_runs.is_empty() {
        let _ = writeln!(out, "  none yet");
    }
    for r in &s.flow_runs {
        let _ = writeln!(
            out,
            "  {} {} {}",
            r.name,
            r.state_name(),
            r.start_time.as_deref().unwrap_or("-")
        );
    }
    for e in &s.errors {
        let _ = writeln!(out, "Could not read {e}");
    }
    out
}
