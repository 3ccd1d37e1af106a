//! render() pinned on the example profiles: the documents AWS receives are the contract.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::network::Egress;
use crate::profile::{PublicIp, parse_profile};

fn spec_of(text: &str) -> StackSpec {
    match parse_profile(Path::new("example.toml"), text) {
        Ok((_, spec)) => spec,
        Err(e) => panic!("example profile is valid: {e}"),
    }
}

fn cloud() -> StackSpec {
    spec_of(include_str!("../../profiles/cloud.toml"))
}

fn ctx(spec: &StackSpec, public: bool) -> RenderContext {
    RenderContext {
        execution_role_arn: "arn:aws:iam::123456789012:role/exec".into(),
        task_role_arn: "arn:aws:iam::123456789012:role/task".into(),
        secret_arn: spec
            .secret_name
            .as_ref()
            .map(|_| "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf".into()),
        security_group_id: "sg-0123".into(),
        assign_public_ip: Some(public),
    }
}

fn container(doc: &Value) -> &Value {
    &doc["task_definition"]["containerDefinitions"][0]
}

fn rendered(spec: &StackSpec, public: bool) -> Value {
    let r = render(spec, &ctx(spec, public));
    json!({ "task_definition": r.task_definition, "service": r.service })
}

#[test]
fn worker_command_starts_the_pool_as_an_ecs_worker_with_a_health_endpoint() {
    let doc = rendered(&cloud(), true);
    assert_eq!(
        container(&doc)["command"],
        json!([
            "prefect",
            "worker",
            "start",
            "--pool",
            "ecs-cloud",
            "--type",
            "ecs",
            "--with-healthcheck"
        ])
    );
    assert_eq!(container(&doc)["name"], "prefect-worker");
    assert_eq!(container(&doc)["image"], "prefecthq/prefect-aws:latest");
    assert_eq!(container(&doc)["essential"], true);
}

#[test]
fn the_key_travels_only_as_a_secret_reference() {
    let spec = cloud();
    let doc = rendered(&spec, true);
    assert_eq!(
        container(&doc)["secrets"],
        json!([{ "name": "PREFECT_API_KEY",
                 "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" }])
    );
    let env = container(&doc)["environment"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = env.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "PREFECT_API_URL",
            "PREFECT_WORKER_WEBSERVER_PORT",
            "AWS_DEFAULT_REGION",
            "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_ENABLED",
            "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME",
            "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION",
            "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_FORWARD_CRASHED_RUN_LOGS",
        ]
    );
    assert!(!names.contains(&"PREFECT_API_KEY"));
    assert_eq!(
        env[0]["value"],
        "https://api.prefect.cloud/api/accounts/0c1d2e3f-1111-4222-8333-444455556666/workspaces/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd",
        "the browser URL in the profile became the API URL"
    );
}

#[test]
fn self_hosted_auth_string_and_no_credential() {
    let spec = spec_of(include_str!("../../profiles/self-hosted.toml"));
    let doc = rendered(&spec, false);
    assert_eq!(
        container(&doc)["secrets"][0]["name"],
        "PREFECT_API_AUTH_STRING"
    );
    assert_eq!(
        container(&doc)["environment"][0]["value"],
        "https://prefect.internal.example.com/api"
    );

    let text =
        include_str!("../../profiles/self-hosted.toml").replace("\"auth-string\"", "\"none\"");
    let spec = spec_of(&text);
    assert_eq!(spec.secret_name, None);
    let doc = rendered(&spec, false);
    assert!(
        container(&doc).get("secrets").is_none(),
        "no credential, no secrets entry"
    );
}

#[test]
fn health_check_probes_the_worker_endpoint_from_inside_the_container() {
    let doc = rendered(&cloud(), true);
    let check = &container(&doc)["healthCheck"];
    assert_eq!(check["command"][0], "CMD-SHELL");
    let probe = check["command"][1].as_str().unwrap_or_default();
    assert!(probe.contains("http://localhost:8080/health"), "{probe}");
    assert_eq!(
        container(&doc)["environment"][1],
        json!({"name": "PREFECT_WORKER_WEBSERVER_PORT", "value": "8080"}),
        "the worker serves health on the port the probe asks"
    );
    assert_eq!(check["interval"], 30);
    assert_eq!(check["retries"], 3);
    assert_eq!(check["startPeriod"], 60);
}

#[test]
fn logs_go_to_the_stack_log_group_with_a_stream_prefix() {
    let doc = rendered(&cloud(), true);
    assert_eq!(
        container(&doc)["logConfiguration"],
        json!({ "logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/prefect-tui/cloud",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "worker" } })
    );
}

