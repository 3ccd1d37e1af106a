//! Monitor and log-tail figures, printed, not asserted (a busy machine must not fail a
//! test): frame draw time at 200x60 with 100k buffered lines (on the wall and on the CPU,
//! on the machine as it is and with every core kept busy), resident memory with 100k
//! lines, the latency from PutLogEvents to `logs --follow` output (polling mode), the time
//! from starting `monitor` to its first frame, and the CPU an idle `monitor` uses over 60 s.
//!
//! Run with `scripts/bench` (it builds with the release profile, starts the emulators and
//! passes their addresses). Without them only the first two figures are measured.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prefect_tui::aws::logs::LogEvent;
use prefect_tui::ops::status::StackStatus;
use prefect_tui::tui::monitor::ui;
use prefect_tui::tui::monitor::{Action, MonitorApp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

// The peer benchmark's relay and latency model: the monitor's first frames and idle CPU
// are measured with its AWS calls costing what they would on AWS.
#[allow(dead_code)] // the relay's call counts are the peer benchmark's
#[path = "peer_bench/latency.rs"]
mod latency;
#[allow(dead_code)]
#[path = "peer_bench/relay.rs"]
mod relay;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// This thread's CPU time (exact: the kernel brings it up to date when asked), in ns.
fn thread_cpu_ns() -> Option<u64> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
}

/// How often this thread was taken off a CPU against its will so far (preempted), from
/// `/proc/thread-self/status` (Linux).
fn preemptions() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

fn lines(n: usize) -> Vec<LogEvent> {
    (0..n)
        .map(|i| LogEvent {
            timestamp: 1_795_953_600_000 + i as i64,
            ingested: 1_795_953_600_000 + i as i64,
            stream: format!("worker/prefect-worker/task{}", i % 4),
            task: format!("task{}", i % 4),
            message: format!("{i:06} | INFO | prefect.flow_runs.worker - Worker submitting flow run 'a1b2c3d4-{i}' to infrastructure"),
            event_id: i.to_string(),
        })
        .collect()
}

/// 1,000 frames drawn and timed: each frame's wall time, this thread's CPU time over it,
/// and whether the kernel took the CPU from it meanwhile. A frame slow on the wall but not
/// on the CPU was held up by the machine, not by the drawing.
fn time_frames(terminal: &mut Terminal<TestBackend>, app: &mut MonitorApp, label: &str) {
    let mut frames = Vec::new();
    for i in 0..1000 {
        let (switches, cpu) = (preemptions(), thread_cpu_ns());
        let start = Instant::now();
        terminal.draw(|f| ui::draw(f, app)).expect("draw");
        let wall = start.elapsed().as_secs_f64() * 1000.0;
        let cpu = match (cpu, thread_cpu_ns()) {
            (Some(b), Some(a)) => (a - b) as f64 / 1e6,
            _ => f64::NAN,
        };
        let preempted = match (switches, preemptions()) {
            (Some(b), Some(a)) => a - b,
            _ => 0,
        };
        frames.push((i, wall, cpu, preempted));
    }
    let mut times: Vec<f64> = frames.iter().map(|f| f.1).collect();
    times.sort_by(f64::total_cmp);
    let mut cpus: Vec<f64> = frames.iter().map(|f| f.2).collect();
    cpus.sort_by(f64::total_cmp);
    println!(
        "frame at 200x60 with 100k lines{label}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, over {} frames (target < 5 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        times.len()
    );
    println!(
        "   the same frames on the CPU (this thread's CPU time): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&cpus, 0.5),
        percentile(&cpus, 0.99),
        percentile(&cpus, 1.0)
    );
    let mut slowest = frames.clone();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let listed: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(i, wall, cpu, preempted)| {
            format!("#{i} {wall:.2} ms ({cpu:.2} on the CPU, preempted {preempted}x)")
        })
        .collect();
    println!("   the 5 slowest on the wall: {}", listed.join("; "));
    let held: Vec<&(usize, f64, f64, u64)> = frames.iter().filter(|f| f.3 > 0).collect();
    println!(
        "   frames during which the kernel gave the CPU to something else: {} of {}",
        held.len(),
        frames.len()
    );
}

