//! The real program in a real pseudo-terminal: the screen as a terminal would show it (a
//! VT100 parser), every byte the program wrote kept as well, and keys typed as a person
//! would.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct Terminal {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    keys: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

/// `prefect-tui <args>` against `endpoint` in `region`, in a `rows` x `cols` terminal, with
/// nothing of the caller's environment but PATH and the emulator keys, plus `env`.
pub fn spawn(
    endpoint: &str,
    region: &str,
    args: &[&str],
    env: &[(&str, &str)],
    rows: u16,
    cols: u16,
) -> Terminal {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(assert_cmd::cargo::cargo_bin("prefect-tui"));
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("TERM", "xterm-256color");
    let files = super::no_aws_files();
    cmd.env("AWS_CONFIG_FILE", files.join("config"));
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", files.join("credentials"));
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_ACCESS_KEY_ID", super::TEST_ACCESS_KEY);
    cmd.env("AWS_SECRET_ACCESS_KEY", super::TEST_SECRET_KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["--endpoint-url", endpoint, "--region", region]);
    cmd.args(args);
    let child = pty.slave.spawn_command(cmd).expect("the program starts");
    drop(pty.slave);
    let size = |n: u16| std::num::NonZero::new(n).expect("a terminal has a size");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
    let raw = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let (feed, keep) = (parser.clone(), raw.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = feed.lock() {
                p.process(&buf[..n]);
            }
            if let Ok(mut r) = keep.lock() {
                r.extend_from_slice(&buf[..n]);
            }
        }
    });
    let keys = pty.master.take_writer().expect("writer");
    Terminal {
        parser,
        raw,
        keys,
        child,
        _master: pty.master,
    }
}

impl Terminal {
    pub fn contents(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Every byte the program wrote to the terminal so far, escape sequences included.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits until `check` holds for the screen, or fails with the screen shown.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
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

    pub fn type_keys(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).expect("type");
        self.keys.flush().expect("flush");
    }

    /// Types `q` and waits for a clean exit.
    pub fn quit(&mut self) {
        self.type_keys("q");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the program leaves cleanly: {status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "the program did not quit on q");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Whether the terminal is in raw mode (no line editing, no echo), as the program left
    /// it or holds it now.
    pub fn is_raw(&self) -> bool {
        use nix::sys::termios::LocalFlags;
        let termios = self._master.get_termios().expect("the terminal's settings");
        !termios
            .local_flags
            .intersects(LocalFlags::ICANON | LocalFlags::ECHO)
    }

    /// Whether the program has the alternate screen up.
    pub fn in_alternate_screen(&self) -> bool {
        self.parser
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(false)
    }

    /// Waits for the program to end; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> u32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                panic!(
                    "the program did not end within {timeout:?}; the screen shows:\n{}",
                    self.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
