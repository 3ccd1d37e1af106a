//! Faults on the wire: every call the program makes to AWS and to Prefect goes through
//! mitmproxy in reverse-proxy mode with `scripts/fault_proxy.py`, which answers a fifth of
//! them (seeded) with the service's own throttling error, a 500 or a 503, adds latency,
//! drops the connection before the request arrives, or loses the answer after it was
//! carried out. Through that: discovery sees what it sees without faults, a deploy
//! (alarms and scaling on) finishes with its worker online, a second deploy plans no change, `logs --follow`
//! misses no event, the monitor keeps refreshing, shows every log line once and says in its
//! status line which calls failed and were retried, and destroy leaves nothing. The test
//! prints how many faults were injected, all of them survived.
//!
//! The proxy comes from `.venv-faults` (scripts/emulators.sh), found through
//! `PREFECT_TUI_TEST_MITMDUMP`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::stack::{
    Clients, assert_nothing_tagged, public_network, text, write_self_hosted_profile,
};
use serde_json::Value;

const RATE: &str = "0.2";
const SEED: u64 = 20_260_901;

struct FaultProxy {
    child: Child,
    url: String,
    stats: PathBuf,
}

impl FaultProxy {
    /// mitmdump in front of `upstream`, faulting requests whose User-Agent contains
    /// `user_agent` (all of them when empty).
    fn start(mitmdump: &str, upstream: &str, seed: u64, user_agent: &str, dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let stats = dir.join(format!("faults-{port}.json"));
        let addon = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fault_proxy.py");
        let log = std::fs::File::create(dir.join(format!("mitmdump-{port}.log"))).expect("log");
        let child = Command::new(mitmdump)
            .args(["--mode", &format!("reverse:{upstream}")])
            .args([
                "--listen-host",
                "127.0.0.1",
                "--listen-port",
                &port.to_string(),
            ])
            .args([
                "--set",
                "keep_host_header=true",
                "--set",
                "connection_strategy=lazy",
            ])
            .args(["-s", &addon.to_string_lossy()])
            .args(["--set", &format!("fault_rate={RATE}")])
            .args(["--set", &format!("fault_seed={seed}")])
            .args(["--set", &format!("fault_user_agent={user_agent}")])
            .args(["--set", &format!("fault_stats={}", stats.display())])
            .arg("--quiet")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("mitmdump starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mitmdump did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            stats,
        }
    }

