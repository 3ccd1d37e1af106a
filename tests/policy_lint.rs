//! The IAM documents the stack writes, linted with parliament (a policy linter from PyPI,
//! pinned in .venv-lint): the worker role's policy, the execution role's and the observer
//! queue's, for every example profile, as `preview` shows them. No finding is allowed.
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
