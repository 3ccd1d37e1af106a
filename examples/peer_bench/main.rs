//! prefect-tui against the tools people use instead, side by side against the same
//! emulators, printed, not asserted (a busy machine must not fail a test):
//!
//! 1. a fresh deploy: `prefect-tui deploy --yes --no-wait` against the same stack made by
//!    `scripts/bench_cli_deploy.sh` (AWS CLI commands, one after another);
//! 2. a repeat deploy with nothing to change;
//! 3. following logs: `prefect-tui logs --follow` against `awslogs get --watch`;
//! 4. discovery of 200 VPCs with 1,000 subnets: `prefect-tui discover` against the AWS CLI
//!    commands that fetch the same raw data (without any verdict), and the wizard's waits
//!    on the same account (`wizard.rs`);
//! 5. destroy: `prefect-tui destroy --yes` against `scripts/bench_cli_destroy.sh`;
//! 6. in the stand-in's region, with a real worker (`day_two.rs`): `deploy` to the worker
//!    online, by phase; `rotate-key` and `upgrade` against their AWS CLI scripts.
//!
//! Each comparison runs several rounds and alternates which side goes first. Every AWS
//! request of both sides passes through a relay that counts them by operation (it only
//! reads the bytes; the emulator answers everything) and holds each answer back by what
//! the call would cost on AWS (`latency.rs`), so both sides are measured, and delayed, the
//! same way. prefect-tui's Prefect calls pass through a relay of their own. Run by
//! `scripts/bench`, which starts the emulators and passes their addresses; the monitor's
//! figures come from `examples/monitor_bench.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

mod day_two;
mod latency;
mod relay;
mod wizard;

// ---------------------------------------------------------------- figures

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Median and spread of a few runs.
#[derive(Clone)]
pub struct Runs(pub Vec<f64>);

impl Runs {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }
    pub fn median(&self) -> f64 {
        percentile(&self.sorted(), 0.5)
    }
    pub fn spread(&self) -> String {
        let v = self.sorted();
        format!(
            "min {:.3}, max {:.3}, n {}",
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN),
            v.len()
        )
    }
}

pub fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.3} (1/{:.1})", ours / theirs, theirs / ours)
    } else {
        "n/a".to_owned()
    }
}

use relay::{Call, Tally, start_relay, summarize};

// ---------------------------------------------------------------- setup

pub struct Bench {
    moto: String,
    relay: String,
    tally: Tally,
    /// The Prefect API through its relay (its calls are counted in `tally` too).
    prefect_url: String,
    tui: String,
    aws_bin_dir: String,
    awslogs: String,
    rounds: usize,
    nonce: String,
}

pub fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/bench"))
}

pub fn sdk(moto: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(moto)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("bench", "bench", None, None, "bench"),
            ),
        )
        .build()
}

/// A VPC with two subnets whose main route table goes to an internet gateway.
async fn public_network(moto: &str, region: &str) -> (String, Vec<String>) {
    let ec2 = aws_sdk_ec2::Client::new(&sdk(moto, region));
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .expect("vpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.42.{}.0/24", i + 1))
            .availability_zone(format!("{region}{az}"))
            .send()
            .await
            .expect("subnet")
            .subnet
            .and_then(|s| s.subnet_id)
            .expect("subnet id");
        subnets.push(subnet);
    }
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("igw")
        .internet_gateway
        .and_then(|g| g.internet_gateway_id)
        .expect("igw id");
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("attach");
    let tables = ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .expect("route tables");
    let main = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .expect("main route table")
        .to_owned();
    ec2.create_route()
        .route_table_id(main)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(igw)
        .send()
        .await
        .expect("route");
    (vpc, subnets)
}

fn write_profile(
    dir: &std::path::Path,
    b: &Bench,
    stack: &str,
    region: &str,
    net: &(String, Vec<String>),
) -> String {
    let subnets: Vec<String> = net.1.iter().map(|s| format!("\"{s}\"")).collect();
    let text = format!(
        "stack = \"{stack}\"\n\n[aws]\nregion = \"{region}\"\n\n[prefect]\napi_url = \"{}\"\n\
         work_pool = \"{stack}-ecs\"\ncredential = \"auth-string\"\n\n[network]\nvpc_id = \"{}\"\n\
         subnet_ids = [{}]\n",
        b.prefect_url,
        net.0,
        subnets.join(", ")
    );
    let path = dir.join(format!("{stack}.toml"));
    std::fs::write(&path, text).expect("profile");
    path.to_string_lossy().into_owned()
}

