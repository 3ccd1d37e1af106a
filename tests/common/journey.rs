//! One stack's journey on the emulators with the stand-in for Fargate, as several test files
//! walk it: deployed into a public network of its own, verified, destroyed.

use serde_json::Value;

use super::StandIn as Harness;
use super::stack::{public_network, run, text, write_self_hosted_profile};

/// A deployed stack: its names, its profile file and its network.
pub struct Stack {
    pub stack: String,
    pub pool: String,
    pub profile: String,
    pub vpc: String,
    pub subnets: Vec<String>,
    pub dir: tempfile::TempDir,
}

pub async fn deployed(h: &Harness, prefix: &str, octet: u8) -> Stack {
    let stack = super::unique(prefix);
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, octet).await;
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
    let out = deploy(h, &profile);
    assert!(out.status.success(), "deploy: {}", text(&out));
    Stack {
        stack,
        pool,
        profile,
        vpc,
        subnets,
        dir,
    }
}

pub fn deploy(h: &Harness, profile: &str) -> std::process::Output {
    let mut cmd = super::program_against(&h.moto, &h.region);
    cmd.args([
        "deploy",
        "--profile",
        profile,
        "--yes",
        "--gate-timeout",
        "150",
    ])
    .env("PREFECT_API_AUTH_STRING", &h.auth);
    cmd.output().expect("prefect-tui runs")
}

/// `verify --output json`: its exit code and report.
pub fn verify(h: &Harness, s: &Stack) -> (Option<i32>, Value, String) {
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
            "240",
        ],
        None,
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), report, text(&out))
}

pub fn destroy(h: &Harness, s: &Stack) -> std::process::Output {
    run(
        &h.moto,
        &h.region,
        &[
            "destroy",
            "--profile",
            &s.profile,
            "--yes",
            "--force-delete-secret",
        ],
        None,
    )
}
