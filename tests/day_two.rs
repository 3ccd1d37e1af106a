//! Day two against the emulators with the stand-in for Fargate: rotating the credential,
//! upgrading the worker (and ECS's circuit breaker rolling a broken image back), rolling
//! back to a revision, and the history of revisions.
//!
//! The rotation needs a Prefect that accepts the new credential and refuses others. Prefect
//! Cloud's API keys cannot be emulated, so the test rotates a self-hosted server's auth
//! string as its admin would: a Prefect server of the test's own (its own home and
//! database) is started with one auth string, the stack is deployed, the server is started
//! again with a new one (the old workers are now refused), and `rotate-key` brings the new
//! one to the tasks.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::scan::{files_under, hits, keep, needles, run_watched};
use common::stack::{Clients, public_network, text, write_self_hosted_profile};
use serde_json::Value;

/// A Prefect server of the test's own, on a port and home of its own.
struct OwnPrefect {
    child: Child,
    port: u16,
    home: PathBuf,
    venv: String,
}

impl OwnPrefect {
    fn start(venv: &str, home: &Path, port: u16, auth: &str) -> Self {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(format!("{venv}/bin/prefect"));
        for (name, _) in std::env::vars() {
            if name.starts_with("PREFECT_") {
                cmd.env_remove(name);
            }
        }
        cmd.args(["server", "start", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .env("PREFECT_HOME", home)
            .env("PREFECT_SERVER_API_AUTH_STRING", auth)
            .env("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            .env("PREFECT_SERVER_UI_ENABLED", "false")
            .env("DO_NOT_TRACK", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = cmd.spawn().expect("prefect server starts");
        Self {
            child,
            port,
            home: home.to_owned(),
            venv: venv.to_owned(),
        }
    }

    fn api(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    async fn wait_healthy(&self) {
        let started = Instant::now();
        let client = reqwest::Client::new();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(r) = client.get(format!("{}/health", self.api())).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("the test's Prefect server did not answer /health within 120 s");
    }

    /// Signals the server's process group (it runs uvicorn as a child). `--` keeps `kill`
    /// from reading the negative group id as an option.
    fn signal(&self, signal: &str) {
        let group = self.child.id();
        assert!(group > 1, "never a broadcast kill");
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{group}")])
            .status();
    }

    fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        self.signal("-KILL");
        let _ = self.child.wait();
    }

    /// The same server (same database) started again with another auth string.
    async fn restart_with(&mut self, auth: &str) {
        self.stop();
        *self = Self::start(&self.venv.clone(), &self.home.clone(), self.port, auth);
        self.wait_healthy().await;
    }
}

impl Drop for OwnPrefect {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

fn fresh_auth() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("prefect-tui:{nanos:x}{:x}", std::process::id())
}

/// The pool's workers as the Prefect server lists them: (name, status).
async fn workers(api: &str, auth: &str, pool: &str) -> Vec<(String, String)> {
    let (user, password) = auth.split_once(':').expect("user:password");
    let listed: Value = reqwest::Client::new()
        .post(format!("{api}/work_pools/{pool}/workers/filter"))
        .basic_auth(user, Some(password))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("Prefect answers")
        .json()
        .await
        .expect("JSON");
    listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap_or_default().to_owned(),
                w["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The service's tasks with this desired status: (ARN, started at).
async fn tasks(
    aws: &Clients,
    stack: &str,
    desired: aws_sdk_ecs::types::DesiredStatus,
) -> Vec<(String, Option<f64>, String)> {
    let cluster = format!("prefect-tui-{stack}");
    let arns = aws
        .ecs
        .list_tasks()
        .cluster(&cluster)
        .service_name(format!("prefect-tui-{stack}-worker"))
        .desired_status(desired)
        .send()
        .await
        .expect("tasks")
        .task_arns()
        .to_vec();
    if arns.is_empty() {
        return Vec::new();
    }
    aws.ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .expect("described")
        .tasks()
        .iter()
        .filter(|t| t.group() == Some(&format!("service:prefect-tui-{stack}-worker")))
        .map(|t| {
            (
                t.task_arn().unwrap_or_default().to_owned(),
                t.started_at().map(|d| d.as_secs_f64()),
                t.last_status().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn service(aws: &Clients, stack: &str) -> aws_sdk_ecs::types::Service {
    aws.ecs
        .describe_services()
        .cluster(format!("prefect-tui-{stack}"))
        .services(format!("prefect-tui-{stack}-worker"))
        .send()
        .await
        .expect("service")
        .services()
        .first()
        .cloned()
        .expect("the service")
}

/// The worker image of a revision.
async fn revision_image(aws: &Clients, arn: &str) -> String {
    aws.ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .expect("task definition")
        .task_definition()
        .and_then(|t| t.container_definitions().first())
        .and_then(|c| c.image())
        .unwrap_or_default()
        .to_owned()
}

async fn secret_value(aws: &Clients, stack: &str) -> String {
    aws.secrets
        .get_secret_value()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .send()
        .await
        .expect("secret")
        .secret_string()
        .unwrap_or_default()
        .to_owned()
}

async fn secret_versions(aws: &Clients, stack: &str) -> usize {
    aws.secrets
        .list_secret_version_ids()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .include_deprecated(true)
        .send()
        .await
        .expect("versions")
        .versions()
        .len()
}

/// The program with its own config directory and no credential in the environment.
fn program(h: &common::StandIn, config: &Path) -> Command {
    let mut cmd = common::raw_program(&h.moto, &h.region);
    cmd.env("PREFECT_TUI_CONFIG_DIR", config)
        .env_remove("PREFECT_API_KEY")
        .env_remove("PREFECT_API_AUTH_STRING");
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_key_brings_the_new_auth_string_to_new_tasks_and_a_refused_one_writes_nothing() {
    let Some(h) = common::stand_in() else { return };
    let Some(venv) = common::emulator("PREFECT_TUI_TEST_VENV") else {
        return;
    };
    let aws = Clients::new(&h.moto, &h.region);
    let home = tempfile::tempdir().expect("tempdir");
    let (old, new, refused) = (fresh_auth(), fresh_auth() + "b", fresh_auth() + "c");
    let mut server = OwnPrefect::start(&venv, home.path(), free_port(), &old);
    server.wait_healthy().await;

    let stack = common::unique("rotate");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 150).await;
    let config = tempfile::tempdir().expect("tempdir");
    let path = write_self_hosted_profile(
        config.path(),
        &stack,
        &h.region,
        &server.api(),
        &pool,
        &vpc,
        &subnets,
        "",
    );
    let profile = path.to_string_lossy().into_owned();
    let mut haystacks = Vec::new();

    let mut cmd = program(&h, config.path());
    cmd.args([
        "deploy",
        "--profile",
        &profile,
        "--yes",
        "--gate-timeout",
        "150",
    ])
    .env("PREFECT_API_AUTH_STRING", &old);
    let out = cmd.output().expect("deploy runs");
    assert!(out.status.success(), "deploy: {}", text(&out));
    let old_tasks: BTreeSet<String> =
        tasks(&aws, &stack, aws_sdk_ecs::types::DesiredStatus::Running)
            .await
            .into_iter()
            .map(|(arn, _, _)| arn)
            .collect();
    assert_eq!(old_tasks.len(), 1, "one worker task before the rotation");
    let known: BTreeSet<String> = workers(&server.api(), &old, &pool)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(!known.is_empty(), "the first worker registered");
    let versions = secret_versions(&aws, &stack).await;

    // The admin changes the server's auth string; the running worker is now refused.
    server.restart_with(&new).await;

    // A credential the server refuses writes nothing and starts nothing.
    let deployment_before = service(&aws, &stack).await.deployments()[0]
        .id()
        .unwrap_or_default()
        .to_owned();
    let mut cmd = program(&h, config.path());
    cmd.args(["rotate-key", "--profile", &profile, "--yes"])
        .env("PREFECT_API_AUTH_STRING", &refused);
    let (out, cmdline) = run_watched(cmd, None);
    assert_eq!(out.status.code(), Some(2), "refused: {}", text(&out));
    assert!(
        text(&out).contains("rejected the credential"),
        "{}",
        text(&out)
    );
    keep(&mut haystacks, "rotate-key (refused)", &out, cmdline);
    assert_eq!(
        secret_value(&aws, &stack).await,
        old,
        "the secret is untouched"
    );
    assert_eq!(
        secret_versions(&aws, &stack).await,
        versions,
        "no new version"
    );
    let after = service(&aws, &stack).await;
    assert_eq!(after.deployments().len(), 1, "no new deployment");
    assert_eq!(
        after.deployments()[0].id(),
        Some(deployment_before.as_str())
    );

    // The new one, piped in; killed once the secret holds it, then run again to the end.
    let rotation = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let mut cmd = program(&h, config.path());
    cmd.args([
        "rotate-key",
        "--profile",
        &profile,
        "--yes",
        "--api-key-stdin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("rotate-key starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{new}\n").as_bytes())
            .expect("key written");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while secret_value(&aws, &stack).await != new {
        assert!(
            Instant::now() < deadline,
            "the rotation never stored the new string"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("killed after the write");
    let _ = child.wait();
    let mut cmd = program(&h, config.path());
    cmd.args([
        "rotate-key",
        "--profile",
        &profile,
        "--yes",
        "--api-key-stdin",
        "--timeout",
        "240",
    ]);
    let (out, cmdline) = run_watched(cmd, Some(&format!("{new}\n")));
    let output = text(&out);
    assert!(out.status.success(), "rotate-key: {output}");
    assert!(
        output.contains("Key rotated")
            && output.contains("held it already")
            && output.contains("revoke the old key"),
        "{output}"
    );
    keep(&mut haystacks, "rotate-key", &out, cmdline);

    assert_eq!(
        secret_value(&aws, &stack).await,
        new,
        "the secret holds the new one"
    );
    assert_eq!(
        secret_versions(&aws, &stack).await,
        versions + 1,
        "as a new version"
    );
    let running = tasks(&aws, &stack, aws_sdk_ecs::types::DesiredStatus::Running).await;
    assert_eq!(running.len(), 1, "{running:?}");
    for (arn, started, _) in &running {
        assert!(
            !old_tasks.contains(arn),
            "the old task is not running: {arn}"
        );
        assert!(
            started.is_some_and(|s| s >= rotation - 1.0),
            "the running task started after the rotation: {started:?} vs {rotation}"
        );
    }
    let stopped = tasks(&aws, &stack, aws_sdk_ecs::types::DesiredStatus::Stopped).await;
    for arn in &old_tasks {
        assert!(
            stopped
                .iter()
                .any(|(a, _, status)| a == arn && status == "STOPPED"),
            "the old task {arn} is stopped: {stopped:?}"
        );
    }
    let online_new: Vec<_> = workers(&server.api(), &new, &pool)
        .await
        .into_iter()
        .filter(|(name, status)| status == "ONLINE" && !known.contains(name))
        .collect();
    assert!(
        !online_new.is_empty(),
        "a new worker is online with the new string"
    );

    // Run again: nothing left to do.
    let mut cmd = program(&h, config.path());
    cmd.args(["rotate-key", "--profile", &profile, "--yes"])
        .env("PREFECT_API_AUTH_STRING", &new);
    let (out, cmdline) = run_watched(cmd, None);
    assert!(out.status.success(), "again: {}", text(&out));
    assert!(text(&out).contains("Nothing to rotate"), "{}", text(&out));
    keep(&mut haystacks, "rotate-key (again)", &out, cmdline);

    // The scan: neither string anywhere but Secrets Manager.
    files_under(config.path(), &mut haystacks);
    for arn in common::stack::Clients::new(&h.moto, &h.region)
        .task_definition_arns(&stack, aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .await
    {
        let td = aws
            .ecs
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .expect("task definition");
        haystacks.push((
            format!("task definition {arn}"),
            format!("{td:?}").into_bytes(),
        ));
    }
    let mut all = needles(&old);
    all.extend(needles(&new));
    assert_eq!(
        hits(&haystacks, &all),
        Vec::<String>::new(),
        "no credential outside the secret"
    );
    let planted = vec![("planted".to_owned(), format!("x{new}x").into_bytes())];
    assert_eq!(
        hits(&planted, &all),
        ["planted"],
        "the search finds a planted copy"
    );

    let mut cmd = program(&h, config.path());
    cmd.args(["destroy", "--profile", &profile, "--yes"])
        .env("PREFECT_API_AUTH_STRING", &new);
    let out = cmd.output().expect("destroy runs");
    assert!(out.status.success(), "destroy: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_upgrade_is_rolled_back_a_good_one_is_kept_and_rollback_leaves_plan_empty() {
    let Some(h) = common::stand_in() else { return };
    let Some(broken) = common::emulator("PREFECT_TUI_TEST_BROKEN_IMAGE") else {
        return;
    };
    let broken_tag = broken.rsplit_once(':').expect("a tag").1.to_owned();
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique("upgrade");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 151).await;
    let config = tempfile::tempdir().expect("tempdir");
    // No image: a new profile's default, the pinned tag.
    let path = write_self_hosted_profile(
        config.path(),
        &stack,
        &h.region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        "",
    );
    let profile = path.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut cmd = program(&h, config.path());
        cmd.args(args).env("PREFECT_API_AUTH_STRING", &h.auth);
        cmd.output().expect("prefect-tui runs")
    };
    let out = run(&[
        "deploy",
        "--profile",
        &profile,
        "--yes",
        "--gate-timeout",
        "150",
    ]);
    assert!(out.status.success(), "deploy: {}", text(&out));
    let plan = run(&["plan", "--profile", &profile]);
    assert!(
        !text(&plan).contains("floats"),
        "a pinned default does not float: {}",
        text(&plan)
    );
    let first = service(&aws, &stack)
        .await
        .task_definition()
        .unwrap_or_default()
        .to_owned();
    assert!(first.ends_with(":1"), "{first}");

    // A tag whose container exits at once: ECS's circuit breaker rolls it back.
    let out = run(&[
        "upgrade",
        "--profile",
        &profile,
        "--to",
        &broken_tag,
        "--yes",
        "--timeout",
        "300",
    ]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("circuit breaker"), "{output}");
    assert!(output.contains("rolled the service back from"), "{output}");
    assert!(
        output.contains("Essential container in task exited"),
        "the tasks' reason: {output}"
    );
    assert!(output.contains("exit code 1"), "{output}");
    assert!(output.contains("The profile still says image"), "{output}");
    assert_eq!(
        service(&aws, &stack).await.task_definition(),
        Some(first.as_str()),
        "the old revision serves again"
    );
    let profile_text = std::fs::read_to_string(&path).expect("profile");
    assert!(!profile_text.contains(&broken_tag), "{profile_text}");
    let plan = run(&["plan", "--profile", &profile, "--output", "json"]);
    let changes: Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    assert!(
        changes["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["action"] == "noop"),
        "after the rollback by ECS, plan is empty: {changes}"
    );

    // A tag that runs: first as a dry run for a script, which changes nothing.
    let good = "0.7.11-python3.12-prefect3.8.4";
    let out = run(&[
        "upgrade",
        "--profile",
        &profile,
        "--to",
        good,
        "--dry-run",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "dry run: {}", text(&out));
    let dry: Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
    assert_eq!(dry["from"], Value::from(revision_image(&aws, &first).await));
    assert_eq!(dry["to"], format!("prefecthq/prefect-aws:{good}"));
    assert_eq!(
        service(&aws, &stack).await.task_definition(),
        Some(first.as_str())
    );
    // Killed mid-rollout: run again, it converges; kept, in the profile too.
    let upgrade = [
        "upgrade",
        "--profile",
        &profile,
        "--to",
        good,
        "--yes",
        "--timeout",
        "300",
    ];
    let mut cmd = program(&h, config.path());
    cmd.args(upgrade)
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("upgrade starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while service(&aws, &stack)
        .await
        .task_definition()
        .is_none_or(|td| !td.ends_with(":3"))
    {
        assert!(
            Instant::now() < deadline,
            "the upgrade never pointed the service at :3"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().expect("killed mid-rollout");
    let _ = child.wait();
    let profile_text = std::fs::read_to_string(&path).expect("profile");
    assert!(
        !profile_text.contains(good),
        "not written before it serves: {profile_text}"
    );
    let out = run(&upgrade);
    assert!(out.status.success(), "upgrade again: {}", text(&out));
    assert!(text(&out).contains("Prefect 3.8.4"), "{}", text(&out));
    let profile_text = std::fs::read_to_string(&path).expect("profile");
    assert!(
        profile_text.contains(&format!("prefecthq/prefect-aws:{good}")),
        "{profile_text}"
    );
    let third = service(&aws, &stack)
        .await
        .task_definition()
        .unwrap_or_default()
        .to_owned();
    assert!(third.ends_with(":3"), "{third}");

    // History: newest first, what changed, which is live, which ECS rolled back.
    let out = run(&["history", "--profile", &profile, "--output", "json"]);
    assert!(out.status.success(), "history: {}", text(&out));
    let history: Value = serde_json::from_slice(&out.stdout).expect("history JSON");
    let revisions = history["revisions"].as_array().expect("revisions");
    let numbers: Vec<i64> = revisions
        .iter()
        .map(|r| r["revision"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    let live: Vec<bool> = revisions.iter().map(|r| r["live"] == true).collect();
    assert_eq!(live, [true, false, false]);
    assert_eq!(revisions[1]["failed_rollout"], true, "{history}");
    assert!(
        revisions.iter().all(|r| r["registered_at"].is_string()),
        "each says when it was registered: {history}"
    );
    assert_eq!(
        revisions[0]["changed"],
        serde_json::json!([format!(
            "containerDefinitions[0].image: {broken} -> prefecthq/prefect-aws:{good}"
        )])
    );
    assert_eq!(revisions[2]["changed"], serde_json::json!([]));

    // Rollback: past the revision ECS rolled back, to the first; plan is empty after it.
    let out = run(&["rollback", "--profile", &profile, "--dry-run"]);
    assert!(out.status.success(), "dry run: {}", text(&out));
    assert!(text(&out).contains("to prefect-tui-"), "{}", text(&out));
    assert!(
        text(&out).contains(":1:"),
        "the dry run names revision 1: {}",
        text(&out)
    );
    assert_eq!(
        service(&aws, &stack).await.task_definition(),
        Some(third.as_str()),
        "a dry run"
    );
    let out = run(&[
        "rollback",
        "--profile",
        &profile,
        "--yes",
        "--timeout",
        "300",
    ]);
    let output = text(&out);
    assert!(out.status.success(), "rollback: {output}");
    assert!(output.contains("`plan` is empty"), "{output}");
    assert_eq!(
        service(&aws, &stack).await.task_definition(),
        Some(first.as_str())
    );
    let plan = run(&["plan", "--profile", &profile, "--output", "json"]);
    let changes: Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    assert!(
        changes["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["action"] == "noop"),
        "plan after rollback: {changes}"
    );
    let online: Vec<_> = workers(&h.prefect, &h.auth, &pool)
        .await
        .into_iter()
        .filter(|(_, s)| s == "ONLINE")
        .collect();
    assert!(!online.is_empty(), "a worker serves after the rollback");

    let out = run(&["destroy", "--profile", &profile, "--yes"]);
    assert!(out.status.success(), "destroy: {}", text(&out));
}

/// Every container's image of a revision, by container name.
async fn revision_images(aws: &Clients, arn: &str) -> Vec<(String, String)> {
    aws.ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .expect("task definition")
        .task_definition()
        .map(|t| {
            t.container_definitions()
                .iter()
                .map(|c| {
                    (
                        c.name().unwrap_or_default().to_owned(),
                        c.image().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// With alarms the task has a second container, the metrics sidecar, which runs the
/// worker's image: an upgrade moves both to the new tag, a rollback both back, and each
/// leaves the plan empty.
#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_and_a_rollback_move_the_metrics_sidecar_with_the_worker() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique("sidecar");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 152).await;
    let config = tempfile::tempdir().expect("tempdir");
    let path = write_self_hosted_profile(
        config.path(),
        &stack,
        &h.region,
        &h.prefect,
        &pool,
        &vpc,
        &subnets,
        "\n[notifications]\nemails = [\"oncall@example.com\"]\n\n[alarms]\n",
    );
    let profile = path.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut cmd = program(&h, config.path());
        cmd.args(args).env("PREFECT_API_AUTH_STRING", &h.auth);
        cmd.output().expect("prefect-tui runs")
    };
    let plan_is_empty = |when: &str| {
        let plan = run(&["plan", "--profile", &profile, "--output", "json"]);
        let changes: Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
        assert!(
            changes["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .all(|c| c["action"] == "noop"),
            "{when}: {changes}"
        );
    };
    let out = run(&[
        "deploy",
        "--profile",
        &profile,
        "--yes",
        "--gate-timeout",
        "150",
    ]);
    assert!(out.status.success(), "deploy: {}", text(&out));
    let first = service(&aws, &stack)
        .await
        .task_definition()
        .unwrap_or_default()
        .to_owned();
    let before = revision_images(&aws, &first).await;
    assert_eq!(before.len(), 2, "the worker and the sidecar: {before:?}");
    let old_image = before[0].1.clone();
    assert!(
        before.iter().all(|(_, image)| *image == old_image),
        "{before:?}"
    );

    let good = "0.7.11-python3.12-prefect3.8.4";
    let out = run(&[
        "upgrade",
        "--profile",
        &profile,
        "--to",
        good,
        "--yes",
        "--timeout",
        "300",
    ]);
    assert!(out.status.success(), "upgrade: {}", text(&out));
    let second = service(&aws, &stack)
        .await
        .task_definition()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(second, first);
    let after = revision_images(&aws, &second).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        after
            .iter()
            .all(|(_, image)| *image == format!("prefecthq/prefect-aws:{good}")),
        "both containers run the new tag: {after:?}"
    );
    plan_is_empty("after the upgrade");

    let out = run(&[
        "rollback",
        "--profile",
        &profile,
        "--yes",
        "--timeout",
        "300",
    ]);
    assert!(out.status.success(), "rollback: {}", text(&out));
    assert_eq!(
        service(&aws, &stack).await.task_definition(),
        Some(first.as_str())
    );
    assert_eq!(revision_images(&aws, &first).await, before);
    plan_is_empty("after the rollback");

    let out = run(&[
        "destroy",
        "--profile",
        &profile,
        "--yes",
        "--force-delete-secret",
    ]);
    assert!(out.status.success(), "destroy: {}", text(&out));
}
