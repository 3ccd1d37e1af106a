//! The deployer's own permissions, enforced: the two policies SECURITY.md shows
//! (`assets/iam/deployer-policy.json`, `assets/iam/read-only-policy.json`) are each the only
//! policy of an IAM role, the test assumes that role with STS, and the program runs with the
//! temporary keys. The stand-in checks IAM for every request signed with keys an AssumeRole
//! issued (scripts/standin/iam.py), so an action missing from a file fails its test.
//!
//! The whole journey runs as the deployer role: plan, deploy (its own NAT network,
//! notifications, alarms, scaling, Spot flow runs), verify to Completed, status, logs,
//! rotate-key, upgrade, history, rollback, plan, destroy; and a second, short stack in an
//! `endpoints` network (the VPC endpoints and their security group rule). The read-only
//! role runs status, plan, logs, history and discover on a stack deployed with full rights,
//! and its deploy is refused.
//!
//! What this does not show: moto names no resource for EC2, SNS, EventBridge, CloudWatch,
//! Application Auto Scaling and most ECS requests, so the policies grant those on `*` (a
//! scoped statement would grant nothing here) and their scope is not checked; the
//! permissions AWS adds to a call (tag on create: sns:TagResource, cloudwatch:TagResource,
//! sqs:TagQueue, ...; iam:CreateServiceLinkedRole) are not asked by the stand-in, except
//! iam:PassRole and ecs:TagResource on RegisterTaskDefinition (iam_implicit.py): the unit
//! tests below pin them in the file instead. `monitor` is not run (its calls are those of
//! status, logs and the metrics, all in the read-only policy).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::StandIn as Harness;
use common::stack::{Clients, assert_nothing_tagged, public_network, text};
use serde_json::Value;