pub fn tui(b: &Bench, endpoint: &str, region: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(&b.tui);
    cmd.args(["--endpoint-url", endpoint, "--region", region])
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    cmd
}

pub fn cli(b: &Bench, endpoint: &str, script: &str) -> tokio::process::Command {
    let path = format!(
        "{}:{}",
        b.aws_bin_dir,
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg(script)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    cmd
}

/// Runs a command through the relay: seconds, calls by operation, critical path, output.
pub async fn measured(
    b: &Bench,
    mut cmd: tokio::process::Command,
) -> (f64, Vec<Call>, std::process::Output) {
    b.tally.take();
    let start = Instant::now();
    let out = cmd.output().await.expect("runs");
    let secs = start.elapsed().as_secs_f64();
    (secs, b.tally.take(), out)
}

pub fn check(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn ops_line(ops: &BTreeMap<String, u64>) -> String {
    ops.iter()
        .map(|(k, v)| {
            if *v == 1 {
                k.clone()
            } else {
                format!("{k} x{v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The call counts of several runs: one figure when every run made the same, else each.
pub fn totals(all: &[Vec<Call>]) -> String {
    let set: HashSet<usize> = all.iter().map(Vec::len).collect();
    let mut v: Vec<usize> = set.into_iter().collect();
    v.sort();
    v.iter().map(usize::to_string).collect::<Vec<_>>().join("/")
}

/// The critical paths of several runs, the same way.
pub fn chains(all: &[Vec<Call>]) -> String {
    let mut v: Vec<usize> = all.iter().map(|c| summarize(c).1).collect();
    v.sort();
    v.dedup();
    v.iter().map(usize::to_string).collect::<Vec<_>>().join("/")
}

/// Calls that change something (not Describe, Get, List, Filter; for Prefect, not GET or
/// a filter), of one run.
pub fn writes(calls: &[Call]) -> usize {
    calls
        .iter()
        .filter(|c| !latency::is_read(c.op.split_once(':').map_or("", |(_, n)| n)))
        .count()
}

/// One side's line: median, spread, calls and calls in sequence.
pub fn side_line(name: &str, runs: &Runs, calls: &[Vec<Call>]) {
    println!(
        "   {name:<38} median {:.3} s ({}); {} calls, {} in sequence",
        runs.median(),
        runs.spread(),
        totals(calls),
        chains(calls)
    );
}

/// The lines of a comparison: each side's median, spread and calls, the ratio, and each
/// side's operations in its first round. Each side: (name, seconds per run, calls per run).
pub fn compare(
    title: &str,
    ours: (&str, Vec<f64>, &[Vec<Call>]),
    theirs: (&str, Vec<f64>, &[Vec<Call>]),
) {
    if ours.2.is_empty() || theirs.2.is_empty() {
        return;
    }
    let (our_runs, their_runs) = (Runs(ours.1), Runs(theirs.1));
    println!("\n{title}");
    side_line(ours.0, &our_runs, ours.2);
    side_line(theirs.0, &their_runs, theirs.2);
    println!(
        "   ratio prefect-tui / AWS CLI: {}",
        ratio(our_runs.median(), their_runs.median())
    );
    println!(
        "   prefect-tui's calls, first round: {}",
        ops_line(&summarize(&ours.2[0]).0)
    );
    println!(
        "   AWS CLI's calls, first round: {}",
        ops_line(&summarize(&theirs.2[0]).0)
    );
}

// ---------------------------------------------------------------- 1 and 2: deploys

/// The stacks made: prefect-tui's (their profiles) and the script's (their names).
struct Made {
    /// Where the profiles are: kept until the stacks are destroyed.
    _dir: tempfile::TempDir,
    region: String,
    ours: Vec<String>,
    theirs: Vec<String>,
}

async fn deploys(b: &Bench) -> Made {
    let region = env("BENCH_PROVISION_REGION");
    let net = public_network(&b.moto, &region).await;
    let auth = env("BENCH_PREFECT_AUTH");
    let (mut ours, mut theirs, mut repeat) = (Vec::new(), Vec::new(), Vec::new());
    let (mut our_calls, mut their_calls, mut repeat_calls) = (Vec::new(), Vec::new(), Vec::new());
    let mut made = Made {
        _dir: tempfile::tempdir().expect("tempdir"),
        region: region.clone(),
        ours: Vec::new(),
        theirs: Vec::new(),
    };
    for round in 0..b.rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                let stack = format!("pt{round}{}", b.nonce);
                let profile = write_profile(made._dir.path(), b, &stack, &region, &net);
                let mut cmd = tui(b, &b.relay, &region);
                cmd.args(["deploy", "--profile", &profile, "--yes", "--no-wait"])
                    .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui deploy", &out);
                made.ours.push(profile.clone());
                ours.push(secs);
                our_calls.push(calls);
                // The same deploy again: nothing to change.
                let mut cmd = tui(b, &b.relay, &region);
                cmd.args(["deploy", "--profile", &profile, "--yes", "--no-wait"])
                    .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui deploy (again)", &out);
                assert!(
                    String::from_utf8_lossy(&out.stdout).contains("Nothing to change"),
                    "the repeat deploy changed something:\n{}",
                    String::from_utf8_lossy(&out.stdout)
                );
                repeat.push(secs);
                repeat_calls.push(calls);
            } else {
                let stack = format!("cli{round}{}", b.nonce);
                let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_DEPLOY"));
                cmd.args([&stack, &region, &net.0, &net.1.join(","), &b.prefect_url])
                    .env("PREFECT_API_AUTH_STRING", &auth);
                let (secs, calls, out) = measured(b, cmd).await;
                check("the AWS CLI script", &out);
                made.theirs.push(stack);
                theirs.push(secs);
                their_calls.push(calls);
            }
        }
    }
    // The script run again on a stack it made: it does not read back, so it stops.
    let stack = format!("cli0{}", b.nonce);
    let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_DEPLOY"));
    cmd.args([&stack, &region, &net.0, &net.1.join(","), &b.prefect_url])
        .env("PREFECT_API_AUTH_STRING", &auth);
    let (cli_again, cli_again_calls, out) = measured(b, cmd).await;
    let cli_again_error = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.contains("error"))
        .unwrap_or("(no error line)")
        .trim()
        .to_owned();

    let (ours, theirs, repeat) = (Runs(ours), Runs(theirs), Runs(repeat));
    let (our_ops, our_chain) = summarize(&our_calls[0]);
    let (their_ops, their_chain) = summarize(&their_calls[0]);
    let (repeat_ops, _) = summarize(&repeat_calls[0]);
    println!(
        "\n1. Fresh deploy of one stack, {} rounds each side, alternating",
        b.rounds
    );
    println!(
        "   prefect-tui deploy --yes --no-wait  median {:.3} s ({})",
        ours.median(),
        ours.spread()
    );
    println!(
        "   AWS CLI script                      median {:.3} s ({})",
        theirs.median(),
        theirs.spread()
    );
    println!(
        "   ratio prefect-tui / AWS CLI: {} (target at most 1/10)",
        ratio(ours.median(), theirs.median())
    );
    println!(
        "   calls (AWS, and prefect-tui's to Prefect): prefect-tui {} (critical path {} calls in sequence), AWS CLI {} (critical path {})",
        totals(&our_calls),
        chains(&our_calls),
        totals(&their_calls),
        chains(&their_calls)
    );
    println!(
        "   prefect-tui's calls, first round ({our_chain} in sequence): {}",
        ops_line(&our_ops)
    );
    println!(
        "   AWS CLI's calls, first round ({their_chain} in sequence): {}",
        ops_line(&their_ops)
    );
    println!(
        "   (prefect-tui also reads the ECS worker's template from Prefect and creates the work pool with its defaults: its prefect: calls; the script does not)"
    );
    println!(
        "\n2. Repeat deploy with nothing to change, {} runs",
        b.rounds
    );
    println!(
        "   prefect-tui deploy (again)          median {:.3} s ({}) (target < 1 s)",
        repeat.median(),
        repeat.spread()
    );
    println!(
        "   calls: {} ({} writes), {} in sequence: {}",
        totals(&repeat_calls),
        writes(&repeat_calls[0]),
        chains(&repeat_calls),
        ops_line(&repeat_ops)
    );
    println!(
        "   AWS CLI script run again: no peer figure; it stops after {cli_again:.3} s and {} call(s): {cli_again_error}",
        cli_again_calls.len()
    );
    made
}

// ---------------------------------------------------------------- 5: destroy

async fn destroys(b: &Bench, made: Made) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_calls, mut their_calls) = (Vec::new(), Vec::new());
    let rounds = made.ours.len().min(made.theirs.len());
    for round in 0..rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                let mut cmd = tui(b, &b.relay, &made.region);
                cmd.args(["destroy", "--profile", &made.ours[round], "--yes"]);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui destroy", &out);
                ours.push(secs);
                our_calls.push(calls);
            } else {
                let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_DESTROY"));
                cmd.args([&made.theirs[round], &made.region]);
                let (secs, calls, out) = measured(b, cmd).await;
                check("the AWS CLI destroy script", &out);
                theirs.push(secs);
                their_calls.push(calls);
            }
        }
    }
    compare(
        &format!("5. Destroy of one stack, {rounds} rounds each side, alternating"),
        ("prefect-tui destroy --yes", ours, &our_calls),
        ("AWS CLI script", theirs, &their_calls),
    );
}

