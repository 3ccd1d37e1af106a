//! Alarms that reach a person, and scaling on the backlog, against the emulators with the
//! stand-in for Fargate: a stack deployed with [notifications], [alarms], [scaling] and
//! [flow_runs] is read back from the emulated AWS with the SDK (not through the tool), its
//! second plan is empty, its metrics sidecar publishes a backlog made in the real Prefect
//! server, its crash rule's message reaches an SQS queue subscribed to the topic, and
//! destroy leaves none of it.
//!
//! What the emulators do not do, and these tests therefore do not show: moto does not
//! evaluate alarms (no alarm changes state here, none e-mails), does not run Application
//! Auto Scaling (the policy is read back, the service count never moves), does not confirm
//! e-mail subscriptions the way AWS does, does not evaluate IAM or topic policy
//! `Condition` blocks (the stand-in checks that the topic policy lets EventBridge publish,
//! not its `aws:SourceArn`), and counts no log lines through the metric filter. The crash
//! is a real flow run of the pool, started by the deployed worker, whose container's
//! command (a job variable of its deployment) exits 1; a second one never starts (its
//! deployment turns the public IP off in a public subnet) and is caught by its stop code.

mod common;

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::Statistic;
use common::StandIn as Harness;
use common::stack::{Clients, public_network, text, write_self_hosted_profile};
use serde_json::{Value, json};

const EXTRA: &str = r#"
[worker]
desired_count = 1

[notifications]
emails = ["oncall@example.com", "Data-Team@example.org"]

[alarms]
minutes = 3

[scaling]
min = 1
max = 3
on = "backlog"
backlog_per_worker = 4

[flow_runs]
spot = true

# The sidecar publishes every 5 seconds here, not every minute, so the test is short.
[[customizations]]
target = "task_definition"
op = "replace"
path = "/containerDefinitions/1/environment/3/value"
value = "5"
"#;

/// The program against the emulators, with the local Prefect server's auth string.
fn run(h: &Harness, args: &[&str]) -> std::process::Output {
    common::program_against(&h.moto, &h.region)
        .args(args)
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .output()
        .expect("prefect-tui runs")
}

async fn prefect_get(h: &Harness, path: &str) -> Value {
    let (user, password) = h.auth.split_once(':').expect("user:password");
    let response = reqwest::Client::new()
        .get(format!("{}/{path}", h.prefect))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("Prefect answers");
    response.json().await.unwrap_or(Value::Null)
}

