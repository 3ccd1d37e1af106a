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

/// The stack's cluster, as the worker's policy names it.
pub fn cluster_arn(partition: &str, region: &str, account: &str, cluster: &str) -> String {
    format!("arn:{partition}:ecs:{region}:{account}:cluster/{cluster}")
}

/// The stack's log group, as the worker's policy names it.
pub fn log_group_arn(partition: &str, region: &str, account: &str, group: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{group}")
}

/// Trust for both roles: only ECS tasks, and only on behalf of the stack's own account
/// (`aws:SourceAccount`, AWS's advice against the cross-service confused deputy: without it
/// ECS would assume the role for a task of any account that can name it). `aws:SourceArn`
/// is left out: ECS documents it for the task role, not for the execution role, and a
/// condition on a key the service does not send never matches, so tasks would not start.
pub fn ecs_tasks_trust(account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": account } }
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

/// Where the worker's flow runs live: its cluster, the task-definition families the
/// prefect-aws worker registers for the pool (`prefect_<pool>_<deployment or flow id>`,
/// `ECS_DEFAULT_FAMILY` in `workers/ecs_worker.py`), and the pool's log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerScope<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub cluster: &'a str,
    pub work_pool: &'a str,
    pub log_group_arn: &'a str,
    /// The roles flow-run tasks use (their execution role).
    pub pass_roles: &'a [String],
    pub events_queue_arn: &'a str,
}

/// What the prefect-aws ECS worker needs to start flow runs in its cluster, and no more,
/// scoped by the resource types AWS's service authorization reference gives each action:
/// task definitions of the pool's families (register, run), tasks of the stack's cluster
/// (describe, stop), tags only as RunTask and RegisterTaskDefinition create them. Describe
/// of task definitions takes no resource, so it stays on `*`. PassRole is
/// limited to the flow-run roles and to ECS tasks.
///
/// On the emulators the stand-in checks the worker's requests against this policy, its
/// conditions included (`scripts/standin/iam_conditions.py`: `ecs:cluster`,
/// `iam:PassedToService`, `ecs:CreateAction`); the documents are also pinned by this
/// module's tests and linted with parliament in `tests/policy_lint.rs`.
pub fn worker_inline(scope: &WorkerScope<'_>) -> Value {
    let WorkerScope {
        partition: p,
        region: r,
        account: a,
        cluster,
        work_pool,
        log_group_arn,
        pass_roles,
        events_queue_arn,
    } = scope;
    let families = format!("arn:{p}:ecs:{r}:{a}:task-definition/prefect_{work_pool}_*");
    let tasks = format!("arn:{p}:ecs:{r}:{a}:task/{cluster}/*");
    let cluster_arn = format!("arn:{p}:ecs:{r}:{a}:cluster/{cluster}");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegisterFlowRunTaskDefinitions",
                "Effect": "Allow",
                "Action": "ecs:RegisterTaskDefinition",
                "Resource": families
            },
            // DescribeTaskDefinition takes no resource type, so it stays on `*`. No
            // DeregisterTaskDefinition: prefect-aws calls it only with the pool's
            // `auto_deregister_task_definition`, which is off by default and which the
            // stack's pool defaults (reusing one revision per family) make pointless.
            {
                "Sid": "ReadTaskDefinitions",
                "Effect": "Allow",
                "Action": "ecs:DescribeTaskDefinition",
                "Resource": "*"
            },
            {
                "Sid": "RunFlowRunsInTheStackCluster",
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": families,
                "Condition": { "ArnEquals": { "ecs:cluster": cluster_arn } }
            },
            {
                "Sid": "WatchAndStopFlowRunTasks",
                "Effect": "Allow",
                "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
                "Resource": tasks
            },
            {
                "Sid": "TagWhatItCreates",
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": [families, tasks],
                "Condition": { "StringEquals": {
                    "ecs:CreateAction": ["RunTask", "RegisterTaskDefinition"]
                } }
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
                // The observer reads a crashed run's container output to forward it to
                // Prefect (prefect-aws 0.7.12 calls nothing else of CloudWatch Logs).
                "Action": "logs:GetLogEvents",
                "Resource": format!("{log_group_arn}:log-stream:*")
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

    fn scope(roles: &[String]) -> WorkerScope<'_> {
        WorkerScope {
            partition: "aws",
            region: "us-east-1",
            account: "1",
            cluster: "c",
            work_pool: "ecs-prod",
            log_group_arn: "arn:aws:logs:us-east-1:1:log-group:/g",
            pass_roles: roles,
            events_queue_arn: "arn:aws:sqs:us-east-1:1:q",
        }
    }

    fn statement(doc: &Value, sid: &str) -> Value {
        doc["Statement"]
            .as_array()
            .and_then(|s| s.iter().find(|st| st["Sid"] == sid))
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn the_worker_runs_and_registers_only_the_pool_families_in_its_cluster() {
        let roles = vec![];
        let doc = worker_inline(&scope(&roles));
        let family = "arn:aws:ecs:us-east-1:1:task-definition/prefect_ecs-prod_*";
        let run = statement(&doc, "RunFlowRunsInTheStackCluster");
        assert_eq!(run["Action"], "ecs:RunTask");
        assert_eq!(run["Resource"], family);
        assert_eq!(
            run["Condition"]["ArnEquals"]["ecs:cluster"],
            "arn:aws:ecs:us-east-1:1:cluster/c"
        );
        assert_eq!(
            statement(&doc, "RegisterFlowRunTaskDefinitions")["Resource"],
            family
        );
        assert_eq!(
            statement(&doc, "WatchAndStopFlowRunTasks")["Resource"],
            "arn:aws:ecs:us-east-1:1:task/c/*"
        );
        let tag = statement(&doc, "TagWhatItCreates");
        assert_eq!(
            tag["Condition"]["StringEquals"]["ecs:CreateAction"],
            json!(["RunTask", "RegisterTaskDefinition"])
        );
        // Only the two task-definition reads that take no resource stay on `*`, and EC2's.
        let on_star: Vec<Value> = doc["Statement"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter(|st| st["Resource"] == "*")
                    .map(|st| st["Action"].clone())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            on_star,
            vec![
                json!("ecs:DescribeTaskDefinition"),
                json!(["ec2:DescribeVpcs", "ec2:DescribeSubnets"])
            ]
        );
    }

    #[test]
    fn worker_passes_only_the_given_roles_to_ecs_tasks() {
        let roles = vec!["arn:aws:iam::1:role/exec".to_owned()];
        let doc = worker_inline(&scope(&roles));
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
