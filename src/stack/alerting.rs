//! Ready for production, as documents: the stack's SNS topic and who it e-mails, the
//! alarms into it, the rule that says when a flow-run task crashed, the filter that counts
//! errors in the stack's logs, the metrics sidecar that publishes the pool's backlog and
//! online workers, and Application Auto Scaling of the worker service. Pure: the
//! documents are JSON with AWS's own field names, so `plan()` compares them with what
//! DescribeAlarms and friends return, key by key.
//!
//! Why a sidecar: a worker only submits flow runs, so its CPU says little about a backlog,
//! and Prefect's own numbers (late runs, online workers) are not in CloudWatch. A second,
//! non-essential container of the worker's own image asks the Prefect API every minute and
//! puts three metrics into the stack's namespace (`assets/metrics_sidecar.py`). It dies
//! with the task, so "no worker online" treats missing data as breaching: no data is itself
//! the sign. With two workers both publish the same pool figures; the alarms and the
//! scaling policy read averages and maxima, which two equal figures do not change.

use serde_json::{Value, json};

use super::names::StackNames;

/// The sidecar's container name, and the log stream prefix of its output.
pub const SIDECAR_NAME: &str = "prefect-tui-metrics";
pub const SIDECAR_STREAM_PREFIX: &str = "metrics";
/// How often the sidecar publishes, in seconds.
pub const METRICS_INTERVAL_SECONDS: u32 = 60;
/// The sidecar's share of the task: taken from the worker container's, so the two add up
/// to the task size Fargate bills.
pub const SIDECAR_CPU: u32 = 64;
pub const SIDECAR_MEMORY: u32 = 128;
pub const BACKLOG_METRIC: &str = "Backlog";
pub const ONLINE_WORKERS_METRIC: &str = "OnlineWorkers";
pub const BACKLOG_PER_WORKER_METRIC: &str = "BacklogPerWorker";
pub const LOG_ERRORS_METRIC: &str = "LogErrors";
/// The crash rule's one target: the topic.
pub const CRASH_TARGET_ID: &str = "prefect-tui-alerts-topic";
/// The sidecar's program, run with `python -c`.
pub const SIDECAR_SCRIPT: &str = include_str!("../../assets/metrics_sidecar.py");
/// The words CloudWatch Logs counts as an error in the worker's or a flow run's output:
/// Prefect's log level columns, and Python's tracebacks.
pub const LOG_ERROR_PATTERN: &str = "?\"| ERROR\" ?\"| CRITICAL\" ?Traceback";

/// Who the topic e-mails. Each address must confirm the subscription AWS sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifications {
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmSettings {
    /// How long a worker shortfall lasts before the alarm fires.
    pub minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalingTarget {
    /// Due flow runs per online worker (the sidecar's BacklogPerWorker).
    BacklogPerWorker(u32),
    /// The service's average CPU, in percent.
    CpuPercent(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    pub target: ScalingTarget,
}

impl Scaling {
    /// Whether a live desired count is Application Auto Scaling's to keep: one between the
    /// bounds is where scaling put it, so a deploy leaves it; one outside them is set back.
    pub fn owns_count(&self, live: i64) -> bool {
        (i64::from(self.min)..=i64::from(self.max)).contains(&live)
    }
}

/// The production settings of a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Monitoring {
    pub notifications: Option<Notifications>,
    pub alarms: Option<AlarmSettings>,
    pub scaling: Option<Scaling>,
    /// The pool's flow runs go to Fargate Spot.
    pub spot_flow_runs: bool,
}

impl Monitoring {
    /// Whether the worker task carries the metrics sidecar.
    pub fn sidecar(&self) -> bool {
        self.alarms.is_some()
            || matches!(
                self.scaling,
                Some(Scaling {
                    target: ScalingTarget::BacklogPerWorker(_),
                    ..
                })
            )
    }

    /// The most workers the service may run.
    pub fn max_workers(&self, desired: u32) -> u32 {
        self.scaling.map_or(desired, |s| s.max.max(desired))
    }
}

/// Where each piece lives, by name.
impl StackNames {
    pub fn alerts_topic(&self) -> String {
        format!("prefect-tui-{}-alerts", self.stack)
    }
    /// The stack's own CloudWatch namespace: the IAM policy lets the sidecar write only here.
    pub fn metrics_namespace(&self) -> String {
        format!("PrefectTUI/{}", self.stack)
    }
    pub fn alarm(&self, kind: AlarmKind) -> String {
        format!("prefect-tui-{}-{}", self.stack, kind.suffix())
    }
    /// The alarm names all start so; DescribeAlarms reads them by this prefix.
    pub fn alarm_prefix(&self) -> String {
        format!("prefect-tui-{}-", self.stack)
    }
    pub fn crash_rule(&self) -> String {
        format!("prefect-tui-{}-flow-run-crashed", self.stack)
    }
    pub fn log_error_filter(&self) -> String {
        format!("prefect-tui-{}-errors", self.stack)
    }
    pub fn scaling_policy(&self) -> String {
        format!("prefect-tui-{}-workers", self.stack)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlarmKind {
    WorkersBelowDesired,
    NoWorkerOnline,
    LogErrors,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 3] = [
        AlarmKind::WorkersBelowDesired,
        AlarmKind::NoWorkerOnline,
        AlarmKind::LogErrors,
    ];

    fn suffix(self) -> &'static str {
        match self {
            AlarmKind::WorkersBelowDesired => "workers-below-desired",
            AlarmKind::NoWorkerOnline => "no-worker-online",
            AlarmKind::LogErrors => "log-errors",
        }
    }
}

/// The ARNs the documents point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertArns {
    pub topic: String,
    pub crash_rule: String,
    pub alarm_prefix: String,
}

