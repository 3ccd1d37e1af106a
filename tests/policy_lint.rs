//! The IAM documents the stack writes, linted with parliament (a policy linter from PyPI,
//! pinned in .venv-lint): the worker role's policy, the execution role's and the observer
//! queue's, for every example profile, as `preview` shows them. No finding is allowed.
//! The deployer's own policies (assets/iam, which SECURITY.md shows) too, except
//! `Resource: "*"` in the statements listed in `ON_ANY_RESOURCE`, each with its reason.
//!
//! Why a linter: moto, which the other tests run against, checks the worker's calls
//! against its policy's actions and resources but does not evaluate `Condition` blocks, so
//! the conditions (the cluster RunTask is limited to, the service PassRole is limited to,
//! the rule the queue accepts) are pinned by table tests in `src/stack/policies.rs` and
//! `src/stack/observer.rs`, and checked here against AWS's own action and condition-key
//! catalogue, which parliament carries.

mod common;

use std::process::Command;

use serde_json::{Value, json};

const PROFILES: [&str; 4] = [
    "profiles/cloud.toml",
    "profiles/self-hosted.toml",
    "profiles/private-nat.toml",
    "profiles/customized.toml",
];

/// parliament's findings for one policy document.
fn lint(parliament: &str, doc: &Value) -> Vec<Value> {
    let out = Command::new(parliament)
        .args(["--string", &doc.to_string(), "--json"])
        .output()
        .expect("parliament runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The preview's documents with its placeholders made concrete, as AWS would see them.
fn documents(profile: &str) -> Vec<(String, Value)> {
    let out = common::program()
        .args(["preview", "--profile", profile, "--output", "json"])
        .output()
        .expect("preview runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout)
        .replace("<account-id>", "123456789012")
        .replace("-<suffix>", "-AbCdEf");
    let preview: Value = serde_json::from_str(&text).expect("preview JSON");
    let mut docs = vec![
        (
            "worker role".to_owned(),
            preview["worker_role_policy"].clone(),
        ),
        (
            "events queue".to_owned(),
            preview["events_queue"]["Attributes"]["Policy"].clone(),
        ),
    ];
    if !preview["execution_role_policy"].is_null() {
        docs.push((
            "execution role".to_owned(),
            preview["execution_role_policy"].clone(),
        ));
    }
    docs
}

#[test]
fn the_stack_policies_have_no_findings() {
    let Some(parliament) = common::emulator("PREFECT_TUI_TEST_PARLIAMENT") else {
        return;
    };
    for profile in PROFILES {
        for (what, doc) in documents(profile) {
            assert!(doc.is_object(), "{profile}: {what} is in the preview");
            let findings = lint(&parliament, &doc);
            assert!(
                findings.is_empty(),
                "{profile}: {what}: {findings:#?}\n{doc:#}"
            );
        }
    }
}

const DEPLOYER_POLICIES: [&str; 2] = [
    "assets/iam/deployer-policy.json",
    "assets/iam/read-only-policy.json",
];

/// The deployer policies' statements that grant on `*` actions AWS could scope to
/// resources, and why they do not.
const ON_ANY_RESOURCE: [(&str, &str); 8] = [
    (
        "WorkerSecurityGroupAndStackNetwork",
        "EC2 makes the ids; AWS narrows these by tag conditions (aws:RequestTag, \
         aws:ResourceTag), which the stand-in cannot evaluate, and moto names no EC2 resource",
    ),
    (
        "ClusterServiceAndTasks",
        "a cluster the profile brings can have any name; moto names no ECS cluster or service",
    ),
    (
        "ReadClusterServiceAndTasks",
        "a cluster the profile brings can have any name; moto names no ECS cluster or service",
    ),
    (
        "AlertsTopic",
        "moto names no SNS resource, so a statement on the topic's ARN would grant nothing there",
    ),
    (
        "ReadAlertsTopic",
        "moto names no SNS resource, so a statement on the topic's ARN would grant nothing there",
    ),
    (
        "AlarmsAndMetrics",
        "moto names no CloudWatch alarm, so a statement on the alarms' ARNs would grant nothing",
    ),
    (
        "ReadAlarmsAndMetrics",
        "moto names no CloudWatch alarm, so a statement on the alarms' ARNs would grant nothing",
    ),
    (
        "WorkerScaling",
        "a scalable target's ARN is a generated id, and moto names none",
    ),
];

fn deployer_policy(path: &str) -> Value {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_deployer_policies_have_no_findings_but_the_listed_resource_stars() {
    let Some(parliament) = common::emulator("PREFECT_TUI_TEST_PARLIAMENT") else {
        return;
    };
    let mut sids = Vec::new();
    for path in DEPLOYER_POLICIES {
        let doc = deployer_policy(path);
        let whole = lint(&parliament, &doc);
        assert!(
            whole.iter().all(|f| f["issue"] == "RESOURCE_STAR"),
            "{path}: {whole:#?}"
        );
        // One statement at a time, so each finding is known by its statement's Sid.
        for statement in doc["Statement"].as_array().expect("statements") {
            let sid = statement["Sid"].as_str().unwrap_or_default().to_owned();
            let alone = json!({ "Version": "2012-10-17", "Statement": [statement] });
            let listed = ON_ANY_RESOURCE.iter().any(|(s, _)| *s == sid);
            let findings: Vec<Value> = lint(&parliament, &alone)
                .into_iter()
                .filter(|f| !(listed && f["issue"] == "RESOURCE_STAR"))
                .collect();
            assert!(findings.is_empty(), "{path} {sid}: {findings:#?}");
            sids.push(sid);
        }
    }
    for (sid, _) in ON_ANY_RESOURCE {
        assert!(
            sids.iter().any(|s| s == sid),
            "{sid} is a statement of the policies"
        );
    }
}

/// The linter is not a rubber stamp: the policy a careless hand writes is flagged.
#[test]
fn a_worker_policy_on_any_resource_is_flagged() {
    let Some(parliament) = common::emulator("PREFECT_TUI_TEST_PARLIAMENT") else {
        return;
    };
    let careless = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["ecs:RunTask", "ecs:StopTask", "iam:PassRole"],
            "Resource": "*"
        }]
    });
    let findings = lint(&parliament, &careless);
    let kinds: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["issue"].as_str())
        .collect();
    assert!(kinds.contains(&"RESOURCE_STAR"), "{findings:#?}");
}
