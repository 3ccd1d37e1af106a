//! The IAM documents of the stack, least privilege as DESIGN.md states it. Pure JSON
//! builders: the executor sends them, the planner compares them with what IAM returns.

use serde_json::{Value, json};

/// The managed policy every ECS task execution role gets: image pull and log writing.
pub const EXECUTION_MANAGED_POLICY: &str = "service-role/AmazonECSTaskExecutionRolePolicy";
/// Inline policy names; changing them orphans the old ones on existing stacks.
pub const EXECUTION_INLINE_POLICY: &str = "prefect-tui-read-api-key";
pub const WORKER_INLINE_POLICY: &str = "prefect-tui-ecs-worker";

pub fn managed_policy_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

pub fn role_arn(partition: &str, account: &str, role: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role}")
}

/// Trust for both roles: only ECS tasks may assume them.
pub fn ecs_tasks_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The execution role may read exactly one secret: the one holding the Prefect credential.
pub fn execution_inline(secret_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadPrefectCredential",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn
        }]
    })
}

/// What the prefect-aws ECS worker needs to start flow runs in its cluster, and no more.
/// `pass_roles` are the roles flow-run tasks use (their execution role); PassRole is
/// limited to them and to ECS tasks.
pub fn worker_inline(
    cluster_arn: &str,
    log_group_arn: &str,
    pass_roles: &[String],
    events_queue_arn: &str,
) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageFlowRunTaskDefinitions",
                "Effect": "Allow",
                "Action": [
                    "ecs:RegisterTaskDefinition",
                    "ecs:DeregisterTaskDefinition",
                    "ecs:DescribeTaskDefinition",
                    "ecs:TagResource"
                ],
                "Resource": "*"
            },
            {
                "Sid": "RunFlowRunsInTheStackCluster",
                "Effect": "Allow",
                "Action": ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"],
                "Resource": "*",
                "Condition": { "ArnEquals": { "ecs:cluster": cluster_arn } }
            },
            {
                "Sid": "ReadNetwork",
                "Effect": "Allow",
                "Action": ["ec2:DescribeVpcs", "ec2:DescribeSubnets"],
                "Resource": "*"
            },
            {
                "Sid": "ReadFlowRunLogs",
                "Effect": "Allow",
                "Action": ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
                "Resource": [log_group_arn, format!("{log_group_arn}:*")]
            },
            {
                "Sid": "PassOnlyFlowRunRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": pass_roles,
                "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
            },
            super::observer::worker_statement(events_queue_arn)
        ]
    })
}

/// IAM returns policy documents URL-encoded; compares them by meaning, not by text.
pub fn same_policy(observed: &Value, desired: &Value) -> bool {
    normalize(observed) == normalize(desired)
}

/// IAM accepts a single string where a one-element list is meant, and may reorder nothing
/// else; this folds the one difference it introduces.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => normalize(&items[0]),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_policy_names_only_the_secret() {
        let arn =
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-tui/prod/api-key-AbCdEf";
        let doc = execution_inline(arn);
        let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Resource"], arn);
        assert_eq!(statements[0]["Action"], "secretsmanager:GetSecretValue");
    }

    #[test]
    fn worker_passes_only_the_given_roles_to_ecs_tasks() {
        let roles = vec!["arn:aws:iam::1:role/exec".to_owned()];
        let doc = worker_inline(
            "arn:aws:ecs:us-east-1:1:cluster/c",
            "arn:aws:logs:us-east-1:1:log-group:/g",
            &roles,
            "arn:aws:sqs:us-east-1:1:q",
        );
        let pass = doc["Statement"]
            .as_array()
            .and_then(|s| s.iter().find(|st| st["Action"] == "iam:PassRole"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(pass["Resource"], json!(["arn:aws:iam::1:role/exec"]));
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
        assert!(!doc.to_string().contains("\"iam:*\""));
    }

    #[test]
    fn policies_compare_by_meaning() {
        let a = json!({"Statement": [{"Action": ["s3:GetObject"], "Resource": "*"}]});
        let b = json!({"Statement": {"Action": "s3:GetObject", "Resource": "*"}});
        assert!(same_policy(&a, &b));
        let c = json!({"Statement": [{"Action": "s3:PutObject", "Resource": "*"}]});
        assert!(!same_policy(&a, &c));
    }
}
