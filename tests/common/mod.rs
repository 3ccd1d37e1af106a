//! Shared pieces of the integration tests: where the emulators are, SDK clients for setting
//! up state in them, and the program under test with a clean environment.
//!
//! The emulators are started by `scripts/test`, which exports their addresses. Run alone
//! (`cargo test`) without them, an integration test skips with a loud notice; under CI
//! (`CI` set) it fails instead, so a broken harness can never pass quietly.

#![allow(dead_code)]

pub mod journey;
pub mod layouts;
pub mod pty;
pub mod scan;
pub mod slow_proxy;
pub mod stack;

use std::path::PathBuf;

use assert_cmd::Command;
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::{BehaviorVersion, Region};

pub const MOTO_URL_VAR: &str = "PREFECT_TUI_TEST_MOTO_URL";
/// moto's placeholder keys: the emulator accepts any.
pub const TEST_ACCESS_KEY: &str = "testing";
pub const TEST_SECRET_KEY: &str = "testing";

/// The address of moto's server, or `None` (after a loud notice) when running outside the
/// harness on a developer machine. Panics under CI.
pub fn moto() -> Option<String> {
    emulator(MOTO_URL_VAR)
}

/// Everything a test needs to bring a real worker online: moto, the region the stand-in
/// for Fargate serves, and the Prefect server with its basic-auth string.
pub struct StandIn {
    pub moto: String,
    pub region: String,
    pub prefect: String,
    pub auth: String,
}

/// The stand-in's emulators, or `None` (after a loud notice) outside the harness; panics
/// under CI, like `moto()`.
pub fn stand_in() -> Option<StandIn> {
    Some(StandIn {
        moto: moto()?,
        region: emulator("PREFECT_TUI_TEST_STANDIN_REGION")?,
        prefect: emulator("PREFECT_TUI_TEST_PREFECT_API_URL")?,
        auth: emulator("PREFECT_TUI_TEST_PREFECT_AUTH_STRING")?,
    })
}

pub fn emulator(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("{var} is not set: integration tests must run under scripts/test in CI");
            }
            eprintln!(
                "\n*** SKIPPED: {var} is not set, so this test cannot reach its emulator. \
                 Run scripts/test to run it. ***\n"
            );
            None
        }
    }
}

/// A name no earlier run against the same emulator used: `prefix-1a2b3c`.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{:06x}",
        (nanos ^ u128::from(std::process::id())) % 0xff_ffff
    )
}

/// A static-credential SDK config pointed at the emulator, for setting up test state.
pub fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                TEST_ACCESS_KEY,
                TEST_SECRET_KEY,
                None,
                None,
                "tests",
            )),
        )
        .build()
}

pub fn ec2(endpoint: &str, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config(endpoint, region))
}

/// An empty directory that the AWS config and credentials variables point into, so no test
/// ever reads the developer's own ~/.aws.
pub fn no_aws_files() -> PathBuf {
    let dir = std::env::temp_dir().join("prefect-tui-tests-no-aws-files");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The program with an environment that holds nothing of the caller's AWS setup: emulator
/// keys, no shared config files, no instance metadata lookups.
pub fn program() -> Command {
    let mut cmd = Command::cargo_bin("prefect-tui").expect("the prefect-tui binary is built");
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && (key.starts_with("AWS_") || key.starts_with("PREFECT_TUI_") || key == "NO_COLOR")
        {
            cmd.env_remove(key);
        }
    }
    let files = no_aws_files();
    cmd.env("AWS_CONFIG_FILE", files.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", files.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PREFECT_TUI_CONFIG_DIR", files.join("prefect-tui"));
    cmd
}

/// The program with emulator credentials, pointed at `endpoint` in `region`.
pub fn program_against(endpoint: &str, region: &str) -> Command {
    let mut cmd = program();
    cmd.env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
        .args(["--endpoint-url", endpoint, "--region", region]);
    cmd
}

/// Runs `discover --output json` and parses the contract.
pub fn discover_json(endpoint: &str, region: &str, vpc: Option<&str>) -> serde_json::Value {
    let mut cmd = program_against(endpoint, region);
    cmd.args(["discover", "--output", "json"]);
    if let Some(vpc) = vpc {
        cmd.args(["--vpc", vpc]);
    }
    let out = cmd.output().expect("prefect-tui runs");
    assert!(
        out.status.success(),
        "discover failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("discover prints JSON")
}

/// The program as a plain `std::process::Command` (for tests that stream its output or
/// kill it), with the same clean environment and emulator keys as `program_against`.
pub fn raw_program(endpoint: &str, region: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("prefect-tui"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    let files = no_aws_files();
    cmd.env("AWS_CONFIG_FILE", files.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", files.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
        .args(["--endpoint-url", endpoint, "--region", region]);
    cmd
}
