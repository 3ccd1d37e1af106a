//! What `status` shows agrees with itself once a real worker runs under the stand-in for
//! Fargate: the service's running count is the number of RUNNING tasks listed, the PRIMARY
//! deployment's counts say the same and its rollout is COMPLETED, the task's health check
//! has passed; and a task stopped with the ECS API really ends (its process is gone) and
//! the service replaces it, as on ECS.

mod common;

use std::time::{Duration, Instant};

use common::stack::{Clients, public_network, run, text, write_self_hosted_profile};
use serde_json::Value;

fn status(h: &common::StandIn, profile: &str) -> Value {
    let out = run(
        &h.moto,
        &h.region,
        &["status", "--profile", profile, "--output", "json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

fn running_tasks(status: &Value) -> Vec<Value> {
    status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["last_status"] == "RUNNING")
        .cloned()
        .collect()
}

/// The service's running count equals the RUNNING tasks listed, whatever the moment.
fn assert_counts_agree(status: &Value) {
    assert_eq!(
        status["service"]["running"].as_u64(),
        Some(running_tasks(status).len() as u64),
        "the service's running count is the number of RUNNING tasks: {status:#}"
    );
}

/// Polls `status` until `done` holds, checking the counts agree in every answer.
fn status_until(
    h: &common::StandIn,
    profile: &str,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let s = status(h, profile);
        assert_counts_agree(&s);
        if done(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {timeout:?}: {s:#}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The pid the stand-in logged for the task: "started task ID (pid N)".
fn pid_of(log: &str, task_id: &str) -> Option<u32> {
    let marker = format!("started task {task_id} (pid ");
    let line = log.lines().find(|l| l.contains(&marker))?;
    let rest = &line[line.find(&marker)? + marker.len()..];
    rest.split(')').next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_agrees_with_the_tasks_and_a_stopped_task_ends_and_is_replaced() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("truth");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 91).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = write_self_hosted_profile(
        dir.path(),
        &stack,
        &h.region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        "",
    )
    .to_string_lossy()
    .into_owned();
    let mut deploy = common::program_against(&h.moto, &h.region);
    deploy
        .args([
            "deploy",
            "--profile",
            &profile,
            "--yes",
            "--gate-timeout",
            "150",
        ])
        .env("PREFECT_API_AUTH_STRING", &h.auth);
    let out = deploy.output().expect("prefect-tui runs");
    assert!(out.status.success(), "{}", text(&out));

    // The worker is online. Its health check (the task definition's, run by the stand-in)
    // passes soon after; until then the rollout is still in progress.
    let steady = status_until(
        &h,
        &profile,
        "the task HEALTHY and the rollout COMPLETED",
        Duration::from_secs(90),
        |s| {
            running_tasks(s).first().map(|t| t["health"].clone()) == Some("HEALTHY".into())
                && s["service"]["deployments"][0]["rollout_state"] == "COMPLETED"
        },
    );
    let service = &steady["service"];
    let tasks = running_tasks(&steady);
    assert_eq!(tasks.len(), 1, "{steady:#}");
    assert_eq!(service["desired"], 1, "{steady:#}");
    assert_eq!(service["pending"], 0, "{steady:#}");
    let deployments = service["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        deployments.len(),
        1,
        "one deployment once steady: {steady:#}"
    );
    let primary = &deployments[0];
    assert_eq!(primary["status"], "PRIMARY", "{steady:#}");
    assert_eq!(primary["desired"], service["desired"], "{steady:#}");
    assert_eq!(primary["running"], service["running"], "{steady:#}");
    assert_eq!(primary["pending"], 0, "{steady:#}");
    assert_eq!(
        primary["task_definition"], tasks[0]["task_definition"],
        "{steady:#}"
    );

    // Stop the task through the ECS API, as the monitor's `x` does.
    let task_id = tasks[0]["id"].as_str().expect("task id").to_owned();
    let log_path = std::env::var("PREFECT_TUI_TEST_STANDIN_LOG")
        .expect("scripts/test exports the stand-in's log with the emulators");
    let pid = pid_of(
        &std::fs::read_to_string(&log_path).expect("the stand-in's log"),
        &task_id,
    )
    .expect("the stand-in logged the task's pid");
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the task's process runs"
    );
    let aws = Clients::new(&h.moto, &h.region);
    aws.ecs
        .stop_task()
        .cluster(format!("prefect-tui-{stack}"))
        .task(&task_id)
        .send()
        .await
        .expect("StopTask");

    // Its process ends (SIGTERM, SIGKILL after the 10 s stop timeout at the latest).
    let deadline = Instant::now() + Duration::from_secs(30);
    let exited = format!("task {task_id} exited with code");
    loop {
        let log = std::fs::read_to_string(&log_path).expect("the stand-in's log");
        if log.contains(&exited) && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stopped task's process {pid} ended within 30 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // A replacement comes RUNNING, and the stopped task says why it stopped.
    let replaced = status_until(
        &h,
        &profile,
        "a replacement task RUNNING",
        Duration::from_secs(60),
        |s| running_tasks(s).iter().any(|t| t["id"] != task_id.as_str()),
    );
    assert_eq!(running_tasks(&replaced).len(), 1, "{replaced:#}");
    let stopped = replaced["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == task_id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(stopped["last_status"], "STOPPED", "{replaced:#}");
    assert_eq!(
        stopped["stopped_reason"], "Task stopped by user",
        "{replaced:#}"
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
