//! The alerting and scaling part of `plan()`: the topic, its e-mail subscriptions, the
//! alarms, the crash rule, the log error filter, the scalable target and its policy. Each
//! is compared field by field with what was read back, so an alarm edited in the console
//! or a bound changed by hand is planned back, and a feature turned off in the profile
//! plans its removal.

use std::collections::BTreeSet;

use serde_json::Value;

use super::alerting::{
    AlarmKind, CRASH_TARGET_ID, LOG_ERROR_PATTERN, crash_input, crash_pattern,
    log_error_transformation, scaling_configuration, topic_policy,
};
use super::desired::Desired;
use super::drift::FieldChange;
use super::observed::Observed;
use super::plan::{Action, Change, Resource, conflict};
use super::policies::same_policy;
use super::spec::StackSpec;

/// The changes in the order they are applied; conflicts go to `conflicts`.
pub(super) fn plan_alerting(
    spec: &StackSpec,
    observed: &Observed,
    desired: &Desired,
    conflicts: &mut Vec<String>,
) -> Vec<Change> {
    let live = &observed.alerting;
    let m = &spec.monitoring;
    let names = &spec.names;
    let mut changes = Vec::new();

    // The topic.
    let topic_name = names.alerts_topic();
    let wanted_policy = topic_policy(&desired.alerts, &observed.account_id, &observed.partition);
    match (&m.notifications, &live.topic) {
        (_, Some(t)) if !t.owned => {
            conflicts.push(conflict("SNS topic", &topic_name, &names.stack))
        }
        (Some(_), None) => changes.push(created(Resource::AlertsTopic, topic_name)),
        (Some(_), Some(t)) => {
            let mut values = Vec::new();
            if !t
                .policy
                .as_ref()
                .is_some_and(|p| same_policy(p, &wanted_policy))
            {
                values.push(FieldChange::new(
                    "Policy",
                    t.policy.clone().unwrap_or(Value::Null),
                    wanted_policy,
                ));
            }
            changes.push(compared(Resource::AlertsTopic, topic_name, values));
        }
        (None, Some(_)) => changes.push(deleted(Resource::AlertsTopic, topic_name)),
        (None, None) => {}
    }

    // Its e-mail subscriptions: added and removed by address.
    if let Some(n) = &m.notifications {
        let wanted: BTreeSet<String> = n.emails.iter().map(|e| e.to_ascii_lowercase()).collect();
        let mut fields = Vec::new();
        let mut action = Action::Noop;
        for email in &wanted {
            if !live.emails.contains_key(email) {
                fields.push(format!(
                    "subscribe {email} (AWS e-mails them a link; nothing reaches them until they confirm)"
                ));
                action = Action::Update;
            }
        }
        for (email, sub) in &live.emails {
            if wanted.contains(email) {
                continue;
            }
            if sub.arn.is_some() {
                fields.push(format!("unsubscribe {email}"));
                action = Action::Update;
            } else {
                fields.push(format!(
                    "{email} never confirmed: SNS removes such a subscription itself after 3 days"
                ));
            }
        }
        if live.topic.is_none() && !wanted.is_empty() {
            action = Action::Create;
        }
        if !wanted.is_empty() || !live.emails.is_empty() {
            changes.push(Change {
                resource: Resource::EmailSubscriptions,
                name: format!("{} address(es)", wanted.len()),
                action,
                fields,
                values: vec![],
            });
        }
    }

    // The alarms: one row, a field per alarm that changes.
    let wanted_alarms: Vec<Value> = match (&m.alarms, &m.notifications) {
        (Some(settings), Some(_)) => AlarmKind::ALL
            .iter()
            .map(|kind| {
                super::alerting::alarm(
                    *kind,
                    names,
                    spec.cluster.name(),
                    &spec.work_pool,
                    *settings,
                    &desired.alerts.topic,
                )
            })
            .collect(),
        _ => vec![],
    };
    let mut fields = Vec::new();
    let mut values = Vec::new();
    for doc in &wanted_alarms {
        let name = doc["AlarmName"].as_str().unwrap_or_default();
        match live.alarms.get(name) {
            None => fields.push(format!("{name}: create")),
            Some(have) => {
                let differ = differing(doc, have);
                if !differ.is_empty() {
                    fields.push(format!("{name}: {}", differ.join(", ")));
                    values.push(FieldChange::new(name, have.clone(), doc.clone()));
                }
            }
        }
    }
    let wanted_names: BTreeSet<&str> = wanted_alarms
        .iter()
        .filter_map(|d| d["AlarmName"].as_str())
        .collect();
    for name in live.alarms.keys() {
        if !wanted_names.contains(name.as_str()) {
            fields.push(format!("{name}: delete"));
        }
    }
    if !wanted_alarms.is_empty() || !live.alarms.is_empty() {
        let action = if wanted_alarms.is_empty() {
            Action::Delete
        } else if live.alarms.is_empty() {
            Action::Create
        } else if fields.is_empty() {
            Action::Noop
        } else {
            Action::Update
        };
        changes.push(Change {
            resource: Resource::Alarms,
            name: format!("{} alarm(s)", wanted_alarms.len()),
            action,
            fields: if action == Action::Create {
                vec![]
            } else {
                fields
            },
            values,
        });
    }

    // The crash rule, with the topic as its one target.
    let rule_name = names.crash_rule();
    let wants_rule = m.alarms.is_some() && m.notifications.is_some();
    match (&live.crash_rule, wants_rule) {
        (Some(r), _) if !r.owned => {
            conflicts.push(conflict("EventBridge rule", &rule_name, &names.stack))
        }
        (None, true) => changes.push(created(Resource::CrashRule, rule_name)),
        (Some(_), false) => changes.push(deleted(Resource::CrashRule, rule_name)),
        (Some(r), true) => {
            let mut values = Vec::new();
            let pattern = crash_pattern(&desired.cluster_arn);
            if r.pattern.as_ref() != Some(&pattern) {
                values.push(FieldChange::new(
                    "EventPattern",
                    r.pattern.clone().unwrap_or(Value::Null),
                    pattern,
                ));
            }
            if !r.enabled {
                values.push(FieldChange::new(
                    "State",
                    "DISABLED".into(),
                    "ENABLED".into(),
                ));
            }
            let (paths, template) = crash_input(names, &spec.work_pool);
            let wanted_target = (desired.alerts.topic.clone(), Some((paths, template)));
            let only_target = r.targets.len() == 1 && r.targets.contains_key(CRASH_TARGET_ID);
            if !only_target || live.crash_target.as_ref() != Some(&wanted_target) {
                values.push(FieldChange::new(
                    "Targets",
                    Value::from(r.targets.values().cloned().collect::<Vec<_>>()),
                    Value::from(vec![desired.alerts.topic.clone()]),
                ));
            }
            changes.push(compared(Resource::CrashRule, rule_name, values));
        }
        (None, false) => {}
    }

    // The log error filter.
    let filter_name = names.log_error_filter();
    match (&live.log_filter, m.alarms.is_some()) {
        (None, true) => changes.push(created(Resource::LogErrorFilter, filter_name)),
        (Some(_), false) => changes.push(deleted(Resource::LogErrorFilter, filter_name)),
        (Some(f), true) => {
            let mut values = Vec::new();
            if f.pattern != LOG_ERROR_PATTERN {
                values.push(FieldChange::new(
                    "filterPattern",
                    f.pattern.clone().into(),
                    LOG_ERROR_PATTERN.into(),
                ));
            }
            let wanted = log_error_transformation(names);
            if !differing(&wanted, &f.transformation).is_empty() {
                values.push(FieldChange::new(
                    "metricTransformations",
                    f.transformation.clone(),
                    wanted,
                ));
            }
            changes.push(compared(Resource::LogErrorFilter, filter_name, values));
        }
        (None, false) => {}
    }

    // The scalable target and its policy.
    let target_name = super::alerting::scalable_resource_id(spec.cluster.name(), &names.service());
    match (&live.scalable_target, m.scaling) {
        (None, Some(_)) => changes.push(created(Resource::ScalableTarget, target_name)),
        (Some(_), None) => changes.push(deleted(Resource::ScalableTarget, target_name)),
        (Some((min, max)), Some(s)) => {
            let mut values = Vec::new();
            for (field, have, want) in [("MinCapacity", *min, s.min), ("MaxCapacity", *max, s.max)]
            {
                if i64::from(have) != i64::from(want) {
                    values.push(FieldChange::new(field, have.into(), want.into()));
                }
            }
            changes.push(compared(Resource::ScalableTarget, target_name, values));
        }
        (None, None) => {}
    }
    let policy_name = names.scaling_policy();
    match (&live.scaling_policy, m.scaling) {
        (None, Some(_)) => changes.push(created(Resource::ScalingPolicy, policy_name)),
        (Some(_), None) => changes.push(deleted(Resource::ScalingPolicy, policy_name)),
        (Some(p), Some(s)) => {
            let wanted = scaling_configuration(names, s.target);
            let mut values = Vec::new();
            if p.policy_type != "TargetTrackingScaling" {
                values.push(FieldChange::new(
                    "PolicyType",
                    p.policy_type.clone().into(),
                    "TargetTrackingScaling".into(),
                ));
            }
            if !differing(&wanted, &p.configuration).is_empty()
                || !differing(&p.configuration, &wanted).is_empty()
            {
                values.push(FieldChange::new(
                    "TargetTrackingScalingPolicyConfiguration",
                    p.configuration.clone(),
                    wanted,
                ));
            }
            changes.push(compared(Resource::ScalingPolicy, policy_name, values));
        }
        (None, None) => {}
    }
    changes
}

