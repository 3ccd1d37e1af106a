//! The ECS event observer of the prefect-aws worker, as documents. The worker learns that a
//! flow-run task stopped (and crashed) from ECS "Task State Change" events, which an
//! EventBridge rule of the stack sends to an SQS queue of the stack; the worker reads that
//! queue. Without the queue the worker says "SQS queue ... does not exist" and a flow run
//! whose container dies is never marked Crashed.
//!
//! The queue is encrypted (SQS-managed keys), keeps what the observer could not handle in a
//! dead-letter queue, and accepts messages only from the stack's own rule: its policy has
//! one statement, limited by `aws:SourceArn` (the peer's second statement without that
//! condition would let any EventBridge rule of any account write to it). Pure JSON builders.

use serde_json::{Value, json};

use super::spec::StackSpec;

/// The rule's one target: the queue.
pub const RULE_TARGET_ID: &str = "prefect-tui-observer-queue";
/// Receives of one message before it goes to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// The queue keeps a message 4 days (SQS's default), the dead-letter queue 14 (its most).
pub const QUEUE_RETENTION_SECONDS: u32 = 345_600;
pub const DEAD_LETTER_RETENTION_SECONDS: u32 = 1_209_600;

/// The settings prefect-aws's observer reads (`prefect_aws/settings.py`,
/// `integrations.aws.ecs.observer`).
pub const OBSERVER_ENABLED: &str = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_ENABLED";
pub const OBSERVER_QUEUE_NAME: &str = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME";
pub const OBSERVER_QUEUE_REGION: &str = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION";
pub const OBSERVER_FORWARD_LOGS: &str =
    "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_FORWARD_CRASHED_RUN_LOGS";

pub fn queue_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:sqs:{region}:{account}:{name}")
}

pub fn rule_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:events:{region}:{account}:rule/{name}")
}

/// The observer's ARNs, predicted (SQS and EventBridge ARNs are made from the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObserverArns {
    pub queue: String,
    pub dead_letter_queue: String,
    pub rule: String,
}

impl ObserverArns {
    pub fn of(spec: &StackSpec, partition: &str, account: &str) -> Self {
        let region = spec.region.as_str();
        Self {
            queue: queue_arn(partition, region, account, &spec.names.events_queue()),
            dead_letter_queue: queue_arn(
                partition,
                region,
                account,
                &spec.names.events_dead_letter_queue(),
            ),
            rule: rule_arn(partition, region, account, &spec.names.events_rule()),
        }
    }
}

/// Every task state change in the stack's cluster: flow-run tasks and the worker's own.
pub fn event_pattern(cluster_arn: &str) -> Value {
    json!({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": { "clusterArn": [cluster_arn] }
    })
}

/// Only the stack's rule may send to the queue.
pub fn queue_policy(queue_arn: &str, rule_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OnlyTheStackRuleSends",
            "Effect": "Allow",
            "Principal": { "Service": "events.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": { "ArnEquals": { "aws:SourceArn": rule_arn } }
        }]
    })
}

