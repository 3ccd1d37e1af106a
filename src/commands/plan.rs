//! `prefect-tui plan`: what a deploy would change, read-only.

use std::fmt::Write as _;

use serde_json::json;

use crate::cli::{GlobalArgs, OutputFormat, PlanArgs};
use crate::engine;
use crate::stack::plan::{Action, Plan};

use super::{CommandError, load_profile, print_out, read_credential};

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, &args.profile)?;
    let key = read_credential(&loaded.spec, false)?;
    let prepared = engine::prepare(
        &global.aws_settings(),
        &loaded.spec,
        key.as_ref(),
        args.overwrite_pool_defaults,
    )
    .await?;
    let text = match args.output {
        OutputFormat::Json => {
            let mut text =
                serde_json::to_string_pretty(&json!({ "changes": prepared.plan.changes }))
                    .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
            text.push('\n');
            text
        }
        OutputFormat::Table => {
            let mut text = render_plan(
                &prepared.plan,
                &loaded.spec.names.stack,
                &prepared.identity.account,
                &loaded.spec.region,
            );
            if let Some(note) = &prepared.observed.work_pool_note {
                text.push_str(&format!("Work pool not checked: {note}\n"));
            }
            text
        }
    };
    print_out(&text)
}

/// The plan for people: one line per resource, changed fields indented below.
pub fn render_plan(plan: &Plan, stack: &str, account: &str, region: &str) -> String {
    let mut out = format!("Plan for stack {stack} (account {account}, {region}):\n");
    for change in &plan.changes {
        let _ = writeln!(
            out,
            "  {:<8} {:<16} {}",
            change.action.as_str(),
            change.resource.as_str(),
            change.name
        );
        for field in &change.fields {
            let _ = writeln!(out, "             {field}");
        }
    }
    let count = |a: Action| plan.changes.iter().filter(|c| c.action == a).count();
    let _ = writeln!(
        out,
        "{} to create, {} to update, {} to replace, {} unchanged.",
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        count(Action::Noop)
    );
    out
}