    /// What the addon counted: requests seen, faults by kind and by service.
    fn stats(&self) -> Value {
        std::fs::read(&self.stats)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| serde_json::json!({"faults": 0}))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn faults(v: &Value) -> u64 {
    v["faults"].as_u64().unwrap_or(0)
}

/// `logs --follow --output json` through the proxy for `how_long`; the lines it printed.
fn follow_logs(mut cmd: Command, how_long: Duration) -> Vec<Value> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("logs --follow");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
            .collect::<Vec<_>>()
    });
    std::thread::sleep(how_long);
    assert!(
        child.try_wait().expect("status").is_none(),
        "logs --follow keeps running through the faults"
    );
    child.kill().expect("stop following");
    let _ = child.wait();
    reader.join().expect("reader")
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_logs_monitor_and_destroy_survive_a_fifth_of_calls_failing() {
    let Some(common::StandIn {
        moto,
        region,
        prefect,
        auth,
    }) = common::stand_in()
    else {
        return;
    };
    let Some(mitmdump) = common::emulator("PREFECT_TUI_TEST_MITMDUMP") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let aws_proxy = FaultProxy::start(&mitmdump, &moto, SEED, "", dir.path());
    // The worker reaches Prefect through the same address: only the program's own calls
    // (its User-Agent) are faulted, the worker's heartbeats pass.
    let prefect_root = prefect.trim_end_matches("/api");
    let prefect_proxy = FaultProxy::start(
        &mitmdump,
        prefect_root,
        SEED + 1,
        "prefect-tui/",
        dir.path(),
    );
    let aws = Clients::new(&moto, &region);
    let stack = common::unique("faults");
    let (vpc, subnets) = public_network(&moto, &region, 97).await;
    let profile = write_self_hosted_profile(
        dir.path(),
        &stack,
        &region,
        &format!("{}/api", prefect_proxy.url),
        &format!("ecs-{stack}"),
        &vpc,
        &subnets,
        // Alarms and scaling on: the topic, alarms, crash rule, log filter and scaling are
        // made, read back and removed through the faults too.
        "[notifications]\nemails = [\"oncall@example.com\"]\n\n[alarms]\n\n\
         [scaling]\nmin = 1\nmax = 2\n",
    );
    let profile = profile.to_string_lossy().into_owned();
    let through = |args: &[&str]| {
        let mut cmd = common::raw_program(&aws_proxy.url, &region);
        cmd.env("PREFECT_API_AUTH_STRING", &auth).args(args);
        cmd
    };
    let run = |args: &[&str]| through(args).output().expect("runs");
    let mut survived: BTreeMap<&str, u64> = BTreeMap::new();
    let mut step = |name: &'static str, before: u64| {
        let now = faults(&aws_proxy.stats()) + faults(&prefect_proxy.stats());
        survived.insert(name, now - before);
        now
    };

    // Discovery sees through the faults what it sees without them.
    let direct = common::discover_json(&moto, &region, Some(&vpc));
    let out = run(&["discover", "--vpc", &vpc, "--output", "json"]);
    assert!(out.status.success(), "discover: {}", text(&out));
    let faulted: Value = serde_json::from_slice(&out.stdout).expect("discover JSON");
    assert_eq!(faulted["vpcs"], direct["vpcs"], "the same answer");
    let mut total = step("discover", 0);

    // Deploy with the online gate: the worker really starts and heartbeats.
    let out = run(&[
        "deploy",
        "--profile",
        &profile,
        "--yes",
        "--gate-timeout",
        "180",
    ]);
    assert!(out.status.success(), "deploy: {}", text(&out));
    total = step("deploy", total);
    let out = run(&["plan", "--profile", &profile, "--output", "json"]);
    assert!(out.status.success(), "plan: {}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert!(
        plan["changes"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["action"] == "noop")),
        "a second deploy would change nothing: {plan:#}"
    );
    let out = run(&["deploy", "--profile", &profile, "--yes", "--no-wait"]);
    assert!(out.status.success(), "second deploy: {}", text(&out));
    total = step("plan and a second deploy", total);

    // The log tail through the faults loses nothing the worker wrote.
    let started = std::time::SystemTime::now();
    let mut follow = through(&[
        "logs",
        "--profile",
        &profile,
        "--follow",
        "--output",
        "json",
    ]);
    follow.args(["--since", "30m"]);
    let followed = follow_logs(follow, Duration::from_secs(20));
    total = step("logs --follow", total);
    let out = common::program_against(&moto, &region)
        .args([
            "logs",
            "--profile",
            &profile,
            "--since",
            "30m",
            "--output",
            "json",
        ])
        .output()
        .expect("logs");
    assert!(out.status.success(), "logs without faults: {}", text(&out));
    let cutoff = started
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64 + 10_000)
        .unwrap_or(0);
    let all: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|e| e["ingested"].as_i64().unwrap_or(i64::MAX) <= cutoff)
        .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
        .collect();
    let seen: Vec<String> = followed
        .iter()
        .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
        .collect();
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    assert!(!expected.is_empty(), "the worker logged something");
    let missing: Vec<_> = expected.difference(&seen_set).collect();
    assert!(missing.is_empty(), "logs --follow lost {missing:?}");
    assert_eq!(seen.len(), seen_set.len(), "and printed each event once");

    // The monitor keeps refreshing through the faults.
    let aws_url = aws_proxy.url.clone();
    let mut term = common::pty::spawn(
        &aws_url,
        &region,
        &["monitor", "--profile", &profile],
        &[],
        40,
        140,
    );
    term.wait_for("the worker's logs", Duration::from_secs(90), |s| {
        s.contains("started!") && s.contains("ONLINE")
    });
    let refreshed = |s: &str| {
        s.lines()
            .find_map(|l| l.split("refreshed ").nth(1))
            .map(|r| r.split_whitespace().next().unwrap_or_default().to_owned())
    };
    let mut stamps = BTreeSet::new();
    let mut status_lines = BTreeSet::new();
    // At least 25 s; longer (up to 60 s) until a retried failure has shown in the status
    // line, which a fifth of calls failing makes all but certain.
    let started = Instant::now();
    let shown = |lines: &BTreeSet<String>| lines.iter().any(|l| l.contains("AWS retried"));
    while started.elapsed() < Duration::from_secs(25)
        || (!shown(&status_lines) && started.elapsed() < Duration::from_secs(60))
    {
        let screen = term.contents();
        if let Some(stamp) = refreshed(&screen) {
            stamps.insert(stamp);
        }
        if let Some(line) = screen.lines().rev().nth(1) {
            status_lines.insert(line.trim().to_owned());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // And it lost no log line nor showed one twice: the pane's count (read first) meets the
    // group's count in CloudWatch (read after, directly); more on screen than in the group
    // would be a duplicate, fewer is a line still on its way.
    let group = format!("/ecs/prefect-tui/{stack}");
    // The logs pane says where you are at its foot: "line x of y", y the lines it holds.
    let on_screen = |s: &str| {
        s.rsplit(" line ")
            .next()
            .and_then(|r| r.split_once(" of "))
            .and_then(|(_, r)| r.split_whitespace().next())
            .and_then(|n| n.parse::<usize>().ok())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown_lines = on_screen(&term.contents());
        let mut in_group = 0usize;
        let mut pages = aws
            .logs
            .filter_log_events()
            .log_group_name(&group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            in_group += page.expect("log events").events().len();
        }
        match shown_lines {
            Some(n) if n == in_group => break,
            Some(n) => assert!(
                n < in_group && Instant::now() < deadline,
                "the monitor shows {n} log lines, CloudWatch holds {in_group}"
            ),
            None => assert!(Instant::now() < deadline, "no logs pane on screen"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    term.quit();
    assert!(
        shown(&status_lines),
        "the monitor's status line showed the failed calls it retried: {status_lines:#?}"
    );
    assert!(
        stamps.len() >= 3,
        "the monitor refreshed at least three times in 25 s: {stamps:?}"
    );
    total = step("monitor", total);

    let out = run(&[
        "destroy",
        "--profile",
        &profile,
        "--yes",
        "--force-delete-secret",
    ]);
    assert!(out.status.success(), "destroy: {}", text(&out));
    step("destroy", total);
    assert_nothing_tagged(&aws, &stack).await;

    let (aws_stats, prefect_stats) = (aws_proxy.stats(), prefect_proxy.stats());
    let injected = faults(&aws_stats) + faults(&prefect_stats);
    eprintln!(
        "fault injection at {RATE}: {injected} faults injected and survived\n  \
         by step: {survived:?}\n  AWS: {aws_stats}\n  Prefect: {prefect_stats}\n  \
         monitor status lines seen: {status_lines:#?}"
    );
    assert!(
        faults(&aws_stats) >= 20,
        "enough AWS faults to mean something: {aws_stats}"
    );
    assert!(
        aws_stats["by_kind"]
            .as_object()
            .is_some_and(|k| k.len() == 6),
        "every kind of fault was injected: {aws_stats}"
    );
    assert!(
        faults(&prefect_stats) >= 1,
        "Prefect calls were faulted too: {prefect_stats}"
    );
}
