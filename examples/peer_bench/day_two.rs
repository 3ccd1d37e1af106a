//! In the stand-in's region, where a service's tasks run a real Prefect worker: `deploy` of
//! the sandbox's stack to its worker online, each line of its progress timed; then
//! `rotate-key` and `upgrade` on that stack against their AWS CLI scripts
//! (`scripts/bench_cli_rotate.sh`, `scripts/bench_cli_upgrade.sh`), the sides alternating
//! on the same service. Both sides wait until their change is done: prefect-tui until the
//! new deployment completed and its new workers are online in Prefect, the scripts until
//! the CLI's `services-stable` waiter (which asks ECS every 15 s) is satisfied.
//!
//! The stand-in starts a task as a local process in a few seconds; Fargate takes most of
//! a minute (network interface, image pull). So these times are the tools' own share plus
//! the stand-in's start, and each Fargate start adds to both sides alike.

use std::process::Stdio;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::relay::{Call, summarize};
use super::{Bench, check, cli, compare, env, measured, sdk, tui};

/// The prefect-aws image tags the upgrade rounds flip between (the pinned one and another
/// of the same release; the stand-in runs any image but its broken one).
const IMAGES: [&str; 2] = [
    "0.7.12-python3.12-prefect3.8.8",
    "0.7.12-python3.11-prefect3.8.8",
];

/// Runs `cmd` through the relay, timing each line it prints (stdout and stderr): seconds,
/// calls, the lines with their time from the start, success.
async fn timed_lines(
    b: &Bench,
    mut cmd: tokio::process::Command,
) -> (f64, Vec<Call>, Vec<(f64, String)>, bool) {
    b.tally.take();
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    for reader in [
        Box::new(out) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(reader).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send((start.elapsed().as_secs_f64(), line));
            }
        });
    }
    drop(tx);
    let mut lines = Vec::new();
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    let status = child.wait().await.expect("exits");
    let secs = start.elapsed().as_secs_f64();
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    (secs, b.tally.take(), lines, status.success())
}

/// `deploy` of the sandbox's profile until its workers are online.
fn deploy(
    b: &Bench,
    endpoint: &str,
    region: &str,
    profile: &str,
    auth: &str,
) -> tokio::process::Command {
    let mut cmd = tui(b, endpoint, region);
    cmd.args([
        "deploy",
        "--profile",
        profile,
        "--yes",
        "--gate-timeout",
        "240",
    ])
    .env("PREFECT_API_AUTH_STRING", auth);
    cmd
}

pub async fn run(b: &Bench) {
    let region = env("BENCH_STANDIN_REGION");
    let profile = env("BENCH_PROFILE");
    let auth = env("BENCH_PREFECT_AUTH");

    // deploy, by phase.
    let cmd = deploy(b, &b.relay, &region, &profile, &auth);
    let (secs, calls, lines, ok) = timed_lines(b, cmd).await;
    assert!(
        ok,
        "the sandbox deploy failed:\n{}",
        lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let (_, chain) = summarize(&calls);
    println!(
        "\n6. deploy of the sandbox's stack to its worker online (one run, through the relay, the stand-in for Fargate)"
    );
    println!(
        "   {secs:.3} s in all; {} calls ({} AWS, {} Prefect), {chain} in sequence; its output, each line timed:",
        calls.len(),
        calls
            .iter()
            .filter(|c| !c.op.starts_with("prefect:"))
            .count(),
        calls
            .iter()
            .filter(|c| c.op.starts_with("prefect:"))
            .count()
    );
    for (at, line) in lines.iter().filter(|(_, l)| !l.trim().is_empty()) {
        println!("   {at:>7.3} s  {line}");
    }

    let rounds: usize = std::env::var("BENCH_DAY_TWO_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk(&b.moto, &region));
    let stack = std::fs::read_to_string(&profile)
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("stack = ")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .expect("the profile names its stack");

    // rotate-key.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_calls, mut their_calls) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                // Something to rotate: the secret holds another value (not timed). The
                // running tasks read the right one when they started.
                secrets
                    .put_secret_value()
                    .secret_id(format!("prefect-tui/{stack}/api-key"))
                    .secret_string(format!("stale-{round}"))
                    .send()
                    .await
                    .expect("PutSecretValue");
                let mut cmd = tui(b, &b.relay, &region);
                cmd.args(["rotate-key", "--profile", &profile, "--yes"])
                    .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui rotate-key", &out);
                ours.push(secs);
                our_calls.push(calls);
            } else {
                let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_ROTATE"));
                cmd.args([&stack, &region])
                    .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("the AWS CLI rotate script", &out);
                theirs.push(secs);
                their_calls.push(calls);
            }
        }
    }
    compare(
        &format!("7. rotate-key on that stack, {rounds} rounds each side, alternating"),
        ("prefect-tui rotate-key --yes", ours, &our_calls),
        ("AWS CLI script (services-stable)", theirs, &their_calls),
    );

    // upgrade: each round to the image that is not live.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_calls, mut their_calls) = (Vec::new(), Vec::new());
    let mut live = 0;
    for round in 0..rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let next = 1 - live;
            if side == 0 {
                let mut cmd = tui(b, &b.relay, &region);
                cmd.args([
                    "upgrade",
                    "--profile",
                    &profile,
                    "--yes",
                    "--to",
                    IMAGES[next],
                ])
                .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui upgrade", &out);
                ours.push(secs);
                our_calls.push(calls);
            } else {
                let image = format!("prefecthq/prefect-aws:{}", IMAGES[next]);
                let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_UPGRADE"));
                cmd.args([&stack, &region, &image]);
                let (secs, calls, out) = measured(b, cmd).await;
                check("the AWS CLI upgrade script", &out);
                theirs.push(secs);
                their_calls.push(calls);
            }
            live = next;
        }
    }
    // The scripts' revision is not the profile's: deploy brings the stack back in step
    // with it for the monitor and verify that follow (not timed).
    let mut cmd = deploy(b, &b.moto, &region, &profile, &auth);
    check(
        "deploy after the upgrades",
        &cmd.output().await.expect("runs"),
    );
    compare(
        &format!(
            "8. upgrade of that stack's image, {rounds} rounds each side, alternating (each to the image not live)"
        ),
        ("prefect-tui upgrade --yes --to TAG", ours, &our_calls),
        ("AWS CLI script (services-stable)", theirs, &their_calls),
    );
}
