//! The real program in a real pseudo-terminal: `monitor` opens on a deployed stack (the
//! stand-in for Fargate running its worker), shows the worker's own log lines, scales to
//! two tasks on request, and shows the second task and its logs. The screen is read the
//! way a terminal would show it (a VT100 parser), keys are typed as a person would.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::stack::{public_network, text, write_self_hosted_profile};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Screen {
    fn contents(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until `check` holds for the screen, or fails with the screen shown.
    fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.contents();
            if check(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn monitor_shows_worker_logs_and_a_second_task_after_scaling() {
    let Some(moto) = common::moto() else { return };
    let Some(region) = common::emulator("PREFECT_TUI_TEST_STANDIN_REGION") else {
        return;
    };
    let Some(prefect) = common::emulator("PREFECT_TUI_TEST_PREFECT_API_URL") else {
        return;
    };
    let Some(auth) = common::emulator("PREFECT_TUI_TEST_PREFECT_AUTH_STRING") else {
        return;
    };
    let stack = common::unique("mon");
    let (vpc, subnets) = public_network(&moto, &region, 95).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = format!("ecs-{stack}");
    let path = write_self_hosted_profile(
        dir.path(),
        &stack,
        &region,
        &prefect,
        &pool,
        &vpc,
        &subnets,
        "",
    );
    let profile = path.to_string_lossy().into_owned();
    let out = common::program_against(&moto, &region)
        .args([
            "deploy",
            "--profile",
            &profile,
            "--yes",
            "--gate-timeout",
            "120",
        ])
        .env("PREFECT_API_AUTH_STRING", &auth)
        .output()
        .expect("deploy");
    assert!(out.status.success(), "{}", text(&out));

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(assert_cmd::cargo::cargo_bin("prefect-tui"));
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("TERM", "xterm-256color");
    let files = common::no_aws_files();
    cmd.env("AWS_CONFIG_FILE", files.join("config"));
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", files.join("credentials"));
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_ACCESS_KEY_ID", common::TEST_ACCESS_KEY);
    cmd.env("AWS_SECRET_ACCESS_KEY", common::TEST_SECRET_KEY);
    cmd.args([
        "--endpoint-url",
        &moto,
        "--region",
        &region,
        "monitor",
        "--profile",
        &profile,
    ]);
    let mut child = pty.slave.spawn_command(cmd).expect("monitor starts");
    drop(pty.slave);
    let (rows, cols) = (
        std::num::NonZero::new(40u16).expect("rows"),
        std::num::NonZero::new(120u16).expect("cols"),
    );
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let feed = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = feed.lock() {
                p.process(&buf[..n]);
            }
        }
    });
    let mut keys = pty.master.take_writer().expect("writer");
    let screen = Screen { parser };

    // The worker's own words, from CloudWatch, on screen.
    let first = screen.wait_for("the worker's log lines", Duration::from_secs(60), |s| {
        s.contains(&format!("stack {stack}")) && s.contains("started!") && s.contains("ONLINE")
    });
    assert!(first.contains("1 desired"), "{first}");

    // Scale to two, as a person would: s, 2, Enter, y.
    for k in ["s", "2", "\r", "y"] {
        keys.write_all(k.as_bytes()).expect("type");
        keys.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(300));
    }
    let scaled = screen.wait_for(
        "a second running task and its logs",
        Duration::from_secs(90),
        |s| {
            let running = s.matches(" RUNNING ").count();
            let started = s.matches("started!").count();
            running >= 2 && started >= 2 && s.contains("2 desired")
        },
    );
    assert!(scaled.contains("Scaling to 2 task(s)."), "{scaled}");

    keys.write_all(b"q").expect("quit");
    keys.flush().expect("flush");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "the monitor leaves cleanly");
            break;
        }
        assert!(Instant::now() < deadline, "the monitor did not quit on q");
        std::thread::sleep(Duration::from_millis(100));
    }

    let out = common::program_against(&moto, &region)
        .args([
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ])
        .output()
        .expect("destroy");
    assert!(out.status.success(), "{}", text(&out));
}