// ---------------------------------------------------------------- 3: log tailing

struct TailResult {
    latencies: Vec<f64>,
    lost: usize,
    duplicated: usize,
}

/// Writes `total` events over 4 streams at `per_second` while `follower` runs, and reads
/// its stdout for them (each line holds one event's unique text).
async fn tail_round(
    moto: &str,
    region: &str,
    group: &str,
    mut follower: std::process::Child,
    tag: &str,
) -> TailResult {
    const TOTAL: usize = 300;
    const PER_SECOND: u64 = 20;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk(moto, region));
    let stdout = follower.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    // Let the follower start (and, for prefect-tui, find out live tail is not there).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut sent = HashMap::new();
    let streams: Vec<String> = (0..4)
        .map(|i| format!("worker/prefect-worker/{tag}{i}"))
        .collect();
    for i in 0..TOTAL {
        let message = format!("{tag}-event-{i:04}");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let event = InputLogEvent::builder()
            .timestamp(now_ms)
            .message(&message)
            .build()
            .expect("event");
        sent.insert(message, Instant::now());
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(&streams[i % 4])
            .log_events(event)
            .send()
            .await
            .expect("PutLogEvents");
        tokio::time::sleep(Duration::from_millis(1000 / PER_SECOND)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let Ok((at, line)) = rx.recv_timeout(Duration::from_millis(200)) else {
            if seen.len() == TOTAL {
                // Everything arrived; wait a little more for duplicates, then stop.
                std::thread::sleep(Duration::from_secs(2));
                while let Ok((_, line)) = rx.try_recv() {
                    if let Some(m) = sent.keys().find(|m| line.contains(m.as_str())) {
                        *seen.entry(m.clone()).or_default() += 1;
                    }
                }
                break;
            }
            continue;
        };
        // The event's text is the last word of the line (awslogs) or inside the JSON.
        let Some(message) = line
            .split(|c: char| c == '"' || c.is_whitespace())
            .find(|w| w.starts_with(&format!("{tag}-event-")))
        else {
            continue;
        };
        if let Some(at_sent) = sent.get(message) {
            let count = seen.entry(message.to_owned()).or_default();
            *count += 1;
            if *count == 1 {
                latencies.push(at.duration_since(*at_sent).as_secs_f64());
            }
        }
    }
    let _ = follower.kill();
    let _ = follower.wait();
    latencies.sort_by(f64::total_cmp);
    TailResult {
        latencies,
        lost: TOTAL - seen.len(),
        duplicated: seen.values().map(|n| n - 1).sum(),
    }
}

