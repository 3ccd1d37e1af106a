//! The wizard's waits, as a person sees them: from launching `prefect-tui init` to its
//! first screen, and from the key that opens the network step to that step filled with the
//! account's VPCs and the first one's subnets, on the account discovery was measured on
//! (200 VPCs, 1,000 subnets), through the relay (so with the latency model). The program
//! runs in a pseudo-terminal and the screen is read through a VT100 parser, as in the
//! tests; keys are typed only once the screen shows what they answer.
//!
//! The wizard reads the network from the moment the identity is known, alongside step 2,
//! so the wait at step 3 is what is left of that read when the user gets there. This
//! harness types step 2 in well under a second (a person takes longer), so the figure is
//! near the most a person would see; `launch to step 3 filled` is the whole path at the
//! harness's speed.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::{Bench, Runs, env};

const ENTER: &str = "\r";
const TAB: &str = "\t";
const RIGHT: &str = "\x1b[C";

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    keys: Box<dyn Write + Send>,
}

impl Screen {
    fn contents(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Seconds from `since` until the screen shows what `check` wants (polled every 5 ms).
    fn until(&self, what: &str, since: Instant, check: impl Fn(&str) -> bool) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.contents();
            if check(&screen) {
                return since.elapsed().as_secs_f64();
            }
            assert!(
                Instant::now() < deadline,
                "the wizard did not show {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn type_keys(&mut self, keys: &[&str]) {
        for k in keys {
            self.keys.write_all(k.as_bytes()).expect("type");
            self.keys.flush().expect("flush");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What one launch needs: the program, the AWS relay, the Prefect relay.
#[derive(Clone)]
struct Target {
    tui: String,
    relay: String,
    prefect: String,
}

/// One launch: (to the first screen, from Enter on the Prefect step to the network step
/// filled, from launch to it).
fn one(b: &Target, region: &str, auth: &str, config: &std::path::Path) -> (f64, f64, f64) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    // The pty's command builder searches PATH for relative names: the full path.
    let program = std::fs::canonicalize(&b.tui).expect("the prefect-tui binary is built");
    let mut cmd = CommandBuilder::new(program);
    cmd.env_clear();
    for (k, v) in [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("TERM", "xterm-256color".to_owned()),
        ("AWS_ACCESS_KEY_ID", "bench".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        (
            "AWS_CONFIG_FILE",
            config.join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            config.join("aws-credentials").display().to_string(),
        ),
        ("AWS_REGION", region.to_owned()),
        ("PREFECT_TUI_CONFIG_DIR", config.display().to_string()),
    ] {
        cmd.env(k, v);
    }
    cmd.args(["--endpoint-url", &b.relay, "--region", region, "init"]);
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("the wizard starts");
    drop(pty.slave);
    let size = |n: u16| std::num::NonZero::new(n).expect("size");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(size(40), size(120), 0)));
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
    let mut screen = Screen {
        parser,
        keys: pty.master.take_writer().expect("writer"),
    };
    let first = screen.until("its first screen", started, |s| {
        s.contains("1 · AWS account")
    });
    screen.type_keys(&[ENTER]);
    screen.until("the identity", started, |s| s.contains("✓ account"));
    screen.type_keys(&[ENTER]);
    screen.until("the Prefect step", started, |s| s.contains("2 · Prefect"));
    screen.type_keys(&[RIGHT, TAB, &b.prefect, TAB, RIGHT, TAB, auth, ENTER]);
    screen.until("the credential checked", started, |s| {
        s.contains("✓ Connected to")
    });
    let pressed = Instant::now();
    screen.type_keys(&[ENTER]);
    let network = screen.until("the network step filled", pressed, |s| {
        s.contains("3 · Network") && s.contains("Subnets of")
    });
    let whole = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    (first, network, whole)
}

pub async fn waits(b: &Bench, region: &str) {
    let auth = env("BENCH_PREFECT_AUTH");
    let (mut firsts, mut networks, mut wholes) = (Vec::new(), Vec::new(), Vec::new());
    let target = Target {
        tui: b.tui.clone(),
        relay: b.relay.clone(),
        prefect: b.prefect_url.clone(),
    };
    for _ in 0..b.rounds {
        let config = tempfile::tempdir().expect("config dir");
        let (target, region, auth, dir) = (
            target.clone(),
            region.to_owned(),
            auth.clone(),
            config.path().to_owned(),
        );
        // The pseudo-terminal blocks: off the async runtime (whose relay must go on).
        let (first, network, whole) =
            tokio::task::spawn_blocking(move || one(&target, &region, &auth, &dir))
                .await
                .expect("the wizard round");
        firsts.push(first);
        networks.push(network);
        wholes.push(whole);
    }
    let (firsts, networks, wholes) = (Runs(firsts), Runs(networks), Runs(wholes));
    println!(
        "\n4b. The wizard on that account ({} launches, through the relay)",
        b.rounds
    );
    println!(
        "   launch to the first screen                       median {:.3} s ({})",
        firsts.median(),
        firsts.spread()
    );
    println!(
        "   Enter on step 2 to step 3 filled (201 VPCs)      median {:.3} s ({})",
        networks.median(),
        networks.spread()
    );
    println!(
        "   launch to step 3 filled, steps 1 and 2 typed     median {:.3} s ({})",
        wholes.median(),
        wholes.spread()
    );
}