#[test]
fn task_definition_is_fargate_awsvpc_sized_and_tagged() {
    let doc = rendered(&cloud(), true);
    let td = &doc["task_definition"];
    assert_eq!(td["family"], "prefect-tui-cloud-worker");
    assert_eq!(td["networkMode"], "awsvpc");
    assert_eq!(td["requiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(td["cpu"], "512");
    assert_eq!(td["memory"], "1024");
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::123456789012:role/exec"
    );
    assert_eq!(td["taskRoleArn"], "arn:aws:iam::123456789012:role/task");
    assert_eq!(
        td["tags"],
        json!([{"key": "prefect-tui:stack", "value": "cloud"}, {"key": "ManagedBy", "value": "prefect-tui"}])
    );
}

#[test]
fn service_network_configuration_for_public_and_private_subnets() {
    let spec = cloud();
    let public = rendered(&spec, true);
    let net = &public["service"]["networkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(
        net["subnets"],
        json!(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"])
    );
    assert_eq!(net["securityGroups"], json!(["sg-0123"]));
    assert_eq!(net["assignPublicIp"], "ENABLED");

    let private = spec_of(include_str!("../../profiles/private-nat.toml"));
    let doc = rendered(&private, false);
    let svc = &doc["service"];
    assert_eq!(
        svc["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"],
        "DISABLED"
    );
    assert_eq!(
        svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(svc["cluster"], "data-platform", "the user's own cluster");
    assert_eq!(
        private.cluster,
        ClusterChoice::Existing("data-platform".into())
    );
    assert_eq!(svc["desiredCount"], 2);
    assert_eq!(svc["launchType"], "FARGATE");
    assert_eq!(
        svc["deploymentConfiguration"]["deploymentCircuitBreaker"],
        json!({"enable": true, "rollback": true})
    );
    assert_eq!(svc["taskDefinition"], "prefect-tui-prod-worker");
    assert_eq!(svc["serviceName"], "prefect-tui-prod-worker");
}

#[test]
fn assign_public_ip_follows_the_subnets_unless_told() {
    let v = |e: &[Egress]| -> Vec<(String, Egress)> {
        e.iter()
            .enumerate()
            .map(|(i, e)| (format!("subnet-{i}"), *e))
            .collect()
    };
    use Egress::*;
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Public, Public])),
        Ok(true)
    );
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Nat, Endpoints])),
        Ok(false)
    );
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Nat, Public])),
        Ok(true)
    );
    assert_eq!(assign_public_ip(PublicIp::Enabled, &v(&[Nat])), Ok(true));
    assert_eq!(assign_public_ip(PublicIp::Disabled, &v(&[Nat])), Ok(false));
    let err = assign_public_ip(PublicIp::Disabled, &v(&[Public]))
        .err()
        .unwrap_or_default();
    assert!(err.contains("reach nothing without a public IP"), "{err}");
    let err = assign_public_ip(PublicIp::Auto, &v(&[Nat, Isolated]))
        .err()
        .unwrap_or_default();
    assert!(err.contains("subnet-1 is isolated"), "{err}");
}

#[test]
fn customizations_apply_to_their_own_document() {
    let spec = spec_of(include_str!("../../profiles/customized.toml"));
    let r = render_customized(&spec, &ctx(&spec, false)).expect("customizations apply");
    assert_eq!(
        r.task_definition["runtimePlatform"]["cpuArchitecture"],
        "ARM64"
    );
    assert_eq!(r.task_definition["containerDefinitions"][0]["memory"], 4096);
    assert_eq!(
        r.task_definition["containerDefinitions"][0]["environment"][7],
        json!({"name": "PREFECT_LOGGING_LEVEL", "value": "DEBUG"})
    );
    assert_eq!(
        r.service["tags"][2],
        json!({"key": "team", "value": "data-platform"})
    );
    assert_eq!(
        r.service["deploymentConfiguration"]["minimumHealthyPercent"],
        0
    );
    let plain = render(&spec, &ctx(&spec, false));
    assert_eq!(
        plain.task_definition["runtimePlatform"]["cpuArchitecture"],
        "X86_64"
    );
}

#[test]
fn a_customization_that_puts_the_key_in_environment_is_refused() {
    let text = format!(
        "{}\n[[customizations]]\ntarget = \"task_definition\"\nop = \"add\"\npath = \"/containerDefinitions/0/environment/-\"\nvalue = {{ name = \"PREFECT_API_KEY\", value = \"pnu_x\" }}\n",
        include_str!("../../profiles/cloud.toml")
    );
    let spec = spec_of(&text);
    let err = render_customized(&spec, &ctx(&spec, true)).err();
    assert!(
        matches!(&err, Some(RenderError::SecretInEnvironment { name }) if name == "PREFECT_API_KEY"),
        "{err:?}"
    );
}

#[test]
fn placeholders_name_what_is_known_only_after_deploy() {
    let spec = cloud();
    let ctx = RenderContext::placeholders(&spec, None);
    assert_eq!(
        ctx.execution_role_arn,
        "arn:aws:iam::<account-id>:role/prefect-tui-cloud-execution"
    );
    assert_eq!(
        ctx.secret_arn.as_deref(),
        Some(
            "arn:aws:secretsmanager:us-east-1:<account-id>:secret:prefect-tui/cloud/api-key-<suffix>"
        )
    );
    assert_eq!(ctx.assign_public_ip, None, "auto is decided at deploy");
}

mod plan_tables;

/// The pool's defaults are what a flow run's task is started from, and AWS checks them as the
/// execution role: no log group may need creating (the role may not), and an image must be
/// one the subnets can pull.
#[test]
fn pool_defaults_need_no_log_group_creation_and_pull_an_ecr_worker_image_for_flow_runs() {
    let spec = cloud();
    let wanted = pool::pool_defaults(&spec, "arn:exec", Some("arn:secret"), "sg-1", true);
    let get = |name: &str| {
        wanted
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let logs = get("cloudwatch_logs_options").expect("log options");
    assert_eq!(logs["awslogs-create-group"], "false", "{logs}");
    assert_eq!(logs["awslogs-group"], spec.names.log_group());
    assert_eq!(
        get("image"),
        None,
        "a Docker Hub worker image leaves prefect-aws's default"
    );

    let ecr = spec_of(&include_str!("../../profiles/cloud.toml").replace(
        "image = \"prefecthq/prefect-aws:latest\"",
        "image = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/prefect-aws:3\"",
    ));
    let wanted = pool::pool_defaults(&ecr, "arn:exec", Some("arn:secret"), "sg-1", true);
    assert_eq!(
        wanted
            .iter()
            .find(|(n, _)| *n == "image")
            .map(|(_, v)| v.clone()),
        Some(json!(ecr.image))
    );
}
