//! `verify` against the emulators with the stand-in for Fargate: a real worker takes the
//! flow run, starts its ECS task with RunTask (checked against the worker role's policy:
//! the stand-in gives each task its task role's credentials and enforces IAM for them),
//! the stand-in runs the flow-run container as a local process, ships its output to
//! CloudWatch and sends ECS's task state changes through the emulated EventBridge to the
//! stack's queue, where the worker's observer reads them.
//!
//! What moto does not do, and these tests therefore do not show: IAM `Condition` blocks are
//! not evaluated (the worker policy's `ecs:cluster` and `iam:PassedToService` conditions
//! are pinned by the table tests of the rendered documents instead).

mod common;

use common::StandIn as Harness;
use common::journey::{deploy, deployed, destroy, verify};
use common::layouts::Net;
use common::stack::{Clients, run, text};
use serde_json::{Value, json};

async fn prefect(h: &Harness, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let (user, password) = h.auth.split_once(':').expect("user:password");
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/{path}", h.prefect))
        .basic_auth(user, Some(password));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("Prefect answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(
        status.is_success() || status.as_u16() == 404,
        "{path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Sets one variable's default in the pool's base job template, as a person would in the UI.
async fn set_pool_default(h: &Harness, pool: &str, variable: &str, value: Value) {
    let doc = prefect(h, reqwest::Method::GET, &format!("work_pools/{pool}"), None).await;
    let mut template = doc["base_job_template"].clone();
    template["variables"]["properties"][variable]["default"] = value;
    prefect(
        h,
        reqwest::Method::PATCH,
        &format!("work_pools/{pool}"),
        Some(json!({ "base_job_template": template })),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_run_completes_on_the_stack_where_the_pool_says_and_destroy_leaves_nothing() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "verify", 140).await;
    let (code, report, output) = verify(&h, &s);
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(report["final_state"], "Completed", "{report:#}");
    assert_eq!(report["failure"], Value::Null, "{report:#}");
    let states: Vec<&str> = report["phases"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["state"].as_str()).collect())
        .unwrap_or_default();
    // Pending can pass between two polls; the worker's Submitting and Running cannot.
    assert_eq!(states.first(), Some(&"Scheduled"), "{states:?}");
    assert!(states.contains(&"Running"), "{states:?}");
    assert_eq!(states.last(), Some(&"Completed"));

    // The flow-run task ran with the pool's network and roles.
    let aws = Clients::new(&h.moto, &h.region);
    let sg = aws.worker_security_groups(&s.stack).await[0]
        .group_id()
        .expect("sg id")
        .to_owned();
    let task = &report["task"];
    assert_eq!(task["last_status"], "STOPPED", "{report:#}");
    assert_eq!(task["exit_code"], 0, "{report:#}");
    let subnet = task["subnets"][0].as_str().unwrap_or_default();
    assert!(s.subnets.iter().any(|id| id == subnet), "{report:#}");
    assert_eq!(task["security_groups"], json!([sg]), "{report:#}");
    assert!(
        task["public_ip"].is_string(),
        "assignPublicIp ENABLED: {report:#}"
    );
    assert_eq!(
        task["execution_role"],
        format!(
            "arn:aws:iam::123456789012:role/prefect-tui-{}-execution",
            s.stack
        )
    );
    // Its output is in the stack's log group, read back here independently.
    assert_eq!(task["log_group"], format!("/ecs/prefect-tui/{}", s.stack));
    let lines = report["log_lines"].to_string();
    assert!(lines.contains("prefect-tui verify: done"), "{report:#}");
    let events = aws
        .logs
        .get_log_events()
        .log_group_name(format!("/ecs/prefect-tui/{}", s.stack))
        .log_stream_name(task["log_stream"].as_str().unwrap_or_default())
        .start_from_head(true)
        .send()
        .await
        .expect("the flow run's stream");
    assert!(
        events.events().iter().any(|e| e
            .message()
            .unwrap_or_default()
            .contains("prefect-tui verify: done")),
        "{events:?}"
    );
    // The people's view says the same.
    let out = run(
        &h.moto,
        &h.region,
        &["verify", "--profile", &s.profile],
        None,
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("Completed in") && said.contains("security groups  sg-"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "deployment prefect-tui-verify-{}/verify up to date",
            s.stack
        )),
        "{said}"
    );

    // destroy leaves no queue, rule, deployment or flow of the stack.
    let out = destroy(&h, &s);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "Removed from Prefect: deployment prefect-tui-verify-{}/verify.",
            s.stack
        )) && said.contains(&format!(
            "Removed from Prefect: flow prefect-tui-verify-{} and its runs.",
            s.stack
        )),
        "{said}"
    );
    // The flow run's task definition is prefect-aws's, not the stack's: kept with --yes,
    // and said, with how to remove it.
    assert!(
        said.contains(&format!(
            "Kept: 1 revision(s) in 1 flow-run task definition family (prefect_{}_<deployment id>)",
            s.pool
        )) && said.contains("--deregister-flow-run-definitions"),
        "{said}"
    );
    assert_eq!(flow_run_revisions(&aws, &s.pool).await.len(), 1);
    let queues = aws
        .sqs
        .list_queues()
        .queue_name_prefix(format!("prefect-tui-{}-", s.stack))
        .send()
        .await
        .expect("queues");
    assert!(queues.queue_urls().is_empty(), "{queues:?}");
    let rules = aws
        .events
        .list_rules()
        .name_prefix(format!("prefect-tui-{}-", s.stack))
        .send()
        .await
        .expect("rules");
    assert!(rules.rules().is_empty(), "{rules:?}");
    let deployment = prefect(
        &h,
        reqwest::Method::GET,
        &format!("deployments/name/prefect-tui-verify-{}/verify", s.stack),
        None,
    )
    .await;
    assert!(deployment.get("id").is_none(), "{deployment:#}");
    let flow = prefect(
        &h,
        reqwest::Method::GET,
        &format!("flows/name/prefect-tui-verify-{}", s.stack),
        None,
    )
    .await;
    assert!(
        flow.get("id").is_none(),
        "the stack's verify flow is gone: {flow:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_run_container_that_exits_1_is_marked_crashed_through_the_observer() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "verify-crash", 141).await;
    // The pool's command is what every flow-run container runs: a broken one exits 1.
    set_pool_default(
        &h,
        &s.pool,
        "command",
        json!("python -c \"print('verify-crash: about to exit 1'); raise SystemExit(1)\""),
    )
    .await;
    let (code, report, output) = verify(&h, &s);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["final_state"], "Crashed", "{report:#}");
    assert_eq!(report["failure"]["kind"], "crashed", "{report:#}");
    assert_eq!(report["failure"]["exit_code"], 1, "{report:#}");
    // The observer, not the worker, marked it: its message names the containers.
    assert!(
        report["failure"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("non-zero exit code"),
        "{report:#}"
    );
    assert!(
        report["log_lines"]
            .to_string()
            .contains("verify-crash: about to exit 1"),
        "{report:#}"
    );
    destroy(&h, &s);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_denied_run_task_is_named_and_deploy_restores_the_policy() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "verify-deny", 142).await;
    let aws = Clients::new(&h.moto, &h.region);
    let role = format!("prefect-tui-{}-worker", s.stack);
    let policy = aws
        .iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("prefect-tui-ecs-worker")
        .send()
        .await
        .expect("worker policy");
    let raw = policy.policy_document();
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    let mut doc: Value = serde_json::from_str(raw)
        .or_else(|_| serde_json::from_str(&decoded))
        .expect("JSON");
    let statements = doc["Statement"].as_array_mut().expect("statements");
    statements.retain(|st| st["Action"] != "ecs:RunTask");
    for statement in statements.iter_mut() {
        if let Some(actions) = statement["Action"].as_array_mut() {
            actions.retain(|a| a != "ecs:RunTask");
        }
    }
    assert!(!doc.to_string().contains("ecs:RunTask"));
    aws.iam
        .put_role_policy()
        .role_name(&role)
        .policy_name("prefect-tui-ecs-worker")
        .policy_document(doc.to_string())
        .send()
        .await
        .expect("policy edited by hand");

    let (code, report, output) = verify(&h, &s);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["failure"]["kind"], "worker_denied", "{report:#}");
    assert_eq!(report["failure"]["action"], "ecs:RunTask", "{report:#}");
    assert_eq!(report["failure"]["role"], role.as_str(), "{report:#}");

    let out = deploy(&h, &s.profile);
    assert!(out.status.success(), "{}", text(&out));
    let (code, report, output) = verify(&h, &s);
    assert_eq!(code, Some(0), "after deploy: {output}");
    assert_eq!(report["final_state"], "Completed");
    destroy(&h, &s);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_pointed_at_an_isolated_subnet_is_explained() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "verify-iso", 143).await;
    // A subnet with its own route table and no route out, and no endpoints in the VPC.
    let net = Net::new(&h.moto, &h.region);
    let isolated = net.subnet(&s.vpc, "10.143.9.0/24", 'a', "isolated").await;
    net.route_table(&s.vpc, &[isolated.as_str()]).await;
    let doc = prefect(
        &h,
        reqwest::Method::GET,
        &format!("work_pools/{}", s.pool),
        None,
    )
    .await;
    let mut config =
        doc["base_job_template"]["variables"]["properties"]["network_configuration"]["default"]
            .clone();
    config["subnets"] = json!([isolated]);
    set_pool_default(&h, &s.pool, "network_configuration", config).await;

    let (code, report, output) = verify(&h, &s);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(report["failure"]["kind"], "no_network_path", "{report:#}");
    let subnets = report["failure"]["subnets"].to_string();
    assert!(
        subnets.contains(&isolated) && subnets.contains("isolated"),
        "{report:#}"
    );
    let out = run(
        &h.moto,
        &h.region,
        &["verify", "--profile", &s.profile, "--timeout", "240"],
        None,
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("subnet {isolated}: isolated")),
        "{said}"
    );
    assert!(said.contains("prefect-tui discover"), "{said}");
    destroy(&h, &s);
}

