//! The plan for people: one line per resource, the fields that change below it.

use std::fmt::Write as _;

use crate::stack::plan::{Action, Plan};

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
