//! Words for the day-two commands: the history of revisions, and what a rotation, an
//! upgrade or a rollback is about to do.

use crate::ops::history::HistoryEntry;
use crate::stack::StackSpec;
use crate::stack::image;

/// `history`: one block per revision, newest first.
pub fn history(entries: &[HistoryEntry], spec: &StackSpec) -> String {
    if entries.is_empty() {
        return format!(
            "Stack {} has no task-definition revisions: it is not deployed.\n",
            spec.names.stack
        );
    }
    let mut text = format!(
        "Revisions of {} (newest first; * is the one the service runs):\n",
        spec.names.task_family()
    );
    for e in entries {
        let image_text = e.image.as_deref().unwrap_or("?");
        text.push_str(&format!(
            "{} {:>4}  {}  cpu {} memory {}  {}\n",
            if e.live { "*" } else { " " },
            e.revision,
            e.registered_at
                .as_deref()
                .unwrap_or("(registration time not reported)"),
            e.cpu.as_deref().unwrap_or("?"),
            e.memory.as_deref().unwrap_or("?"),
            image_text,
        ));
        text.push_str(&format!("        {}\n", image::describe(image_text)));
        if e.failed_rollout {
            text.push_str(
                "        its rollout failed: ECS's circuit breaker rolled the service back\n",
            );
        }
        if e.changed.is_empty() {
            text.push_str("        (the oldest listed: nothing to compare with)\n");
        }
        for change in &e.changed {
            text.push_str(&format!("        changed {change}\n"));
        }
    }
    text
}

/// What `rotate-key` is about to do.
pub fn rotation_plan(spec: &StackSpec, already_stored: bool) -> String {
    let secret = spec.secret_name.as_deref().unwrap_or("(none)");
    let mut text = format!(
        "Rotate the Prefect credential of stack {}. Prefect accepted the new one ({}).\n",
        spec.names.stack,
        spec.prefect.api_url()
    );
    if already_stored {
        text.push_str(&format!(
            "  secret {secret}: already holds the new credential (an earlier rotation stored it)\n"
        ));
    } else {
        text.push_str(&format!(
            "  secret {secret}: a new version with the new credential (never shown)\n"
        ));
    }
    text.push_str(&format!(
        "  service {}: a new deployment; new tasks read the new version, the old tasks stop \
         once the new ones are healthy\n",
        spec.names.service()
    ));
    text
}

/// What `upgrade` is about to do.
pub fn upgrade_plan(from: &str, to: &str, spec: &StackSpec) -> String {
    let mut text = format!("Upgrade the worker of stack {}:\n", spec.names.stack);
    text.push_str(&format!(
        "  running  {from}\n           {}\n",
        image::describe(from)
    ));
    text.push_str(&format!(
        "  target   {to}\n           {}\n",
        image::describe(to)
    ));
    if let Some(why) = image::floats(to) {
        text.push_str(&format!("Warning: the target floats: {why}.\n"));
    }
    text.push_str(
        "A new task-definition revision, rolled out by ECS: new tasks start first, the old stop \
         once the new are healthy. If the new tasks keep failing, ECS's circuit breaker rolls the \
         service back. The profile gets the new image once it serves.\n",
    );
    text
}

/// What `rollback` is about to do: the diff of the two revisions.
pub fn rollback_plan(live: i32, target: i32, diff: &[String], spec: &StackSpec) -> String {
    let family = spec.names.task_family();
    let mut text = format!(
        "Roll back stack {} from {family}:{live} (live) to {family}:{target}:\n",
        spec.names.stack
    );
    if diff.is_empty() {
        text.push_str("  the two revisions render the same fields\n");
    }
    for change in diff {
        text.push_str(&format!("  {change}\n"));
    }
    text.push_str(
        "The profile's image, cpu and memory are set to the revision's, so the next `deploy` \
         keeps it.\n",
    );
    text
}