/// A flow run still running holds the stack's security group with its task's network
/// interface (AWS refuses DeleteSecurityGroup with DependencyViolation, and so does the
/// stand-in): destroy stops the pool's flow-run tasks first and waits for them.
#[tokio::test(flavor = "multi_thread")]
async fn destroy_stops_a_flow_run_still_running_and_leaves_nothing() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "verify-running", 143).await;
    let aws = Clients::new(&h.moto, &h.region);
    set_pool_default(
        &h,
        &s.pool,
        "command",
        json!("python -c \"import time; print('verify-running: up'); time.sleep(900)\""),
    )
    .await;
    // verify gives up after its timeout; the flow run goes on.
    let out = run(
        &h.moto,
        &h.region,
        &[
            "verify",
            "--profile",
            &s.profile,
            "--output",
            "json",
            "--timeout",
            "45",
        ],
        None,
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let cluster = format!("prefect-tui-{}", s.stack);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let task = loop {
        let listed = aws
            .ecs
            .list_tasks()
            .cluster(&cluster)
            .send()
            .await
            .expect("tasks");
        let described = aws
            .ecs
            .describe_tasks()
            .cluster(&cluster)
            .set_tasks(Some(listed.task_arns().to_vec()))
            .send()
            .await
            .expect("describe");
        let running = described.tasks().iter().find(|t| {
            t.group().is_some_and(|g| g.starts_with("family:prefect_"))
                && t.last_status() == Some("RUNNING")
        });
        if let Some(t) = running {
            break t.task_arn().unwrap_or_default().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no flow-run task running: {}",
            text(&out)
        );
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    };

    assert!(!flow_run_revisions(&aws, &s.pool).await.is_empty());
    let out = run(
        &h.moto,
        &h.region,
        &[
            "destroy",
            "--profile",
            &s.profile,
            "--yes",
            "--force-delete-secret",
            "--deregister-flow-run-definitions",
        ],
        None,
    );
    assert!(out.status.success(), "destroy: {}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "Removed 1 flow-run task definition revision(s) of the pool {}.",
            s.pool
        )),
        "{}",
        text(&out)
    );
    assert_eq!(
        flow_run_revisions(&aws, &s.pool).await,
        Vec::<String>::new()
    );
    let described = aws
        .ecs
        .describe_tasks()
        .cluster(&cluster)
        .tasks(&task)
        .send()
        .await
        .expect("describe");
    let stopped = described.tasks().first().expect("the task");
    assert_eq!(stopped.last_status(), Some("STOPPED"), "{stopped:?}");
    assert!(
        stopped
            .stopped_reason()
            .is_some_and(|r| r.contains("prefect-tui destroy")),
        "{stopped:?}"
    );
    common::stack::assert_nothing_tagged(&aws, &s.stack).await;
}

/// Every revision (ACTIVE or INACTIVE) of the task definitions the worker registered for
/// flow runs of `pool`, read with the SDK.
async fn flow_run_revisions(aws: &Clients, pool: &str) -> Vec<String> {
    let families = aws
        .ecs
        .list_task_definition_families()
        .family_prefix(format!("prefect_{pool}_"))
        .status(aws_sdk_ecs::types::TaskDefinitionFamilyStatus::All)
        .send()
        .await
        .expect("families");
    let mut revisions = Vec::new();
    for family in families.families() {
        for status in [
            aws_sdk_ecs::types::TaskDefinitionStatus::Active,
            aws_sdk_ecs::types::TaskDefinitionStatus::Inactive,
        ] {
            let listed = aws
                .ecs
                .list_task_definitions()
                .family_prefix(family)
                .status(status)
                .send()
                .await
                .expect("revisions");
            revisions.extend(listed.task_definition_arns().iter().cloned());
        }
    }
    revisions
}