fn frames_and_memory() {
    let before = rss_mb();
    let mut app = MonitorApp::new(100_000);
    app.update(Action::StatusLoaded(Box::<StackStatus>::default()));
    app.update(Action::LogsArrived(lines(100_000)));
    let after = rss_mb();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
    time_frames(&mut terminal, &mut app, "");
    // The same frames with every core kept busy by spinning threads, as other builds on
    // the machine would: the wall time grows, the CPU time does not.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let spinners: Vec<_> = (0..cores)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            })
        })
        .collect();
    time_frames(
        &mut terminal,
        &mut app,
        &format!(" ({cores} threads spinning, one per core)"),
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in spinners {
        let _ = s.join();
    }
    println!(
        "resident memory with 100k buffered lines: {after:.1} MB in all ({:.1} MB for the lines) (target < 60 MB)",
        after - before
    );
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The program under measurement, built next to this example.
fn binary() -> String {
    env("PREFECT_TUI_BIN").unwrap_or_else(|| "target/debug/prefect-tui".to_owned())
}

fn program() -> Command {
    let mut cmd = Command::new(binary());
    cmd.env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

async fn log_latency(moto: &str, region: &str, profile: &str, group: &str) {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(moto)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("bench", "bench", None, None, "bench"),
            ),
        )
        .build();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let streams = [
        "worker/prefect-worker/bench0",
        "worker/prefect-worker/bench1",
    ];
    for s in streams {
        let _ = logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(s)
            .send()
            .await;
    }
    let mut child = program()
        .args([
            "--endpoint-url",
            moto,
            "--region",
            region,
            "logs",
            "--profile",
            profile,
            "--follow",
            "--output",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("logs --follow");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut sent = std::collections::HashMap::new();
    let total = 200;
    for i in 0..total {
        let message = format!("bench-{i}");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
            .timestamp(now_ms)
            .message(&message)
            .build()
            .expect("event");
        sent.insert(message, Instant::now());
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(streams[i % 2])
            .log_events(event)
            .send()
            .await
            .expect("put");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut latencies = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    while seen.len() < total && Instant::now() < deadline {
        if let Ok((at, line)) = rx.recv_timeout(Duration::from_millis(200)) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            let message = v["message"].as_str().unwrap_or_default().to_owned();
            if let Some(sent_at) = sent.get(&message) {
                if !seen.insert(message) {
                    duplicates += 1;
                }
                latencies.push(at.duration_since(*sent_at).as_secs_f64());
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort_by(f64::total_cmp);
    println!(
        "log latency PutLogEvents -> logs --follow (polling): p50 {:.2} s, p99 {:.2} s over {total} events; lost {}, duplicated {duplicates} (target p50 < 1.5 s)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        total - seen.len()
    );
}

fn idle_monitor_cpu(moto: &str, region: &str, profile: &str) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    // The pty's command builder searches PATH for relative names: give it the full path.
    let program = std::fs::canonicalize(binary()).expect("the prefect-tui binary is built");
    let mut cmd = CommandBuilder::new(program);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("TERM", "xterm-256color"),
    ] {
        cmd.env(k, v);
    }
    cmd.args([
        "--endpoint-url",
        moto,
        "--region",
        region,
        "monitor",
        "--profile",
        profile,
    ]);
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("monitor");
    let mut reader = pty.master.try_clone_reader().expect("reader");
    // When the first frame (the header, before any state) and the first frame showing the
    // stack's state appear on the terminal. Unstyled spaces are drawn as cursor moves, so
    // the marks are single words or bold text.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut seen = Vec::new();
        let mut marks = [("reading", false), ("stack bench", false)];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen);
            for (i, (mark, found)) in marks.iter_mut().enumerate() {
                if !*found && text.contains(*mark) {
                    *found = true;
                    let _ = tx.send((i, started.elapsed().as_secs_f64()));
                }
            }
            if marks.iter().all(|(_, found)| *found) {
                seen.clear();
            }
        }
    });
    let pid = child.process_id().expect("pid");
    let ticks = |pid: u32| -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
    };
    let mut firsts = [None, None];
    let deadline = Instant::now() + Duration::from_secs(30);
    while firsts.iter().any(Option::is_none) && Instant::now() < deadline {
        if let Ok((i, at)) = rx.recv_timeout(Duration::from_millis(100)) {
            firsts[i] = Some(at);
        }
    }
    let show = |t: Option<f64>| t.map_or("not seen".to_owned(), |t| format!("{t:.3} s"));
    println!(
        "monitor start to first frame: {}; to the first frame with the stack's state: {}",
        show(firsts[0]),
        show(firsts[1])
    );
    // Settled: the first reads done, the log tail past its first attempt at live tail.
    std::thread::sleep(Duration::from_secs(10));
    let start = ticks(pid);
    std::thread::sleep(Duration::from_secs(60));
    let end = ticks(pid);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0);
    let _ = child.kill();
    if let (Some(a), Some(b)) = (start, end) {
        // Clock ticks are 1/100 s on Linux.
        println!(
            "idle monitor CPU over 60 s: {:.2}% of one core ({:.2} s of CPU) (target < 1%); its resident memory: {rss:.1} MB",
            (b - a) / 100.0 / 60.0 * 100.0,
            (b - a) / 100.0
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    frames_and_memory();
    let (Some(moto), Some(region), Some(profile), Some(group)) = (
        env("BENCH_MOTO_URL"),
        env("BENCH_REGION"),
        env("BENCH_PROFILE"),
        env("BENCH_LOG_GROUP"),
    ) else {
        println!("(no emulators: scripts/bench runs the log latency and idle CPU figures too)");
        return;
    };
    log_latency(&moto, &region, &profile, &group).await;
    let model = latency::LatencyModel::from_env(&region);
    let relayed = relay::start_relay(&moto, relay::Tally::default(), model, "aws").await;
    println!(
        "(the monitor below through the relay: {})",
        model.describe()
    );
    // The pseudo-terminal and its reads block: off the runtime the relay runs on.
    tokio::task::spawn_blocking(move || idle_monitor_cpu(&relayed, &region, &profile))
        .await
        .expect("the idle monitor");
}
