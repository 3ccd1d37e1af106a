//! "The worker is online" as the goal of a deploy, against the emulators with the stand-in
//! for Fargate running: real `prefect worker` processes start from the task definition the
//! tool wrote, read their credential from the emulated Secrets Manager, log into the
//! emulated CloudWatch and heartbeat into a real Prefect server (with basic auth).

mod common;

use common::StandIn as Harness;
use common::stack::{Clients, public_network, run, text, write_self_hosted_profile};
use serde_json::Value;

/// A profile for the harness's self-hosted server, as a path argument.
fn profile(
    h: &Harness,
    dir: &std::path::Path,
    stack: &str,
    api_url: &str,
    pool: &str,
    vpc: &str,
    subnets: &[String],
) -> String {
    write_self_hosted_profile(dir, stack, &h.region, api_url, pool, vpc, subnets, "")
        .to_string_lossy()
        .into_owned()
}

fn deploy(h: &Harness, profile: &str, auth: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = common::program_against(&h.moto, &h.region);
    cmd.args(["deploy", "--profile", profile, "--yes"])
        .args(extra)
        .env("PREFECT_API_AUTH_STRING", auth);
    cmd.output().expect("prefect-tui runs")
}

async fn prefect_get(h: &Harness, path: &str) -> Value {
    let (user, password) = h.auth.split_once(':').expect("user:password");
    reqwest::Client::new()
        .get(format!("{}/{path}", h.prefect))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("Prefect answers")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_returns_once_a_real_worker_is_online_and_the_pool_holds_the_stack() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("online");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 80).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = profile(&h, dir.path(), &stack, &h.prefect, &pool, &vpc, &subnets);

    let out = deploy(&h, &profile, &h.auth, &["--gate-timeout", "150"]);
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("Worker online:") && output.contains(&format!("in pool {pool}")),
        "{output}"
    );
    assert!(
        !output.contains(&h.auth),
        "the auth string is never printed"
    );

    // The worker is really there, heard from by the Prefect server itself.
    let (user, password) = h.auth.split_once(':').expect("user:password");
    let workers: Value = reqwest::Client::new()
        .post(format!("{}/work_pools/{pool}/workers/filter", h.prefect))
        .basic_auth(user, Some(password))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("Prefect answers")
        .json()
        .await
        .expect("JSON");
    let online = workers
        .as_array()
        .map(|w| w.iter().filter(|w| w["status"] == "ONLINE").count());
    assert_eq!(online, Some(1), "{workers:#}");

    // The pool's base job template holds what flow runs need, read back through Prefect.
    let aws = Clients::new(&h.moto, &h.region);
    let secret = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .send()
        .await
        .expect("secret");
    let sg = aws.worker_security_groups(&stack).await[0]
        .group_id()
        .expect("sg id")
        .to_owned();
    let pool_doc = prefect_get(&h, &format!("work_pools/{pool}")).await;
    assert_eq!(pool_doc["type"], "ecs");
    let vars = &pool_doc["base_job_template"]["variables"]["properties"];
    assert_eq!(vars["cluster"]["default"], format!("prefect-tui-{stack}"));
    assert_eq!(vars["vpc_id"]["default"], vpc.as_str());
    // The awsvpcConfiguration itself: the worker wraps it (a wrapped value fails RunTask).
    let net = &vars["network_configuration"]["default"];
    assert!(net.get("awsvpcConfiguration").is_none(), "{net:#}");
    assert_eq!(net["subnets"], serde_json::json!(subnets));
    assert_eq!(net["securityGroups"], serde_json::json!([sg]));
    assert_eq!(net["assignPublicIp"], "ENABLED");
    assert_eq!(
        vars["execution_role_arn"]["default"],
        format!("arn:aws:iam::123456789012:role/prefect-tui-{stack}-execution")
    );
    assert_eq!(
        vars["prefect_api_auth_string_secret_arn"]["default"],
        secret.arn().expect("arn")
    );
    assert_eq!(
        vars["cloudwatch_logs_options"]["default"]["awslogs-group"],
        format!("/ecs/prefect-tui/{stack}")
    );

    // The worker's logs are in CloudWatch, in the awslogs stream of its task. The worker
    // heartbeats before it logs its start, and the stand-in ships output in batches, so the
    // line may arrive a moment after the gate opened: look for it for a bounded while.
    let group = format!("/ecs/prefect-tui/{stack}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let started_in = loop {
        let events = aws
            .logs
            .filter_log_events()
            .log_group_name(&group)
            .send()
            .await
            .expect("log events");
        let found = events
            .events()
            .iter()
            .find(|e| e.message().unwrap_or_default().contains("started"))
            .and_then(|e| e.log_stream_name())
            .map(str::to_owned);
        if let Some(stream) = found {
            break stream;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker logged its start within a minute of coming online; events: {:?}",
            events
                .events()
                .iter()
                .map(|e| e.message().unwrap_or_default())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(
        started_in.starts_with("worker/prefect-worker/"),
        "{started_in}"
    );

    // `status` reads the same state: the service, its running task, the online worker.
    let out = run(
        &h.moto,
        &h.region,
        &["status", "--profile", &profile, "--output", "json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let status: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    assert_eq!(status["service"]["desired"], 1, "{status:#}");
    let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t["last_status"] == "RUNNING")
            .count(),
        1,
        "{status:#}"
    );
    assert!(
        tasks[0]["task_definition"]
            .as_str()
            .unwrap_or_default()
            .ends_with(":1"),
        "{status:#}"
    );
    let workers = status["workers"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        workers.iter().filter(|w| w["status"] == "ONLINE").count(),
        1,
        "{status:#}"
    );
    assert!(
        workers[0]["heartbeat_age"]
            .as_u64()
            .is_some_and(|a| a < 120),
        "{status:#}"
    );
    assert_eq!(status["errors"], serde_json::json!([]), "{status:#}");
    let out = run(&h.moto, &h.region, &["status", "--profile", &profile], None);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("1 desired") && table.contains("ONLINE heartbeat"),
        "{table}"
    );

    // A second deploy changes nothing and still checks the worker is online.
    let out = deploy(&h, &profile, &h.auth, &["--gate-timeout", "60"]);
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("Nothing to change") && output.contains("Worker online:"),
        "{output}"
    );

    let out = run(
        &h.moto,
        &h.region,
        &[
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_pointed_at_a_wrong_api_fails_the_gate_with_its_own_log_lines() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("wrongurl");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 81).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The deployer reaches the server; the worker is sent elsewhere by a customization.
    // Port 9 is let out (`egress_ports`), so the worker's calls are refused at once and
    // it says so; without it the security group drops them and the worker waits out its
    // connect timeouts in silence, as on AWS.
    let extra = "egress_ports = [9]\n\n[[customizations]]\ntarget = \"task_definition\"\n\
        op = \"replace\"\npath = \"/containerDefinitions/0/environment/0/value\"\n\
        value = \"http://127.0.0.1:9/api\"\n";
    let path = write_self_hosted_profile(
        dir.path(),
        &stack,
        &h.region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        extra,
    )
    .to_string_lossy()
    .into_owned();

    let started = std::time::Instant::now();
    let out = deploy(&h, &path, &h.auth, &["--gate-timeout", "45"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(
        started.elapsed().as_secs() < 120,
        "fails within its timeout"
    );
    assert!(
        output.contains(&format!(
            "0 of 1 worker(s) came online in pool {pool} within 45s"
        )),
        "{output}"
    );
    // The worker keeps running and retrying, so the diagnosis says so and quotes it.
    assert!(
        output.contains("but its worker has not reached the Prefect API"),
        "{output}"
    );
    let quoted: Vec<&str> = output
        .lines()
        .filter(|l| l.trim_start().starts_with("| "))
        .collect();
    assert!(
        !quoted.is_empty(),
        "the worker's log lines are quoted: {output}"
    );
    assert!(
        quoted.iter().any(|l| l.contains("127.0.0.1:9")),
        "they show the wrong address: {output}"
    );

    let out = run(
        &h.moto,
        &h.region,
        &[
            "destroy",
            "--profile",
            &path,
            "--yes",
            "--force-delete-secret",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_credential_stops_before_anything_is_made() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("rejected");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 82).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = format!("ecs-{stack}");
    let path = profile(&h, dir.path(), &stack, &h.prefect, &pool, &vpc, &subnets);
    let out = deploy(&h, &path, "prefect-tui:wrong-password", &["--no-wait"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(2), "{output}");
    assert!(
        output.contains("rejected the credential (HTTP 401)"),
        "{output}"
    );
    assert!(!output.contains("wrong-password"));
    let aws = Clients::new(&h.moto, &h.region);
    assert!(
        aws.secrets
            .describe_secret()
            .secret_id(format!("prefect-tui/{stack}/api-key"))
            .send()
            .await
            .is_err(),
        "nothing was made"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_is_named_and_does_not_block_aws_work() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("unreach");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 83).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = profile(
        &h,
        dir.path(),
        &stack,
        "http://127.0.0.1:9/api",
        "p",
        &vpc,
        &subnets,
    );
    let out = run(&h.moto, &h.region, &["plan", "--profile", &path], None);
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("Work pool not checked: the Prefect API at http://127.0.0.1:9/api/work_pools/p cannot be reached"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_destroy_a_plan_without_the_credential_names_the_deleted_secret_not_a_bad_key() {
    let Some(h) = common::stand_in() else { return };
    // A region the stand-in does not serve: no worker is needed, only the real Prefect
    // server's refusal of a request that carries no credential.
    let region = "eu-west-1";
    let stack = common::unique("afterdestroy");
    let (vpc, subnets) = public_network(&h.moto, region, 84).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = format!("ecs-{stack}");
    let path = write_self_hosted_profile(
        dir.path(),
        &stack,
        region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        "",
    )
    .to_string_lossy()
    .into_owned();
    let out = common::program_against(&h.moto, region)
        .args(["deploy", "--profile", &path, "--yes", "--no-wait"])
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .output()
        .expect("prefect-tui runs");
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &h.moto,
        region,
        &["destroy", "--profile", &path, "--yes"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("The Prefect work pool {pool} is kept")),
        "destroy says what becomes of the pool: {}",
        text(&out)
    );

    let out = run(&h.moto, region, &["plan", "--profile", &path], None);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(2), "{output}");
    assert!(
        output.contains(&format!(
            "the stack's secret prefect-tui/{stack}/api-key is scheduled for deletion"
        )),
        "{output}"
    );
    assert!(!output.contains("rejected the credential"), "{output}");
    assert!(output.contains("PREFECT_API_AUTH_STRING"), "{output}");
}