pub fn redrive_policy(dead_letter_arn: &str) -> Value {
    json!({ "deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAX_RECEIVE_COUNT })
}

/// The attributes the stack owns on each queue, as SQS names and returns them. The queue's
/// policy and redrive policy are JSON in a string; they are compared by meaning (`same`).
pub fn queue_attributes(arns: &ObserverArns) -> Vec<(&'static str, String)> {
    vec![
        ("SqsManagedSseEnabled", "true".to_owned()),
        (
            "MessageRetentionPeriod",
            QUEUE_RETENTION_SECONDS.to_string(),
        ),
        ("Policy", queue_policy(&arns.queue, &arns.rule).to_string()),
        (
            "RedrivePolicy",
            redrive_policy(&arns.dead_letter_queue).to_string(),
        ),
    ]
}

pub fn dead_letter_attributes() -> Vec<(&'static str, String)> {
    vec![
        ("SqsManagedSseEnabled", "true".to_owned()),
        (
            "MessageRetentionPeriod",
            DEAD_LETTER_RETENTION_SECONDS.to_string(),
        ),
    ]
}

/// Whether a live attribute value is the wanted one: JSON documents by meaning.
pub fn same_attribute(live: &str, wanted: &str) -> bool {
    if live == wanted {
        return true;
    }
    match (
        serde_json::from_str::<Value>(live),
        serde_json::from_str::<Value>(wanted),
    ) {
        (Ok(a), Ok(b)) if a.is_object() => {
            super::policies::same_policy(&normalize_numbers(&a), &normalize_numbers(&b))
        }
        _ => false,
    }
}

/// SQS hands `maxReceiveCount` back as a number or as a string, depending on who wrote it.
fn normalize_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What the worker may do with the queue: exactly what the observer calls
/// (`prefect_aws/observers/ecs.py` of prefect-aws 0.7.12: GetQueueUrl, ReceiveMessage,
/// DeleteMessage, ChangeMessageVisibility), on it alone. GetQueueAttributes, which the
/// peer's template grants, is never called, so it is not granted.
pub fn worker_statement(queue_arn: &str) -> Value {
    json!({
        "Sid": "ReadTaskStateChangesFromTheStackQueue",
        "Effect": "Allow",
        "Action": [
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility"
        ],
        "Resource": queue_arn
    })
}

/// The worker container's settings that point its observer at the stack's queue.
pub fn worker_environment(spec: &StackSpec) -> Vec<(&'static str, String)> {
    vec![
        (OBSERVER_ENABLED, "true".to_owned()),
        (OBSERVER_QUEUE_NAME, spec.names.events_queue()),
        (OBSERVER_QUEUE_REGION, spec.region.clone()),
        (OBSERVER_FORWARD_LOGS, "true".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_accepts_only_the_stack_rule() {
        let doc = queue_policy(
            "arn:aws:sqs:eu-west-1:1:prefect-tui-prod-ecs-events",
            "arn:aws:events:eu-west-1:1:rule/prefect-tui-prod-ecs-task-state",
        );
        let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            statements.len(),
            1,
            "one statement, no unconditioned second one"
        );
        let only = &statements[0];
        assert_eq!(only["Principal"]["Service"], "events.amazonaws.com");
        assert_eq!(only["Action"], "sqs:SendMessage");
        assert_eq!(
            only["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:events:eu-west-1:1:rule/prefect-tui-prod-ecs-task-state"
        );
    }

    #[test]
    fn the_worker_reads_only_its_queue_and_cannot_send() {
        let statement = worker_statement("arn:aws:sqs:eu-west-1:1:q");
        assert_eq!(statement["Resource"], "arn:aws:sqs:eu-west-1:1:q");
        let actions: Vec<&str> = statement["Action"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(actions.contains(&"sqs:ReceiveMessage"));
        assert!(actions.contains(&"sqs:ChangeMessageVisibility"));
        assert!(
            !actions
                .iter()
                .any(|a| a.contains('*') || *a == "sqs:SendMessage")
        );
    }

    #[test]
    fn the_rule_matches_task_changes_of_one_cluster() {
        let pattern = event_pattern("arn:aws:ecs:eu-west-1:1:cluster/c");
        assert_eq!(pattern["source"], json!(["aws.ecs"]));
        assert_eq!(pattern["detail-type"], json!(["ECS Task State Change"]));
        assert_eq!(
            pattern["detail"]["clusterArn"],
            json!(["arn:aws:ecs:eu-west-1:1:cluster/c"])
        );
    }

    #[test]
    fn attributes_compare_by_meaning() {
        assert!(same_attribute(
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":"5"}"#,
            r#"{"maxReceiveCount":5,"deadLetterTargetArn":"a"}"#
        ));
        assert!(!same_attribute(
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":"4"}"#,
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":5}"#
        ));
        assert!(same_attribute("true", "true"));
        assert!(!same_attribute("false", "true"));
    }
}
