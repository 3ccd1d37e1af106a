//! Deploy, plan and destroy against the emulator, checked through the SDK, not through
//! the tool's own output. Each test deploys its own stack into its own VPC.

mod common;

use std::time::Duration;

use aws_sdk_ecs::types::{ServiceField, TaskDefinitionField};
use common::stack::{Clients, public_network, run, text, write_profile};
use prefect_tui::aws::AwsContext;
use prefect_tui::ops;
use prefect_tui::profile::load_file;
use prefect_tui::secret::SecretValue;
use serde_json::Value;

const REGION: &str = "us-east-2";

fn policy(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        serde_json::from_str(&decoded).expect("policy JSON")
    })
}

fn has_stack_tag<'a>(
    tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    stack: &str,
) -> bool {
    let tags: Vec<_> = tags.into_iter().collect();
    tags.contains(&(Some("prefect-tui:stack"), Some(stack)))
        && tags.contains(&(Some("ManagedBy"), Some("prefect-tui")))
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_deploy_creates_every_resource_tagged_and_least_privileged() {
    let Some(moto) = common::moto() else { return };
    let fresh = common::unique("fresh");
    let (vpc, subnets) = public_network(&moto, REGION, 40).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_profile(dir.path(), &fresh, REGION, &vpc, &subnets, "");
    let key = "pnu_fresh_deploy_key_0123456789";
    // Through a recording relay: the recording shows what AWS itself would receive (the
    // circuit breaker asked for, the key sent once).
    let recording = common::slow_proxy::Recording::default();
    let relay =
        common::slow_proxy::start_recording(&moto, Duration::ZERO, Some(recording.clone())).await;
    let out = run(
        &relay,
        REGION,
        &[
            "deploy",
            "--profile",
            &profile.to_string_lossy(),
            "--yes",
            "--no-wait",
        ],
        Some(key),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(key), "the key is never printed");
    let sent = String::from_utf8_lossy(&recording.lock().expect("recording")).into_owned();

    let aws = Clients::new(&moto, REGION);
    // The secret holds the key, tagged.
    let secret = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{fresh}/api-key"))
        .send()
        .await
        .expect("secret");
    let secret_arn = secret.arn().expect("arn").to_owned();
    assert!(has_stack_tag(
        secret.tags().iter().map(|t| (t.key(), t.value())),
        fresh.as_str()
    ));
    let value = aws
        .secrets
        .get_secret_value()
        .secret_id(&secret_arn)
        .send()
        .await
        .expect("value");
    assert_eq!(value.secret_string(), Some(key));

    // The execution role: ECS tasks only, the managed policy, and exactly the one secret.
    let exec = aws
        .iam
        .get_role()
        .role_name(format!("prefect-tui-{fresh}-execution"))
        .send()
        .await
        .expect("role");
    let exec = exec.role().expect("role");
    assert!(has_stack_tag(
        exec.tags().iter().map(|t| (Some(t.key()), Some(t.value()))),
        fresh.as_str()
    ));
    let trust = policy(exec.assume_role_policy_document().unwrap_or_default());
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "ecs-tasks.amazonaws.com"
    );
    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name(format!("prefect-tui-{fresh}-execution"))
        .send()
        .await
        .expect("attached");
    let attached: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        attached,
        ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    );
    let inline = aws
        .iam
        .get_role_policy()
        .role_name(format!("prefect-tui-{fresh}-execution"))
        .policy_name("prefect-tui-read-api-key")
        .send()
        .await
        .expect("inline");
    let inline = policy(inline.policy_document());
    let statements = inline["Statement"].as_array().cloned().unwrap_or_default();
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0]["Resource"],
        Value::String(secret_arn.clone()),
        "Resource is exactly the secret ARN"
    );
    assert_eq!(statements[0]["Action"], "secretsmanager:GetSecretValue");

    // The worker role passes only the execution role, only to ECS tasks.
    let worker = aws
        .iam
        .get_role_policy()
        .role_name(format!("prefect-tui-{fresh}-worker"))
        .policy_name("prefect-tui-ecs-worker")
        .send()
        .await
        .expect("worker policy");
    let worker = policy(worker.policy_document());
    let pass = worker["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|st| st["Action"] == "iam:PassRole"))
        .cloned()
        .expect("PassRole statement");
    assert_eq!(
        pass["Resource"],
        serde_json::json!([format!(
            "arn:aws:iam::123456789012:role/prefect-tui-{fresh}-execution"
        )])
    );
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "ecs-tasks.amazonaws.com"
    );

    // The log group keeps logs 30 days, tagged.
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/ecs/prefect-tui/{fresh}"))
        .send()
        .await
        .expect("groups");
    let group = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(format!("/ecs/prefect-tui/{fresh}").as_str()))
        .expect("log group");
    assert_eq!(group.retention_in_days(), Some(30));

    // The cluster and the security group (in the VPC, no ingress), tagged.
    let clusters = aws
        .ecs
        .describe_clusters()
        .clusters(format!("prefect-tui-{fresh}"))
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .expect("cluster");
    let cluster = clusters.clusters().first().expect("cluster exists");
    assert_eq!(cluster.status(), Some("ACTIVE"));
    assert!(has_stack_tag(
        cluster.tags().iter().map(|t| (t.key(), t.value())),
        fresh.as_str()
    ));
    let sgs = aws.worker_security_groups(&fresh).await;
    let sg = sgs.first().expect("security group");
    assert_eq!(sg.vpc_id(), Some(vpc.as_str()));
    assert!(sg.ip_permissions().is_empty(), "no ingress");
    assert!(has_stack_tag(
        sg.tags().iter().map(|t| (t.key(), t.value())),
        fresh.as_str()
    ));
    let sg_id = sg.group_id().expect("id").to_owned();

    // The task definition carries the key only as a secret reference.
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(format!("prefect-tui-{fresh}-worker"))
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .expect("td");
    assert!(has_stack_tag(
        td.tags().iter().map(|t| (t.key(), t.value())),
        fresh.as_str()
    ));
    let td = td.task_definition().expect("td");
    assert_eq!(
        td.execution_role_arn(),
        Some(format!("arn:aws:iam::123456789012:role/prefect-tui-{fresh}-execution").as_str())
    );
    let container = &td.container_definitions()[0];
    let secrets: Vec<(&str, &str)> = container
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    assert_eq!(secrets, [("PREFECT_API_KEY", secret_arn.as_str())]);
    for var in container.environment() {
        assert_ne!(var.name(), Some("PREFECT_API_KEY"));
        assert_ne!(var.value(), Some(key));
    }
    let pool = format!("ecs-{fresh}");
    assert_eq!(
        container.command(),
        [
            "prefect",
            "worker",
            "start",
            "--pool",
            pool.as_str(),
            "--type",
            "ecs",
            "--with-healthcheck"
        ]
    );

    // The service: the chosen subnets, the group, a public IP (public subnets), the breaker.
    let services = aws
        .ecs
        .describe_services()
        .cluster(format!("prefect-tui-{fresh}"))
        .services(format!("prefect-tui-{fresh}-worker"))
        .include(ServiceField::Tags)
        .send()
        .await
        .expect("service");
    let service = services.services().first().expect("service exists");
    assert!(has_stack_tag(
        service.tags().iter().map(|t| (t.key(), t.value())),
        fresh.as_str()
    ));
    let net = service
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("awsvpc");
    assert_eq!(net.subnets(), subnets.as_slice());
    assert_eq!(net.security_groups(), [sg_id]);
    assert_eq!(net.assign_public_ip().map(|a| a.as_str()), Some("ENABLED"));
    // The service keeps the deployment configuration it was created with (the stand-in
    // for Fargate stores it; moto alone drops it), and the request on the wire asks for it.
    let deployment = service
        .deployment_configuration()
        .expect("the service's deploymentConfiguration");
    let breaker = deployment
        .deployment_circuit_breaker()
        .expect("a circuit breaker");
    assert!(breaker.enable() && breaker.rollback(), "{deployment:?}");
    assert_eq!(deployment.maximum_percent(), Some(200));
    assert_eq!(deployment.minimum_healthy_percent(), Some(100));
    let create_service = sent
        .split("AmazonEC2ContainerServiceV20141113.CreateService")
        .nth(1)
        .expect("a CreateService request was sent");
    assert!(
        create_service.contains(r#""deploymentCircuitBreaker":{"enable":true,"rollback":true}"#),
        "CreateService asks for the circuit breaker with rollback"
    );
    assert!(
        !sent.contains(key) || sent.matches(key).count() == 1,
        "the key travels once: to CreateSecret"
    );
    assert_eq!(service.desired_count(), 1);
    assert_eq!(service.launch_type().map(|l| l.as_str()), Some("FARGATE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn second_deploy_plans_no_change_and_writes_nothing() {
    let Some(moto) = common::moto() else { return };
    let again = common::unique("again");
    let (vpc, subnets) = public_network(&moto, REGION, 41).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_profile(dir.path(), &again, REGION, &vpc, &subnets, "");
    let key = "pnu_again_key";
    let out = run(
        &moto,
        REGION,
        &[
            "deploy",
            "--profile",
            &profile.to_string_lossy(),
            "--yes",
            "--no-wait",
        ],
        Some(key),
    );
    assert!(out.status.success(), "{}", text(&out));

    // Through the operations, counting every call the way the program does.
    let (_, spec) = load_file(&profile).expect("profile");
    let aws = AwsContext::from_sdk_config(common::sdk_config(&moto, REGION), REGION.to_owned());
    let key = SecretValue::parse(key).expect("key");
    let prepared = ops::deploy::prepare_in(aws.clone(), &spec, Some(&key), false)
        .await
        .expect("prepare");
    assert!(prepared.plan.is_noop(), "{:#?}", prepared.plan);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    aws.apply(
        &spec,
        &prepared.observed,
        &prepared.plan,
        prepared.assign_public_ip,
        Some(&key),
        &tx,
    )
    .await
    .expect("apply");
    assert!(
        aws.calls.writes().is_empty(),
        "no write call: {:?}",
        aws.calls.writes()
    );
    assert!(
        aws.calls.total() > 10,
        "it did read everything: {:?}",
        aws.calls.snapshot()
    );

    // And through the command line.
    let out = run(
        &moto,
        REGION,
        &[
            "deploy",
            "--profile",
            &profile.to_string_lossy(),
            "--yes",
            "--no-wait",
        ],
        Some("pnu_again_key"),
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains(&format!(
            "Nothing to change: stack {again} matches the profile."
        )),
        "{output}"
    );
    assert!(output.contains("(0 writes)"), "{output}");
    let out = run(
        &moto,
        REGION,
        &[
            "plan",
            "--profile",
            &profile.to_string_lossy(),
            "--output",
            "json",
        ],
        None,
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let changes = plan["changes"].as_array().cloned().unwrap_or_default();
    assert_eq!(changes.len(), 11);
    assert!(changes.iter().all(|c| c["action"] == "noop"), "{plan:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_cpu_or_the_key_rolls_the_service() {
    let Some(moto) = common::moto() else { return };
    let change = common::unique("change");
    let (vpc, subnets) = public_network(&moto, REGION, 42).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_profile(dir.path(), &change, REGION, &vpc, &subnets, "");
    let arg = profile.to_string_lossy().into_owned();
    let out = run(
        &moto,
        REGION,
        &["deploy", "--profile", &arg, "--yes", "--no-wait"],
        Some("pnu_first"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let aws = Clients::new(&moto, REGION);
    let (cluster, service_name) = (
        format!("prefect-tui-{change}"),
        format!("prefect-tui-{change}-worker"),
    );
    let service = |aws: &Clients| {
        let (ecs, cluster, service_name) = (aws.ecs.clone(), cluster.clone(), service_name.clone());
        async move {
            let out = ecs
                .describe_services()
                .cluster(cluster)
                .services(service_name)
                .send()
                .await
                .expect("service");
            out.services().first().cloned().expect("service")
        }
    };
    let before = service(&aws).await;
    assert!(before.task_definition().unwrap_or_default().ends_with(":1"));

    // More cpu: the plan says so, and a new revision runs.
    let profile = write_profile(
        dir.path(),
        &change,
        REGION,
        &vpc,
        &subnets,
        "\n[worker]\ncpu = 1024\nmemory = 2048\n",
    );
    let out = run(
        &moto,
        REGION,
        &["plan", "--profile", &arg, "--output", "json"],
        None,
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let action = |r: &str| {
        plan["changes"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["resource"] == r))
            .map(|c| c["action"].clone())
    };
    assert_eq!(
        action("task_definition"),
        Some(Value::from("update")),
        "{plan:#}"
    );
    assert_eq!(action("service"), Some(Value::from("update")));
    assert_eq!(action("secret"), Some(Value::from("noop")));
    let fields = plan.to_string();
    assert!(fields.contains("cpu: 512 -> 1024"), "{plan:#}");
    let out = run(
        &moto,
        REGION,
        &[
            "deploy",
            "--profile",
            &profile.to_string_lossy(),
            "--yes",
            "--no-wait",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(format!("prefect-tui-{change}-worker"))
        .send()
        .await
        .expect("td");
    let td = td.task_definition().expect("td");
    assert_eq!(td.revision(), 2);
    assert_eq!(td.cpu(), Some("1024"));
    let after_cpu = service(&aws).await;
    assert_eq!(
        after_cpu.task_definition(),
        td.task_definition_arn(),
        "the service runs the new revision"
    );

    // A new key: a new secret version, and a new deployment of the same revision.
    let deployment_before = after_cpu
        .deployments()
        .first()
        .and_then(|d| d.id())
        .map(str::to_owned);
    let out = run(
        &moto,
        REGION,
        &["deploy", "--profile", &arg, "--yes", "--no-wait"],
        Some("pnu_second"),
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("value (new version)")
            && output.contains("new deployment (the API key changed)"),
        "{output}"
    );
    let value = aws
        .secrets
        .get_secret_value()
        .secret_id(format!("prefect-tui/{change}/api-key"))
        .send()
        .await
        .expect("value");
    assert_eq!(value.secret_string(), Some("pnu_second"));
    let versions = aws
        .secrets
        .list_secret_version_ids()
        .secret_id(format!("prefect-tui/{change}/api-key"))
        .send()
        .await
        .expect("versions");
    assert!(versions.versions().len() >= 2, "a new version was written");
    let after_key = service(&aws).await;
    assert_eq!(
        after_key.task_definition(),
        after_cpu.task_definition(),
        "same revision"
    );
    let deployment_after = after_key
        .deployments()
        .first()
        .and_then(|d| d.id())
        .map(str::to_owned);
    assert_ne!(
        deployment_before, deployment_after,
        "a new deployment was forced"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_removes_everything_tagged_and_keeps_a_cluster_the_user_brought() {
    let Some(moto) = common::moto() else { return };
    let aws = Clients::new(&moto, REGION);
    let dir = tempfile::tempdir().expect("tempdir");

    // A stack in its own cluster, destroyed with the secret deleted at once.
    let gone = common::unique("gone");
    let (vpc, subnets) = public_network(&moto, REGION, 60).await;
    let profile = write_profile(dir.path(), &gone, REGION, &vpc, &subnets, "");
    let arg = profile.to_string_lossy().into_owned();
    let out = run(
        &moto,
        REGION,
        &["deploy", "--profile", &arg, "--yes", "--no-wait"],
        Some("pnu_gone"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &moto,
        REGION,
        &[
            "destroy",
            "--profile",
            &arg,
            "--yes",
            "--force-delete-secret",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    common::stack::assert_nothing_tagged(&aws, &gone).await;
    let clusters = aws
        .ecs
        .describe_clusters()
        .clusters(format!("prefect-tui-{gone}"))
        .send()
        .await
        .expect("clusters");
    assert!(
        clusters
            .clusters()
            .iter()
            .all(|c| c.status() != Some("ACTIVE")),
        "its own cluster is gone"
    );

    // A stack in the user's cluster, destroyed with the default recovery window.
    let (guest, team) = (common::unique("guest"), common::unique("team"));
    aws.ecs
        .create_cluster()
        .cluster_name(&team)
        .send()
        .await
        .expect("user's cluster");
    let (vpc, subnets) = public_network(&moto, REGION, 61).await;
    let profile = write_profile(
        dir.path(),
        &guest,
        REGION,
        &vpc,
        &subnets,
        &format!("cluster = \"{team}\"\n"),
    );
    let arg = profile.to_string_lossy().into_owned();
    let out = run(
        &moto,
        REGION,
        &["deploy", "--profile", &arg, "--yes", "--no-wait"],
        Some("pnu_guest"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &moto,
        REGION,
        &["destroy", "--profile", &arg, "--yes"],
        None,
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains(&format!("Kept: cluster {team}")),
        "{output}"
    );
    assert!(
        output.contains("recoverable for 7 days") || output.contains("restored for 7 days"),
        "{output}"
    );
    let clusters = aws
        .ecs
        .describe_clusters()
        .clusters(&team)
        .send()
        .await
        .expect("clusters");
    assert_eq!(
        clusters.clusters().first().and_then(|c| c.status()),
        Some("ACTIVE"),
        "the user's cluster stays"
    );
    let secret = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{guest}/api-key"))
        .send()
        .await
        .expect("still recoverable");
    assert!(
        secret.deleted_date().is_some(),
        "scheduled for deletion, not gone"
    );

    // Destroying again finds nothing left to do.
    let out = run(
        &moto,
        REGION,
        &["destroy", "--profile", &arg, "--yes"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Nothing to destroy"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_refuses_bad_input_with_exit_2_and_leaves_nothing() {
    let Some(moto) = common::moto() else { return };
    let aws = Clients::new(&moto, REGION);
    let stack = common::unique("refuse");
    let (vpc, subnets) = public_network(&moto, REGION, 70).await;
    let (_, other_subnets) = public_network(&moto, REGION, 71).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_profile(dir.path(), &stack, REGION, &vpc, &subnets, "");
    let arg = profile.to_string_lossy().into_owned();

    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        // No terminal to confirm on, and no --yes.
        (
            vec!["deploy", "--profile", &arg, "--no-wait"],
            Some("pnu_x"),
            "Pass --yes to confirm from a script.",
        ),
        // A new secret, and no key to put in it.
        (
            vec!["deploy", "--profile", &arg, "--yes", "--no-wait"],
            None,
            "no API key was given",
        ),
        // Two keys pasted at once.
        (
            vec!["deploy", "--profile", &arg, "--yes", "--no-wait"],
            Some("pnu_a\npnu_b"),
            "spaces or line breaks inside it",
        ),
    ];
    for (args, key, expected) in cases {
        let out = run(&moto, REGION, &args, key);
        let output = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {output}");
        assert!(
            output.contains(expected),
            "{args:?}: expected {expected:?} in {output}"
        );
    }

    // A subnet of another VPC.
    let mixed = vec![subnets[0].clone(), other_subnets[0].clone()];
    let bad = write_profile(dir.path(), &format!("{stack}-x"), REGION, &vpc, &mixed, "");
    let out = run(
        &moto,
        REGION,
        &[
            "deploy",
            "--profile",
            &bad.to_string_lossy(),
            "--yes",
            "--no-wait",
        ],
        Some("pnu_x"),
    );
    let output = text(&out);
    assert_eq!(out.status.code(), Some(2), "{output}");
    assert!(
        output.contains(&format!("{} belongs to vpc-", other_subnets[0])),
        "{output}"
    );
    assert!(output.contains(&format!("not {vpc}")), "{output}");

    // A --region that contradicts the profile.
    let out = common::program_against(&moto, "eu-west-1")
        .args(["deploy", "--profile", &arg, "--yes", "--no-wait"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--region eu-west-1 disagrees with the profile"),
        "{}",
        text(&out)
    );

    // None of that made anything.
    let found = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .send()
        .await;
    assert!(found.is_err(), "no secret was created");
    let found = aws
        .iam
        .get_role()
        .role_name(format!("prefect-tui-{stack}-execution"))
        .send()
        .await;
    assert!(found.is_err(), "no role was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_says_where_a_stopped_workers_log_lines_are_never_an_empty_heading() {
    // A worker that exited with a code: its own log lines explain it. `status` quotes no
    // log lines, so it must not print a heading that promises them; it says where they are.
    let Some(moto) = common::moto() else { return };
    let stack = common::unique("exited");
    let (vpc, subnets) = public_network(&moto, REGION, 43).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_profile(dir.path(), &stack, REGION, &vpc, &subnets, "");
    let arg = profile.to_string_lossy().into_owned();
    let out = run(
        &moto,
        REGION,
        &["deploy", "--profile", &arg, "--yes", "--no-wait"],
        Some("pnu_exited_key"),
    );
    assert!(out.status.success(), "{}", text(&out));

    // A task of the service that stopped the way the stand-in reports an exit (moto keeps
    // no container exit codes, so the reason carries it, as on Fargate).
    let aws = Clients::new(&moto, REGION);
    let cluster = format!("prefect-tui-{stack}");
    let service = format!("prefect-tui-{stack}-worker");
    let sg = aws.worker_security_groups(&stack).await[0]
        .group_id()
        .expect("sg")
        .to_owned();
    let started = aws
        .ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(&service)
        .group(format!("service:{service}"))
        .started_by(&service)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets(&subnets[0])
                        .security_groups(&sg)
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await
        .expect("run task");
    let task_arn = started.tasks()[0].task_arn().expect("arn").to_owned();
    let task_id = task_arn.rsplit('/').next().unwrap_or_default().to_owned();
    aws.ecs
        .stop_task()
        .cluster(&cluster)
        .task(&task_arn)
        .reason("Essential container in task exited (exit code 1)")
        .send()
        .await
        .expect("stop task");

    let out = run(&moto, REGION, &["status", "--profile", &arg], None);
    let output = text(&out);
    let advice = output
        .lines()
        .find(|l| l.contains(&format!("The worker in task {task_id} exited with code 1.")))
        .unwrap_or_else(|| panic!("the stopped task's advice:\n{output}"));
    assert!(
        advice.contains(&format!("/ecs/prefect-tui/{stack}"))
            && advice.contains(&format!("worker/prefect-worker/{task_id}"))
            && advice.contains("prefect-tui logs"),
        "it says where the log lines are:\n{output}"
    );
    assert!(
        output.lines().all(|l| !l.trim_end().ends_with("say why:")),
        "no heading with nothing under it:\n{output}"
    );
}
