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
    let deletes = match count(Action::Delete) {
        0 => String::new(),
        n => format!("{n} to delete, "),
    };
    let _ = writeln!(
        out,
        "{} to create, {} to update, {} to replace, {deletes}{} unchanged.",
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        count(Action::Noop)
    );
    if plan.changes.iter().any(|c| !c.values.is_empty()) {
        out.push_str(
            "Drift: `field: a -> b` reads live value -> the profile's; deploy puts the profile's back.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render_plan;
    use crate::stack::drift::FieldChange;
    use crate::stack::plan::{Action, Change, Plan, Resource};

    fn plan(values: Vec<FieldChange>) -> Plan {
        Plan {
            changes: vec![Change {
                resource: Resource::Service,
                name: "prefect-tui-prod-worker".into(),
                action: if values.is_empty() {
                    Action::Noop
                } else {
                    Action::Update
                },
                fields: values.iter().map(FieldChange::describe).collect(),
                values,
            }],
            force_new_deployment: false,
        }
    }

    #[test]
    fn drift_says_which_side_is_live() {
        let drifted = plan(vec![FieldChange {
            field: "desired_count".into(),
            live: serde_json::json!(2),
            wanted: serde_json::json!(1),
            keep: None,
        }]);
        let text = render_plan(&drifted, "prod", "123456789012", "us-east-1");
        assert!(text.contains("reads live value -> the profile's"), "{text}");
        let clean = render_plan(&plan(Vec::new()), "prod", "123456789012", "us-east-1");
        assert!(!clean.contains("Drift:"), "{clean}");
    }
}