impl AlertArns {
    pub fn of(names: &StackNames, partition: &str, region: &str, account: &str) -> Self {
        Self {
            topic: format!(
                "arn:{partition}:sns:{region}:{account}:{}",
                names.alerts_topic()
            ),
            crash_rule: format!(
                "arn:{partition}:events:{region}:{account}:rule/{}",
                names.crash_rule()
            ),
            alarm_prefix: format!(
                "arn:{partition}:cloudwatch:{region}:{account}:alarm:{}",
                names.alarm_prefix()
            ),
        }
    }
}

/// Only the stack's own alarms and its crash rule may publish; the account manages it.
pub fn topic_policy(arns: &AlertArns, account: &str, partition: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheAccountManagesIt",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:{partition}:iam::{account}:root") },
                "Action": [
                    "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic", "sns:DeleteTopic", "sns:Publish"
                ],
                "Resource": arns.topic
            },
            {
                "Sid": "TheStackAlarmsPublish",
                "Effect": "Allow",
                "Principal": { "Service": "cloudwatch.amazonaws.com" },
                "Action": "sns:Publish",
                "Resource": arns.topic,
                "Condition": { "ArnLike": { "aws:SourceArn": format!("{}*", arns.alarm_prefix) } }
            },
            {
                "Sid": "TheCrashRulePublishes",
                "Effect": "Allow",
                "Principal": { "Service": "events.amazonaws.com" },
                "Action": "sns:Publish",
                "Resource": arns.topic,
                "Condition": { "ArnEquals": { "aws:SourceArn": arns.crash_rule } }
            }
        ]
    })
}

/// A PutMetricAlarm input, as JSON with AWS's names; `AlarmName` included.
pub fn alarm(
    kind: AlarmKind,
    names: &StackNames,
    cluster: &str,
    work_pool: &str,
    settings: AlarmSettings,
    topic_arn: &str,
) -> Value {
    let stack = &names.stack;
    let minutes = settings.minutes;
    let common = json!({
        "AlarmName": names.alarm(kind),
        "ActionsEnabled": true,
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
    });
    let mut doc = match kind {
        AlarmKind::WorkersBelowDesired => json!({
            "AlarmDescription": format!(
                "prefect-tui stack {stack}: fewer workers have been running than desired for \
                 {minutes} minutes, so flow runs of the pool {work_pool} may wait. `prefect-tui \
                 monitor --profile {stack}` shows the tasks and why they stopped. (ECS Container \
                 Insights metrics of the cluster {cluster}.)"
            ),
            "Metrics": [
                container_insights("desired", "DesiredTaskCount", cluster, &names.service()),
                container_insights("running", "RunningTaskCount", cluster, &names.service()),
                { "Id": "shortfall", "Expression": "desired - running", "Label": "workers missing", "ReturnData": true },
            ],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0.0,
            "EvaluationPeriods": minutes,
            "DatapointsToAlarm": minutes,
            "TreatMissingData": "missing",
        }),
        AlarmKind::NoWorkerOnline => json!({
            "AlarmDescription": format!(
                "prefect-tui stack {stack}: no worker of the pool {work_pool} has been online in \
                 Prefect for {minutes} minutes: no flow run starts. Missing data counts too (the \
                 stack's metrics come from the worker's task). `prefect-tui status --profile \
                 {stack}` says what runs."
            ),
            "Namespace": names.metrics_namespace(),
            "MetricName": ONLINE_WORKERS_METRIC,
            "Statistic": "Maximum",
            "Period": 60,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1.0,
            "EvaluationPeriods": minutes,
            "DatapointsToAlarm": minutes,
            "TreatMissingData": "breaching",
        }),
        AlarmKind::LogErrors => json!({
            "AlarmDescription": format!(
                "prefect-tui stack {stack}: errors in the stack's logs (the worker's or a flow \
                 run's) in the last 5 minutes. `prefect-tui logs --profile {stack}` shows them."
            ),
            "Namespace": names.metrics_namespace(),
            "MetricName": LOG_ERRORS_METRIC,
            "Statistic": "Sum",
            "Period": 300,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching",
        }),
    };
    if let (Some(doc), Some(common)) = (doc.as_object_mut(), common.as_object()) {
        doc.extend(common.clone());
    }
    doc
}