async fn prefect(h: &Harness, path: &str, body: Value) -> Value {
    let (user, password) = h.auth.split_once(':').expect("user:password");
    let response = reqwest::Client::new()
        .post(format!("{}/{path}", h.prefect))
        .basic_auth(user, Some(password))
        .json(&body)
        .send()
        .await
        .expect("Prefect answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn iso(t: SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .expect("a date")
}

/// Three flow runs due ten minutes ago, in a paused queue of the pool: the worker does
/// not take them, so they stay the pool's backlog.
async fn late_runs(h: &Harness, pool: &str, stack: &str) {
    prefect(
        h,
        &format!("work_pools/{pool}/queues/"),
        json!({ "name": "held", "is_paused": true }),
    )
    .await;
    let flow = prefect(h, "flows/", json!({ "name": format!("late-{stack}") })).await;
    let deployment = prefect(
        h,
        "deployments/",
        json!({
            "name": "late",
            "flow_id": flow["id"],
            "work_pool_name": pool,
            "work_queue_name": "held",
        }),
    )
    .await;
    let due = iso(SystemTime::now() - Duration::from_secs(600));
    for _ in 0..3 {
        prefect(
            h,
            &format!("deployments/{}/create_flow_run", deployment["id"].as_str().unwrap_or_default()),
            json!({ "state": { "type": "SCHEDULED", "name": "Late", "state_details": { "scheduled_time": due } } }),
        )
        .await;
    }
}

/// The highest value of one of the stack's metrics in the last ten minutes.
async fn metric_max(aws: &Clients, stack: &str, metric: &str) -> Option<f64> {
    let now = SystemTime::now();
    let out = aws
        .cloudwatch
        .get_metric_statistics()
        .namespace(format!("PrefectTUI/{stack}"))
        .metric_name(metric)
        .start_time((now - Duration::from_secs(600)).into())
        .end_time((now + Duration::from_secs(60)).into())
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .expect("GetMetricStatistics");
    out.datapoints()
        .iter()
        .filter_map(|d| d.maximum())
        .fold(None, |best, v| Some(best.map_or(v, |b: f64| b.max(v))))
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_scaling_and_the_crash_rule_are_what_the_profile_says_and_go_with_destroy() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique("alerts");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 84).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_self_hosted_profile(
        dir.path(),
        &stack,
        &h.region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        EXTRA,
    );
    let profile = profile.to_string_lossy().into_owned();

    // Preview shows the documents a deploy sends, with the profile's values.
    let preview = run(&h, &["preview", "--profile", &profile, "--output", "json"]);
    let docs: Value = serde_json::from_slice(&preview.stdout).unwrap_or(Value::Null);
    assert_eq!(docs["alarms"].as_array().map(Vec::len), Some(3), "{docs}");
    assert_eq!(docs["alarms"][0]["EvaluationPeriods"], 3);
    assert_eq!(
        docs["alerts_topic"]["EmailSubscriptions"],
        json!(["oncall@example.com", "data-team@example.org"])
    );
    assert_eq!(
        (
            &docs["scaling"]["MinCapacity"],
            &docs["scaling"]["MaxCapacity"]
        ),
        (&json!(1), &json!(3))
    );
    assert_eq!(
        docs["scaling"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"],
        4.0
    );
    assert!(
        docs["crash_rule"]["Targets"][0]["InputTransformer"]["InputTemplate"]
            .as_str()
            .is_some_and(|t| t.contains("stop code <stop>, container exit code <code>"))
    );

    // The plan says what it costs before anything is made.
    let plan = run(&h, &["plan", "--profile", &profile]);
    let said = text(&plan);
    assert!(plan.status.success(), "{said}");
    assert!(said.contains("a month"), "the cost is said:\n{said}");
    assert!(said.contains("flow-run hour"), "{said}");

    let mut cmd = common::program_against(&h.moto, &h.region);
    cmd.args([
        "deploy",
        "--profile",
        &profile,
        "--yes",
        "--gate-timeout",
        "150",
    ])
    .env("PREFECT_API_AUTH_STRING", &h.auth);
    let out = cmd.output().expect("prefect-tui runs");
    let said = text(&out);
    assert!(out.status.success(), "deploy: {said}");
    assert!(
        said.contains("confirm"),
        "the recipients' step is said:\n{said}"
    );

    // The topic, tagged, with a policy that lets the crash rule publish.
    let topics = aws.sns.list_topics().send().await.expect("ListTopics");
    let topic_arn = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|a| a.ends_with(&format!(":prefect-tui-{stack}-alerts")))
        .expect("the alerts topic exists")
        .to_owned();
    let tags = aws
        .sns
        .list_tags_for_resource()
        .resource_arn(&topic_arn)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "prefect-tui:stack" && t.value() == stack)
    );
    let attributes = aws
        .sns
        .get_topic_attributes()
        .topic_arn(&topic_arn)
        .send()
        .await
        .expect("attributes");
    let policy: Value = serde_json::from_str(
        attributes
            .attributes()
            .and_then(|a| a.get("Policy"))
            .map_or("null", String::as_str),
    )
    .expect("a policy");
    let rule_arn = format!(
        "arn:aws:events:{}:123456789012:rule/prefect-tui-{stack}-flow-run-crashed",
        h.region
    );
    assert!(
        policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["Principal"]["Service"] == "events.amazonaws.com"
                && s["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arn.as_str()),
        "{policy}"
    );

    // The e-mail subscriptions, one per address of the profile.
    let subs = aws
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic_arn)
        .send()
        .await
        .expect("subscriptions");
    let mut emails: Vec<String> = subs
        .subscriptions()
        .iter()
        .filter(|s| s.protocol() == Some("email"))
        .filter_map(|s| s.endpoint().map(str::to_owned))
        .collect();
    emails.sort();
    assert_eq!(emails, ["data-team@example.org", "oncall@example.com"]);

    // The alarms, with the profile's minutes and the topic as their action.
    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("DescribeAlarms");
    let mut names: Vec<&str> = alarms
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("prefect-tui-{stack}-log-errors"),
            format!("prefect-tui-{stack}-no-worker-online"),
            format!("prefect-tui-{stack}-workers-below-desired"),
        ]
    );
    for a in alarms.metric_alarms() {
        let name = a.alarm_name().unwrap_or_default();
        assert_eq!(
            a.alarm_actions(),
            std::slice::from_ref(&topic_arn),
            "{name}"
        );
        assert!(
            a.alarm_description().unwrap_or_default().contains(&stack),
            "{name}"
        );
        if name.ends_with("no-worker-online") {
            assert_eq!(a.evaluation_periods(), Some(3));
            assert_eq!(a.treat_missing_data(), Some("breaching"));
            assert_eq!(a.metric_name(), Some("OnlineWorkers"));
        }
        if name.ends_with("workers-below-desired") {
            assert_eq!(a.evaluation_periods(), Some(3));
            assert!(
                a.metrics()
                    .iter()
                    .any(|m| m.expression() == Some("desired - running"))
            );
        }
    }

    // The cluster: Container Insights on, Fargate Spot available.
    let cluster = aws
        .ecs
        .describe_clusters()
        .clusters(format!("prefect-tui-{stack}"))
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .send()
        .await
        .expect("cluster");
    let c = &cluster.clusters()[0];
    assert!(c.settings().iter().any(|s| s.value() == Some("enabled")));
    assert!(c.capacity_providers().iter().any(|p| p == "FARGATE_SPOT"));

    // The crash rule and its one target, the topic, with the message in words.
    let targets = aws
        .events
        .list_targets_by_rule()
        .rule(format!("prefect-tui-{stack}-flow-run-crashed"))
        .send()
        .await
        .expect("targets");
    assert_eq!(targets.targets().len(), 1);
    assert_eq!(targets.targets()[0].arn(), topic_arn);
    let template = targets.targets()[0]
        .input_transformer()
        .map(|t| t.input_template().to_owned())
        .unwrap_or_default();
    assert!(
        template.contains("stop code <stop>, container exit code <code>"),
        "{template}"
    );

    // The log error filter.
    let filters = aws
        .logs
        .describe_metric_filters()
        .log_group_name(format!("/ecs/prefect-tui/{stack}"))
        .send()
        .await
        .expect("filters");
    let filter = &filters.metric_filters()[0];
    assert_eq!(
        filter.filter_name(),
        Some(format!("prefect-tui-{stack}-errors").as_str())
    );
    assert!(
        filter
            .filter_pattern()
            .unwrap_or_default()
            .contains("ERROR")
    );
    assert_eq!(
        filter.metric_transformations()[0].metric_namespace(),
        format!("PrefectTUI/{stack}")
    );

    // Scaling: the bounds and the backlog policy of the profile.
    let resource_id = format!("service/prefect-tui-{stack}/prefect-tui-{stack}-worker");
    let targets = aws
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&resource_id)
        .send()
        .await
        .expect("scalable targets");
    let target = &targets.scalable_targets()[0];
    assert_eq!((target.min_capacity(), target.max_capacity()), (1, 3));
    assert_eq!(
        target.scalable_dimension(),
        &ScalableDimension::EcsServiceDesiredCount
    );
    let policies = aws
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&resource_id)
        .send()
        .await
        .expect("policies");
    let policy = &policies.scaling_policies()[0];
    let tracking = policy
        .target_tracking_scaling_policy_configuration()
        .expect("target tracking");
    assert_eq!(tracking.target_value(), 4.0);
    let metric = tracking
        .customized_metric_specification()
        .expect("the backlog metric");
    assert_eq!(metric.metric_name(), Some("BacklogPerWorker"));
    assert_eq!(
        metric.namespace(),
        Some(format!("PrefectTUI/{stack}").as_str())
    );

    // A second plan is empty.
    let again = run(&h, &["plan", "--profile", &profile, "--output", "json"]);
    let plan: Value = serde_json::from_slice(&again.stdout).unwrap_or(Value::Null);
    let changes = plan["changes"].as_array().cloned().unwrap_or_default();
    assert!(!changes.is_empty(), "{}", text(&again));
    let busy: Vec<&Value> = changes.iter().filter(|c| c["action"] != "noop").collect();
    assert!(busy.is_empty(), "the second plan changes {busy:?}");

    // Spot: the pool's flow runs default to FARGATE_SPOT (prefect-aws turns it into a
    // capacity provider strategy), replacing the template's own FARGATE.
    let work_pool = prefect_get(&h, &format!("work_pools/{pool}")).await;
    assert_eq!(
        work_pool["base_job_template"]["variables"]["properties"]["launch_type"]["default"],
        "FARGATE_SPOT",
        "{work_pool}"
    );

    // The backlog: three late runs in the pool are published by the sidecar.
    late_runs(&h, &pool, &stack).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut backlog = None;
    while Instant::now() < deadline {
        backlog = metric_max(&aws, &stack, "Backlog").await;
        if backlog.is_some_and(|b| b >= 3.0) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert_eq!(
        backlog,
        Some(3.0),
        "the sidecar published the three late runs"
    );
    assert!(metric_max(&aws, &stack, "OnlineWorkers").await >= Some(1.0));
    assert!(metric_max(&aws, &stack, "BacklogPerWorker").await >= Some(1.0));

    // A flow-run task that exits 1: the crash rule's message reaches a queue on the topic.
    let queue = aws
        .sqs
        .create_queue()
        .queue_name(format!("{stack}-inbox"))
        .send()
        .await
        .expect("queue");
    let queue_url = queue.queue_url().unwrap_or_default().to_owned();
    let queue_arn = format!("arn:aws:sqs:{}:123456789012:{stack}-inbox", h.region);
    aws.sns
        .subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .expect("subscribe the queue");
    let run_id = crash_a_flow_run(&h, &pool, &stack).await;
    // The worker polls, submits, the stand-in runs the container: well within two minutes.
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut messages = Vec::new();
    while Instant::now() < deadline && messages.is_empty() {
        let got = aws
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .wait_time_seconds(2)
            .send()
            .await
            .expect("receive");
        messages.extend(
            got.messages()
                .iter()
                .filter_map(|m| m.body().map(str::to_owned)),
        );
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    let envelope: Value = serde_json::from_str(&messages[0]).expect("an SNS envelope");
    let words = envelope["Message"].as_str().unwrap_or_default();
    assert!(words.contains("container exit code 1 "), "{words}");
    assert!(
        words.contains("stop code EssentialContainerExited"),
        "{words}"
    );
    assert!(words.contains(&pool), "{words}");
    // The task named is the flow run's own, as Prefect records it.
    let flow_run = prefect_get(&h, &format!("flow_runs/{run_id}")).await;
    let pid = flow_run["infrastructure_pid"].as_str().unwrap_or_default();
    let task_arn = pid.rsplit("::").next().unwrap_or_default();
    assert!(task_arn.starts_with("arn:aws:ecs:"), "{flow_run}");
    assert!(words.contains(task_arn), "{words}\n{task_arn}");
    // And the event observer marks the run Crashed, as the message says.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut state = String::new();
    while Instant::now() < deadline && state != "CRASHED" {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let run = prefect_get(&h, &format!("flow_runs/{run_id}")).await;
        state = run["state_type"].as_str().unwrap_or_default().to_owned();
    }
    assert_eq!(state, "CRASHED");

    // A flow-run task that never starts (its subnet gives it no way out: no public IP, no
    // NAT, no endpoints) has no exit code; the rule catches it by its stop code.
    never_started_flow_run(&h, &pool, &stack).await;
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut messages = Vec::new();
    while Instant::now() < deadline && messages.is_empty() {
        let got = aws
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .wait_time_seconds(2)
            .send()
            .await
            .expect("receive");
        messages.extend(
            got.messages()
                .iter()
                .filter_map(|m| m.body().map(str::to_owned)),
        );
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    let envelope: Value = serde_json::from_str(&messages[0]).expect("an SNS envelope");
    let words = envelope["Message"].as_str().unwrap_or_default();
    assert!(words.contains("stop code TaskFailedToStart"), "{words}");
    assert!(words.contains("ResourceInitializationError"), "{words}");

    // Destroy leaves none of it.
    let out = run(
        &h,
        &[
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ],
    );
    assert!(out.status.success(), "destroy: {}", text(&out));
    let topics = aws.sns.list_topics().send().await.expect("ListTopics");
    assert!(
        !topics
            .topics()
            .iter()
            .any(|t| t.topic_arn() == Some(topic_arn.as_str()))
    );
    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("DescribeAlarms");
    assert!(alarms.metric_alarms().is_empty());
    assert!(
        aws.events
            .describe_rule()
            .name(format!("prefect-tui-{stack}-flow-run-crashed"))
            .send()
            .await
            .is_err(),
        "the crash rule is gone"
    );
    let targets = aws
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&resource_id)
        .send()
        .await
        .expect("scalable targets");
    assert!(targets.scalable_targets().is_empty());
    let policies = aws
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&resource_id)
        .send()
        .await
        .expect("policies");
    assert!(policies.scaling_policies().is_empty());
    common::stack::assert_nothing_tagged(&aws, &stack).await;
}