fn created(resource: Resource, name: String) -> Change {
    Change {
        resource,
        name,
        action: Action::Create,
        fields: vec![],
        values: vec![],
    }
}

fn deleted(resource: Resource, name: String) -> Change {
    Change {
        resource,
        name,
        action: Action::Delete,
        fields: vec!["not in the profile any more".to_owned()],
        values: vec![],
    }
}

fn compared(resource: Resource, name: String, values: Vec<FieldChange>) -> Change {
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

/// The keys of `wanted` whose value `live` does not have. Numbers compare by value
/// (`60` and `60.0`), lists of objects by their members, whatever their order.
pub fn differing(wanted: &Value, live: &Value) -> Vec<String> {
    let Some(map) = wanted.as_object() else {
        return if same(wanted, live) {
            vec![]
        } else {
            vec!["value".to_owned()]
        };
    };
    map.iter()
        .filter(|(k, v)| !same(v, live.get(k.as_str()).unwrap_or(&Value::Null)))
        .map(|(k, _)| k.clone())
        .collect()
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().all(|v| y.iter().any(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// What an owned cluster lacks: Container Insights for the workers-below-desired alarm,
/// the Fargate Spot capacity provider for flow runs on Spot.
pub(super) fn cluster_fields(
    spec: &StackSpec,
    c: &super::observed::ObservedCluster,
) -> Vec<String> {
    let mut fields = Vec::new();
    if spec.monitoring.alarms.is_some() && !c.insights {
        fields.push(
            "Container Insights: off -> on (the workers-below-desired alarm reads it)".into(),
        );
    }
    if spec.monitoring.spot_flow_runs && !c.capacity_providers.iter().any(|p| p == "FARGATE_SPOT") {
        fields.push("capacity providers: + FARGATE_SPOT (flow runs on Spot)".into());
    }
    fields
}

/// What a cluster the user brought lacks for this profile, each as a sentence that says what
/// AWS would do and how to fix it: prefect-tui changes no cluster it does not own.
pub(super) fn brought_cluster_lacks(
    spec: &StackSpec,
    name: &str,
    c: &super::observed::ObservedCluster,
) -> Vec<String> {
    let mut lacks = Vec::new();
    if spec.monitoring.spot_flow_runs && !c.capacity_providers.iter().any(|p| p == "FARGATE_SPOT") {
        let mut providers = c.capacity_providers.clone();
        if !providers.iter().any(|p| p == "FARGATE") {
            providers.push("FARGATE".into());
        }
        providers.push("FARGATE_SPOT".into());
        lacks.push(format!(
            "the cluster {name} named in the profile has no FARGATE_SPOT capacity provider, so \
             ECS would refuse every flow run on Spot (InvalidParameterException): associate it \
             (`aws ecs put-cluster-capacity-providers --cluster {name} --capacity-providers {} \
             --default-capacity-provider-strategy '[]'`; the list replaces the cluster's, so \
             keep its providers in it), or set `spot = false` under [flow_runs]",
            providers.join(" ")
        ));
    }
    if spec.monitoring.alarms.is_some() && !c.insights {
        lacks.push(format!(
            "the cluster {name} named in the profile has Container Insights off, so the \
             workers-below-desired alarm would never have data and never fire: turn it on \
             (`aws ecs update-cluster-settings --cluster {name} --settings \
             name=containerInsights,value=enabled`; it is billed per metric), or remove [alarms]"
        ));
    }
    lacks
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_lists_by_members() {
        assert!(
            differing(
                &json!({"Period": 60, "Threshold": 1.0}),
                &json!({"Period": 60.0, "Threshold": 1})
            )
            .is_empty()
        );
        assert_eq!(
            differing(&json!({"Period": 60}), &json!({"Period": 300})),
            vec!["Period".to_owned()]
        );
        assert!(
            differing(
                &json!({"A": [{"x": 1}, {"y": 2}]}),
                &json!({"A": [{"y": 2}, {"x": 1}]})
            )
            .is_empty()
        );
        assert_eq!(
            differing(&json!({"A": ["t"]}), &json!({})),
            vec!["A".to_owned()]
        );
    }
}