fn container_insights(id: &str, metric: &str, cluster: &str, service: &str) -> Value {
    json!({
        "Id": id,
        "MetricStat": {
            "Metric": {
                "Namespace": "ECS/ContainerInsights",
                "MetricName": metric,
                "Dimensions": [
                    { "Name": "ClusterName", "Value": cluster },
                    { "Name": "ServiceName", "Value": service },
                ],
            },
            "Period": 60,
            "Stat": "Average",
        },
        "ReturnData": false,
    })
}

/// A flow-run task of the cluster that stopped with a container's non-zero exit code, or
/// that never started (`stopCode: TaskFailedToStart`: the image, a secret or the log
/// group could not be had, so no container ran and none has an exit code). Flow runs are
/// RunTask tasks, whose group is `family:<task definition family>`; the worker's own tasks
/// are `service:<name>` and have alarms of their own.
pub fn crash_pattern(cluster_arn: &str) -> Value {
    json!({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "lastStatus": ["STOPPED"],
            "group": [{ "prefix": "family:" }],
            "$or": [
                { "containers": { "exitCode": [{ "anything-but": 0 }] } },
                { "stopCode": [TASK_FAILED_TO_START] }
            ]
        }
    })
}

/// ECS's stop code for a task none of whose containers started.
pub const TASK_FAILED_TO_START: &str = "TaskFailedToStart";

/// The crash message, in words: EventBridge's InputTransformer (paths, then the template).
/// A task that never started has no exit code: EventBridge leaves a path that is not in
/// the event out, so the words say the stop code first and read right either way.
pub fn crash_input(names: &StackNames, work_pool: &str) -> (Value, String) {
    let paths = json!({
        "task": "$.detail.taskArn",
        "stop": "$.detail.stopCode",
        "code": "$.detail.containers[0].exitCode",
        "group": "$.detail.group",
        "reason": "$.detail.stoppedReason",
    });
    let stack = &names.stack;
    let template = format!(
        "\"prefect-tui stack {stack}: a flow-run task of the pool {work_pool} crashed or never \
         started: ECS stop code <stop>, container exit code <code> (none if it never started). \
         Task <task> (<group>); ECS says: <reason>. Its output, if it ran, is in the log group \
         {} (stream prefix flow-run); Prefect marks the run Crashed.\"",
        names.log_group()
    );
    (paths, template)
}

/// The metric filter's metric: one per matching line, in the stack's namespace.
pub fn log_error_transformation(names: &StackNames) -> Value {
    json!({
        "metricName": LOG_ERRORS_METRIC,
        "metricNamespace": names.metrics_namespace(),
        "metricValue": "1",
    })
}

/// Application Auto Scaling's name for the service.
pub fn scalable_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The target tracking configuration, as PutScalingPolicy takes it.
pub fn scaling_configuration(names: &StackNames, target: ScalingTarget) -> Value {
    match target {
        ScalingTarget::BacklogPerWorker(per_worker) => json!({
            "TargetValue": f64::from(per_worker),
            "CustomizedMetricSpecification": {
                "MetricName": BACKLOG_PER_WORKER_METRIC,
                "Namespace": names.metrics_namespace(),
                "Statistic": "Average",
            },
            "ScaleOutCooldown": 60,
            "ScaleInCooldown": 300,
            "DisableScaleIn": false,
        }),
        ScalingTarget::CpuPercent(percent) => json!({
            "TargetValue": f64::from(percent),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization",
            },
            "ScaleOutCooldown": 60,
            "ScaleInCooldown": 300,
            "DisableScaleIn": false,
        }),
    }
}

/// The sidecar container, beside the worker's; `secrets` are the worker's own.
pub fn sidecar_container(
    names: &StackNames,
    image: &str,
    region: &str,
    work_pool: &str,
    api_url: &str,
    secrets: Option<&Value>,
) -> Value {
    let mut container = json!({
        "name": SIDECAR_NAME,
        "image": image,
        // Its exit must not stop the worker: ECS restarts nothing, and the alarm on missing
        // data says when it stopped publishing.
        "essential": false,
        "cpu": SIDECAR_CPU,
        "memory": SIDECAR_MEMORY,
        "command": ["python", "-c", SIDECAR_SCRIPT],
        "environment": [
            { "name": "PREFECT_API_URL", "value": api_url },
            { "name": "PREFECT_TUI_WORK_POOL", "value": work_pool },
            { "name": "PREFECT_TUI_METRICS_NAMESPACE", "value": names.metrics_namespace() },
            { "name": "PREFECT_TUI_METRICS_INTERVAL", "value": METRICS_INTERVAL_SECONDS.to_string() },
            { "name": "AWS_DEFAULT_REGION", "value": region },
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": names.log_group(),
                "awslogs-region": region,
                "awslogs-stream-prefix": SIDECAR_STREAM_PREFIX,
            },
        },
    });
    if let Some(secrets) = secrets {
        container["secrets"] = secrets.clone();
    }
    container
}