/// A flow run of the pool whose task cannot start: its deployment's
/// `network_configuration` is the pool's own with the public IP turned off, in a subnet
/// whose only way out is an internet gateway.
async fn never_started_flow_run(h: &Harness, pool: &str, stack: &str) {
    let pool_doc = prefect_get(h, &format!("work_pools/{pool}")).await;
    let mut network = pool_doc["base_job_template"]["variables"]["properties"]
        ["network_configuration"]["default"]
        .clone();
    assert!(network["subnets"].is_array(), "{pool_doc}");
    network["assignPublicIp"] = json!("DISABLED");
    let flow = prefect(h, "flows/", json!({ "name": format!("unstarted-{stack}") })).await;
    let deployment = prefect(
        h,
        "deployments/",
        json!({
            "name": "unstarted",
            "flow_id": flow["id"],
            "work_pool_name": pool,
            "entrypoint": "never.py:never",
            "job_variables": { "network_configuration": network },
        }),
    )
    .await;
    prefect(
        h,
        &format!(
            "deployments/{}/create_flow_run",
            deployment["id"].as_str().unwrap_or_default()
        ),
        json!({}),
    )
    .await;
}

/// A flow run of the pool whose container exits 1: its deployment's `command` job
/// variable replaces the worker's `prefect flow-run execute`, so the worker starts it with
/// RunTask as any flow run, and its container ends at once with code 1. Returns its id.
async fn crash_a_flow_run(h: &Harness, pool: &str, stack: &str) -> String {
    let flow = prefect(h, "flows/", json!({ "name": format!("crash-{stack}") })).await;
    let deployment = prefect(
        h,
        "deployments/",
        json!({
            "name": "crash",
            "flow_id": flow["id"],
            "work_pool_name": pool,
            "entrypoint": "crash.py:crash",
            "job_variables": { "command": "python -c 'raise SystemExit(1)'" },
        }),
    )
    .await;
    let run = prefect(
        h,
        &format!(
            "deployments/{}/create_flow_run",
            deployment["id"].as_str().unwrap_or_default()
        ),
        json!({}),
    )
    .await;
    run["id"].as_str().unwrap_or_default().to_owned()
}