async fn log_tailing(b: &Bench) {
    let region = env("BENCH_LOGS_REGION");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk(&b.moto, &region));
    let dir = tempfile::tempdir().expect("tempdir");
    let net = (
        "vpc-00000000".to_owned(),
        vec!["subnet-00000000".to_owned()],
    );
    let mut results: [Vec<TailResult>; 2] = [Vec::new(), Vec::new()];
    for round in 0..b.rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let stack = format!("lt{round}s{side}{}", b.nonce);
            let group = format!("/ecs/prefect-tui/{stack}");
            logs.create_log_group()
                .log_group_name(&group)
                .send()
                .await
                .expect("group");
            for i in 0..4 {
                logs.create_log_stream()
                    .log_group_name(&group)
                    .log_stream_name(format!("worker/prefect-worker/{stack}{i}"))
                    .send()
                    .await
                    .expect("stream");
            }
            let follower = if side == 0 {
                let profile = write_profile(dir.path(), b, &stack, &region, &net);
                std::process::Command::new(&b.tui)
                    .args([
                        "--endpoint-url",
                        &b.moto,
                        "--region",
                        &region,
                        "logs",
                        "--profile",
                        &profile,
                    ])
                    .args(["--follow", "--output", "json", "--since", "1m"])
                    .env("AWS_ACCESS_KEY_ID", "bench")
                    .env("AWS_SECRET_ACCESS_KEY", "bench")
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("prefect-tui logs")
            } else {
                std::process::Command::new(&b.awslogs)
                    .args([
                        "get",
                        &group,
                        "ALL",
                        "--watch",
                        "--start",
                        "1m",
                        "--no-group",
                        "--no-stream",
                    ])
                    .args(["--aws-endpoint-url", &b.moto, "--aws-region", &region])
                    .env("AWS_ACCESS_KEY_ID", "bench")
                    .env("AWS_SECRET_ACCESS_KEY", "bench")
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    // Its lines as they are printed, as on a terminal (a pipe would
                    // otherwise hold them in Python's buffer).
                    .env("PYTHONUNBUFFERED", "1")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("awslogs")
            };
            results[side].push(tail_round(&b.moto, &region, &group, follower, &stack).await);
        }
    }
    println!(
        "\n3. Following logs: 300 events per round over 4 streams at 20/s, {} rounds each side, alternating",
        b.rounds
    );
    let mut p50s = [0.0; 2];
    for (side, name) in [
        (0, "prefect-tui logs --follow"),
        (1, "awslogs get --watch      "),
    ] {
        let mut all: Vec<f64> = results[side]
            .iter()
            .flat_map(|r| r.latencies.clone())
            .collect();
        all.sort_by(f64::total_cmp);
        let medians = Runs(
            results[side]
                .iter()
                .map(|r| percentile(&r.latencies, 0.5))
                .collect(),
        );
        p50s[side] = percentile(&all, 0.5);
        println!(
            "   {name}  p50 {:.3} s, p99 {:.3} s over {} events; per-round p50 {}; lost {}, duplicated {}",
            p50s[side],
            percentile(&all, 0.99),
            all.len(),
            medians.spread(),
            results[side].iter().map(|r| r.lost).sum::<usize>(),
            results[side].iter().map(|r| r.duplicated).sum::<usize>()
        );
    }
    println!(
        "   ratio of p50s prefect-tui / awslogs: {} (target at most 1/2, nothing lost or duplicated)",
        ratio(p50s[0], p50s[1])
    );
}

