//! The observer's part of `plan()`: the dead-letter queue, the queue and the rule, each
//! compared by its live attributes, so a policy loosened or a rule disabled by hand is
//! planned back.

use serde_json::Value;

use super::desired::Desired;
use super::drift::FieldChange;
use super::observed::{ObservedQueue, ObservedRule};
use super::observer::{
    RULE_TARGET_ID, dead_letter_attributes, event_pattern, queue_attributes, same_attribute,
};
use super::plan::{Action, Change, Resource};
use super::spec::StackSpec;
use super::{observed::Observed, plan::conflict};

/// The three changes, in the order they are applied; conflicts go to `conflicts`.
pub(super) fn plan_observer(
    spec: &StackSpec,
    observed: &Observed,
    desired: &Desired,
    conflicts: &mut Vec<String>,
) -> Vec<Change> {
    let stack = spec.names.stack.as_str();
    let mut changes = Vec::new();
    let queues = [
        (
            Resource::EventsDeadLetterQueue,
            spec.names.events_dead_letter_queue(),
            observed.events_dead_letter_queue.as_ref(),
            dead_letter_attributes(),
        ),
        (
            Resource::EventsQueue,
            spec.names.events_queue(),
            observed.events_queue.as_ref(),
            queue_attributes(&desired.observer),
        ),
    ];
    for (resource, name, live, wanted) in queues {
        match live {
            Some(q) if !q.owned => conflicts.push(conflict("queue", &name, stack)),
            live => changes.push(queue_change(resource, name, live, &wanted)),
        }
    }
    let rule_name = spec.names.events_rule();
    match &observed.events_rule {
        Some(r) if !r.owned => conflicts.push(conflict("EventBridge rule", &rule_name, stack)),
        live => changes.push(rule_change(
            rule_name,
            live.as_ref(),
            &event_pattern(&desired.cluster_arn),
            &desired.observer.queue,
        )),
    }
    changes
}

fn change(resource: Resource, name: String, values: Vec<FieldChange>) -> Change {
    Change {
        resource,
        name,
        action: if values.is_empty() {
            Action::Noop
        } else {
            Action::Update
        },
        fields: values.iter().map(FieldChange::describe).collect(),
        values,
    }
}

fn as_value(text: &str) -> Value {
    serde_json::from_str(text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::from(text))
}

fn queue_change(
    resource: Resource,
    name: String,
    live: Option<&ObservedQueue>,
    wanted: &[(&'static str, String)],
) -> Change {
    let Some(q) = live else {
        return Change {
            resource,
            name,
            action: Action::Create,
            fields: vec![],
            values: vec![],
        };
    };
    let values = wanted
        .iter()
        .filter(|(attribute, want)| {
            !q.attributes
                .get(*attribute)
                .is_some_and(|have| same_attribute(have, want))
        })
        .map(|(attribute, want)| {
            FieldChange::new(
                *attribute,
                q.attributes
                    .get(*attribute)
                    .map(|have| as_value(have))
                    .unwrap_or(Value::Null),
                as_value(want),
            )
        })
        .collect();
    change(resource, name, values)
}

fn rule_change(
    name: String,
    live: Option<&ObservedRule>,
    pattern: &Value,
    queue_arn: &str,
) -> Change {
    let Some(r) = live else {
        return Change {
            resource: Resource::EventRule,
            name,
            action: Action::Create,
            fields: vec![],
            values: vec![],
        };
    };
    let mut values = Vec::new();
    if r.pattern.as_ref() != Some(pattern) {
        values.push(FieldChange::new(
            "EventPattern",
            r.pattern.clone().unwrap_or(Value::Null),
            pattern.clone(),
        ));
    }
    if !r.enabled {
        values.push(FieldChange::new(
            "State",
            Value::from("DISABLED"),
            Value::from("ENABLED"),
        ));
    }
    if r.targets.len() != 1 || r.targets.get(RULE_TARGET_ID).map(String::as_str) != Some(queue_arn)
    {
        values.push(FieldChange::new(
            "Targets",
            Value::from(r.targets.values().cloned().collect::<Vec<_>>()),
            Value::from(vec![queue_arn.to_owned()]),
        ));
    }
    change(Resource::EventRule, name, values)
}