const DEPLOYER: &str = "assets/iam/deployer-policy.json";
const READ_ONLY: &str = "assets/iam/read-only-policy.json";
const ACCOUNT: &str = "123456789012";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A policy file, read at run time (so removing an action by hand needs no rebuild).
fn policy_text(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn policy(path: &str) -> Value {
    serde_json::from_str(&policy_text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// IAM's wildcard match of an action pattern (case-insensitive, `*` and `?`).
fn matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y) && go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every action a policy names, as written.
fn actions(doc: &Value) -> Vec<String> {
    doc["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| strings(&s["Action"]))
        .map(str::to_owned)
        .collect()
}

fn allows(doc: &Value, action: &str) -> bool {
    actions(doc).iter().any(|p| matches(p, action))
}

/// The `service:Action` labels the program's AWS calls carry (`AwsError::from_sdk("...")`
/// and `const ACTION`), read from src/: every API operation it calls.
fn called_actions() -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![repo("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        for marker in ["from_sdk(\"", "const ACTION: &str = \""] {
            for (at, _) in source.match_indices(marker) {
                let rest = &source[at + marker.len()..];
                if let Some(end) = rest.find('"') {
                    found.insert(rest[..end].to_owned());
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn both_files_are_policies_of_named_allow_statements_that_fit_one_managed_policy() {
    for path in [DEPLOYER, READ_ONLY] {
        let doc = policy(path);
        assert_eq!(doc["Version"], "2012-10-17", "{path}");
        let statements = doc["Statement"].as_array().expect("statements");
        let mut sids: Vec<&str> = statements
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(
            sids.len(),
            statements.len(),
            "{path}: every statement has a Sid"
        );
        sids.sort_unstable();
        sids.dedup();
        assert_eq!(sids.len(), statements.len(), "{path}: Sids are unique");
        assert!(
            statements
                .iter()
                .all(|s| s["Effect"] == "Allow" && !s["Resource"].is_null()),
            "{path}: Allow statements with a Resource"
        );
        // IAM's quota for a customer managed policy, whitespace not counted.
        let size = policy_text(path)
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        assert!(size <= 6144, "{path}: {size} characters, over 6,144");
    }
}

#[test]
fn the_deployer_policy_allows_every_call_the_program_makes_and_what_aws_adds_to_them() {
    let doc = policy(DEPLOYER);
    let called = called_actions();
    assert!(called.len() > 100, "the scan found the calls: {called:?}");
    let missing: Vec<&String> = called.iter().filter(|a| !allows(&doc, a)).collect();
    assert!(missing.is_empty(), "not in {DEPLOYER}: {missing:?}");
    // What AWS asks besides the call's own action (tag on create, service-linked roles,
    // passing the roles), which the stand-in mostly does not ask.
    for implied in [
        "iam:TagRole",
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
        "secretsmanager:TagResource",
        "logs:TagResource",
        "sqs:TagQueue",
        "events:TagResource",
        "sns:TagResource",
        "cloudwatch:TagResource",
        "ecs:TagResource",
        "ec2:CreateTags",
    ] {
        assert!(allows(&doc, implied), "{implied} is in {DEPLOYER}");
    }
    assert!(
        actions(&doc).iter().all(|a| !a.contains('*')),
        "every action named, none by wildcard"
    );
}

#[test]
fn the_read_only_policy_reads_only_and_only_what_the_deployer_may() {
    let read_only = policy(READ_ONLY);
    let deployer = policy(DEPLOYER);
    for action in actions(&read_only) {
        let name = action.split_once(':').map_or("", |(_, n)| n);
        assert!(
            ["Describe", "Get", "List", "Filter", "StartLiveTail"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{action} is a read"
        );
        assert!(
            allows(&deployer, &action),
            "{action} is in the deployer's too"
        );
    }
}

/// Temporary keys of a role whose only policy is `path`, made by the test's own keys.
struct Role {
    key: String,
    secret: String,
    token: String,
}

async fn assume(h: &Harness, path: &str, name: &str) -> Role {
    let config = common::sdk_config(&h.moto, &h.region);
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") },
            "Action": "sts:AssumeRole"
        }]
    });
    // Not named prefect-tui-*: the deployer may change such roles, never its own.
    let role = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("CreateRole")
        .role()
        .map(|r| r.arn().to_owned())
        .expect("a role");
    let managed = iam
        .create_policy()
        .policy_name(name)
        .policy_document(policy_text(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreatePolicy from {path}: {e:?}"))
        .policy()
        .and_then(|p| p.arn().map(str::to_owned))
        .expect("a policy");
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(managed)
        .send()
        .await
        .expect("AttachRolePolicy");
    let sts = aws_sdk_sts::Client::new(&config);
    let out = sts
        .assume_role()
        .role_arn(role)
        .role_session_name("deployer-policy-test")
        .duration_seconds(3600)
        .send()
        .await
        .expect("AssumeRole");
    let c = out.credentials().expect("credentials");
    Role {
        key: c.access_key_id().to_owned(),
        secret: c.secret_access_key().to_owned(),
        token: c.session_token().to_owned(),
    }
}

/// The program as `role`, with the harness's Prefect auth string.
fn run_as(h: &Harness, role: &Role, args: &[&str]) -> Output {
    common::program_against(&h.moto, &h.region)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &role.key)
        .env("AWS_SECRET_ACCESS_KEY", &role.secret)
        .env("AWS_SESSION_TOKEN", &role.token)
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .output()
        .expect("prefect-tui runs")
}

/// The program with the test's own (unchecked) keys.
fn run_admin(h: &Harness, args: &[&str]) -> Output {
    common::program_against(&h.moto, &h.region)
        .args(args)
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .output()
        .expect("prefect-tui runs")
}

#[track_caller]
fn succeeded(what: &str, out: &Output) -> String {
    let said = text(out);
    assert!(out.status.success(), "{what} as the role: {said}");
    said
}

const OPTIONS: &str = r#"
[worker]
desired_count = 1

[notifications]
emails = ["oncall@example.com"]

[alarms]
minutes = 3

[scaling]
min = 1
max = 2
on = "backlog"
backlog_per_worker = 4

[flow_runs]
spot = true
"#;

/// The journey's options: no alarms and scaling on CPU, so the worker task has no metrics
/// sidecar. With the sidecar, `upgrade` refused every stack until this change (it allowed
/// only the first container's image to change, and the sidecar runs the worker's image);
/// the fix is in `src/ops/upgrade.rs`, and the read-only test below still deploys with
/// alarms and backlog scaling, so their reads are checked there.
const JOURNEY_OPTIONS: &str = r#"
[worker]
desired_count = 1

[notifications]
emails = ["oncall@example.com"]

[scaling]
min = 1
max = 2
on = "cpu"

[flow_runs]
spot = true
"#;

/// A profile of the harness's self-hosted Prefect (at `api`) with `network` and `extra`.
fn profile(h: &Harness, api: &str, dir: &Path, stack: &str, network: &str, extra: &str) -> String {
    let text = format!(
        "stack = \"{stack}\"\n\n[aws]\nregion = \"{}\"\n\n[prefect]\napi_url = \"{}\"\n\
         work_pool = \"ecs-{stack}\"\ncredential = \"auth-string\"\n\n[network]\n{network}\n{extra}",
        h.region, api
    );
    let path = dir.join(format!("{stack}.toml"));
    std::fs::write(&path, text).expect("profile written");
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_journey_runs_as_a_role_with_only_the_deployer_policy() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let role = assume(&h, DEPLOYER, &common::unique("deployer")).await;
    let stack = common::unique("deployer");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = profile(
        &h,
        &h.prefect,
        dir.path(),
        &stack,
        "create = \"nat\"",
        JOURNEY_OPTIONS,
    );
    let p = p.as_str();

    succeeded("plan", &run_as(&h, &role, &["plan", "--profile", p]));
    let deploy = ["deploy", "--profile", p, "--yes", "--gate-timeout", "150"];
    let said = succeeded("deploy", &run_as(&h, &role, &deploy));
    assert!(said.contains("Worker online"), "{said}");

    let out = run_as(
        &h,
        &role,
        &[
            "verify",
            "--profile",
            p,
            "--output",
            "json",
            "--timeout",
            "240",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(report["final_state"], "Completed", "{}", text(&out));
    succeeded("status", &run_as(&h, &role, &["status", "--profile", p]));
    succeeded("logs", &run_as(&h, &role, &["logs", "--profile", p]));

    // The secret holds an older credential, so the rotation has something to write.
    aws.secrets
        .put_secret_value()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .secret_string("prefect-tui:an-older-one")
        .send()
        .await
        .expect("PutSecretValue");
    let rotate = ["rotate-key", "--profile", p, "--yes", "--timeout", "240"];
    let said = succeeded("rotate-key", &run_as(&h, &role, &rotate));
    assert!(said.contains("Key rotated"), "{said}");

    let good = "0.7.11-python3.12-prefect3.8.4";
    let upgrade = [
        "upgrade",
        "--profile",
        p,
        "--to",
        good,
        "--yes",
        "--timeout",
        "300",
    ];
    succeeded("upgrade", &run_as(&h, &role, &upgrade));
    let out = run_as(&h, &role, &["history", "--profile", p, "--output", "json"]);
    let history: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        history["revisions"].as_array().map(Vec::len),
        Some(2),
        "{}",
        text(&out)
    );
    let rollback = ["rollback", "--profile", p, "--yes", "--timeout", "300"];
    succeeded("rollback", &run_as(&h, &role, &rollback));
    let said = succeeded("plan", &run_as(&h, &role, &["plan", "--profile", p]));
    assert!(
        said.contains("0 to create, 0 to update, 0 to replace"),
        "{said}"
    );

    let destroy = ["destroy", "--profile", p, "--yes", "--force-delete-secret"];
    succeeded("destroy", &run_as(&h, &role, &destroy));
    assert_nothing_tagged(&aws, &stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoints_network_is_made_and_destroyed_with_only_the_deployer_policy() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let role = assume(&h, DEPLOYER, &common::unique("deployer-endpoints")).await;
    let stack = common::unique("deployer-ep");
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!(
        "[worker]\nimage = \"{ACCOUNT}.dkr.ecr.{}.amazonaws.com/prefect-aws:3-python3.12\"\n",
        h.region
    );
    // No internet: the worker reaches Prefect only if it is inside the VPC.
    let Some(in_vpc) = common::emulator("PREFECT_TUI_TEST_PREFECT_IN_VPC_API_URL") else {
        return;
    };
    let p = profile(
        &h,
        &in_vpc,
        dir.path(),
        &stack,
        "create = \"endpoints\"",
        &image,
    );
    let deploy = ["deploy", "--profile", &p, "--yes", "--gate-timeout", "150"];
    succeeded("deploy", &run_as(&h, &role, &deploy));
    let destroy = ["destroy", "--profile", &p, "--yes", "--force-delete-secret"];
    succeeded("destroy", &run_as(&h, &role, &destroy));
    assert_nothing_tagged(&aws, &stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_only_policy_reads_a_stack_and_cannot_change_it() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique("readonly");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 171).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let network = format!(
        "vpc_id = \"{vpc}\"\nsubnet_ids = [{}]",
        subnets
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let p = profile(&h, &h.prefect, dir.path(), &stack, &network, OPTIONS);
    let p = p.as_str();
    let deploy = ["deploy", "--profile", p, "--yes", "--gate-timeout", "150"];
    let out = run_admin(&h, &deploy);
    assert!(
        out.status.success(),
        "deploy with full rights: {}",
        text(&out)
    );

    let role = assume(&h, READ_ONLY, &common::unique("read-only")).await;
    succeeded("status", &run_as(&h, &role, &["status", "--profile", p]));
    let said = succeeded("plan", &run_as(&h, &role, &["plan", "--profile", p]));
    assert!(
        said.contains("0 to create, 0 to update, 0 to replace"),
        "{said}"
    );
    succeeded("logs", &run_as(&h, &role, &["logs", "--profile", p]));
    succeeded("history", &run_as(&h, &role, &["history", "--profile", p]));
    let discover = ["discover", "--vpc", &vpc, "--output", "json"];
    succeeded("discover", &run_as(&h, &role, &discover));

    // A change the profile asks for is refused at its first write, and nothing changes.
    let changed = read(p).replace("minutes = 3", "minutes = 4");
    std::fs::write(p, changed).expect("profile changed");
    let out = run_as(&h, &role, &deploy);
    let said = text(&out);
    assert!(
        !out.status.success(),
        "a read-only deploy is refused: {said}"
    );
    assert!(said.contains("not authorized"), "{said}");
    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("alarms");
    assert!(
        alarms
            .metric_alarms()
            .iter()
            .all(|a| a.evaluation_periods() != Some(4)),
        "no alarm changed: {alarms:?}"
    );

    let destroy = ["destroy", "--profile", p, "--yes", "--force-delete-secret"];
    let out = run_admin(&h, &destroy);
    assert!(out.status.success(), "destroy: {}", text(&out));
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).expect("profile readable")
}