// ---------------------------------------------------------------- 4: discovery

async fn discovery(b: &Bench) {
    let region = env("BENCH_DISCOVERY_REGION");
    let ec2 = aws_sdk_ec2::Client::new(&sdk(&b.moto, &region));
    let started = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for v in 0..200 {
        let (ec2, permits, region) = (ec2.clone(), permits.clone(), region.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire().await.expect("semaphore");
            let vpc = ec2
                .create_vpc()
                .cidr_block("10.0.0.0/16")
                .send()
                .await
                .expect("vpc")
                .vpc
                .and_then(|v| v.vpc_id)
                .expect("vpc id");
            for s in 0..5 {
                ec2.create_subnet()
                    .vpc_id(&vpc)
                    .cidr_block(format!("10.0.{s}.0/24"))
                    .availability_zone(format!("{region}{}", ['a', 'b', 'c'][s % 3]))
                    .tag_specifications(
                        aws_sdk_ec2::types::TagSpecification::builder()
                            .resource_type(aws_sdk_ec2::types::ResourceType::Subnet)
                            .tags(
                                aws_sdk_ec2::types::Tag::builder()
                                    .key("Name")
                                    .value(format!("scale-{v}-{s}"))
                                    .build(),
                            )
                            .build(),
                    )
                    .send()
                    .await
                    .expect("subnet");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("layout");
    }
    eprintln!(
        "(built 200 VPCs with 1,000 subnets in {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_calls, mut their_calls) = (Vec::new(), Vec::new());
    let mut counted = (0usize, 0usize);
    for round in 0..b.rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                let mut cmd = tui(b, &b.relay, &region);
                cmd.args(["discover", "--output", "json"]);
                let (secs, calls, out) = measured(b, cmd).await;
                check("prefect-tui discover", &out);
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
                let vpcs = v["vpcs"].as_array().cloned().unwrap_or_default();
                counted = (
                    vpcs.len(),
                    vpcs.iter()
                        .map(|v| v["subnets"].as_array().map_or(0, Vec::len))
                        .sum(),
                );
                ours.push(secs);
                our_calls.push(calls);
            } else {
                let mut cmd = cli(b, &b.relay, &env("BENCH_CLI_DISCOVER"));
                cmd.arg(&region);
                let (secs, calls, out) = measured(b, cmd).await;
                check("the AWS CLI discovery script", &out);
                theirs.push(secs);
                their_calls.push(calls);
            }
        }
    }
    let (ours, theirs) = (Runs(ours), Runs(theirs));
    let (our_ops, _) = summarize(&our_calls[0]);
    println!(
        "\n4. Discovery of {} VPCs with {} subnets (plus the emulator's default VPC), {} rounds each side, alternating",
        counted.0, counted.1, b.rounds
    );
    println!(
        "   prefect-tui discover --output json  median {:.3} s ({}) (target < 2 s)",
        ours.median(),
        ours.spread()
    );
    println!(
        "   AWS CLI describe calls, raw data    median {:.3} s ({})",
        theirs.median(),
        theirs.spread()
    );
    println!(
        "   ratio prefect-tui / AWS CLI: {}",
        ratio(ours.median(), theirs.median())
    );
    println!(
        "   AWS calls: prefect-tui {} ({}), AWS CLI {} (the CLI prints raw data; no verdicts, no recommendations)",
        our_calls[0].len(),
        ops_line(&our_ops),
        their_calls[0].len()
    );
}