/// What the sidecar may do: put metrics, only into the stack's namespace. PutMetricData
/// takes no resource, so the namespace condition is the limit (the stand-in evaluates it
/// for the sidecar's requests; `tests` here pin it and parliament lints it).
pub fn metrics_statement(names: &StackNames) -> Value {
    json!({
        "Sid": "PublishTheStackMetrics",
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": { "StringEquals": { "cloudwatch:namespace": names.metrics_namespace() } }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crash_rule_matches_flow_runs_that_exit_non_zero_or_never_start() {
        let pattern = crash_pattern("arn:aws:ecs:eu-west-1:1:cluster/c");
        assert_eq!(pattern["detail"]["lastStatus"], json!(["STOPPED"]));
        assert_eq!(pattern["detail"]["group"], json!([{ "prefix": "family:" }]));
        assert_eq!(
            pattern["detail"]["$or"],
            json!([
                { "containers": { "exitCode": [{ "anything-but": 0 }] } },
                { "stopCode": ["TaskFailedToStart"] }
            ]),
            "a non-zero exit, or a task that never started"
        );
        let (paths, template) = crash_input(&StackNames::new("prod"), "pool");
        for key in ["task", "stop", "code", "reason"] {
            assert!(template.contains(&format!("<{key}>")), "{key}");
            assert!(paths.get(key).is_some(), "{key}");
        }
        assert!(
            serde_json::from_str::<String>(&template).is_ok(),
            "a JSON string"
        );
    }

    #[test]
    fn only_the_stack_alarms_and_rule_may_publish() {
        let names = StackNames::new("prod");
        let arns = AlertArns::of(&names, "aws", "eu-west-1", "111122223333");
        let policy = topic_policy(&arns, "111122223333", "aws");
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        let by_service = |service: &str| {
            statements
                .iter()
                .find(|s| s["Principal"]["Service"] == service)
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(
            by_service("events.amazonaws.com")["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:events:eu-west-1:111122223333:rule/prefect-tui-prod-flow-run-crashed"
        );
        assert_eq!(
            by_service("cloudwatch.amazonaws.com")["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:prefect-tui-prod-*"
        );
        assert!(statements.iter().all(|s| s["Principal"] != "*"));
    }

    #[test]
    fn the_sidecar_writes_only_the_stack_namespace() {
        let statement = metrics_statement(&StackNames::new("prod"));
        assert_eq!(statement["Action"], "cloudwatch:PutMetricData");
        assert_eq!(
            statement["Condition"]["StringEquals"]["cloudwatch:namespace"],
            "PrefectTUI/prod"
        );
    }

    #[test]
    fn scaling_follows_the_backlog_or_the_cpu() {
        let names = StackNames::new("prod");
        let backlog = scaling_configuration(&names, ScalingTarget::BacklogPerWorker(5));
        assert_eq!(backlog["TargetValue"], 5.0);
        assert_eq!(
            backlog["CustomizedMetricSpecification"]["MetricName"],
            BACKLOG_PER_WORKER_METRIC
        );
        let cpu = scaling_configuration(&names, ScalingTarget::CpuPercent(70));
        assert_eq!(
            cpu["PredefinedMetricSpecification"]["PredefinedMetricType"],
            "ECSServiceAverageCPUUtilization"
        );
        assert!(cpu.get("CustomizedMetricSpecification").is_none());
    }

    #[test]
    fn no_worker_online_counts_silence_as_an_alarm() {
        let names = StackNames::new("prod");
        let settings = AlarmSettings { minutes: 7 };
        let doc = alarm(
            AlarmKind::NoWorkerOnline,
            &names,
            "c",
            "pool",
            settings,
            "arn:t",
        );
        assert_eq!(doc["TreatMissingData"], "breaching");
        assert_eq!(doc["EvaluationPeriods"], 7);
        assert_eq!(doc["AlarmActions"], json!(["arn:t"]));
        let below = alarm(
            AlarmKind::WorkersBelowDesired,
            &names,
            "c",
            "pool",
            settings,
            "arn:t",
        );
        assert_eq!(below["Metrics"][2]["Expression"], "desired - running");
    }
}