// ---------------------------------------------------------------- main

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let moto = env("BENCH_MOTO_URL");
    let tally = Tally::default();
    // IAM's endpoint is in us-east-1; the comparisons run in other regions.
    let model = latency::LatencyModel::from_env(&env("BENCH_PROVISION_REGION"));
    let relay = start_relay(&moto, tally.clone(), model, "aws").await;
    let prefect_url = start_relay(&env("BENCH_PREFECT_URL"), tally.clone(), model, "prefect").await;
    let aws = env("BENCH_AWS");
    let b = Bench {
        moto,
        relay,
        tally,
        prefect_url,
        tui: env("PREFECT_TUI_BIN"),
        aws_bin_dir: std::path::Path::new(&aws)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        awslogs: env("BENCH_AWSLOGS"),
        rounds: std::env::var("BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(5),
        nonce: format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() % 0xffff)
                .unwrap_or(0)
        ),
    };
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |n: &str| only.is_empty() || only.split(',').any(|o| o == n);
    println!("{}", model.describe());
    if wanted("deploy") {
        let made = deploys(&b).await;
        destroys(&b, made).await;
    }
    if wanted("logs") {
        log_tailing(&b).await;
    }
    if wanted("discover") {
        discovery(&b).await;
        wizard::waits(&b, &env("BENCH_DISCOVERY_REGION")).await;
    }
    if wanted("day-two") {
        day_two::run(&b).await;
    }
}
