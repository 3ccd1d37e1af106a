//! The secret scan's tools: what counts as a credential, where it was found, and a
//! process run to its end with its output and its command line (as /proc showed it while
//! it ran) kept for the search.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What counts as the credential: the whole `user:password`, the password alone, and the
/// Basic-auth header value made of it.
pub fn needles(credential: &str) -> Vec<Vec<u8>> {
    let mut found = vec![credential.as_bytes().to_vec()];
    if let Some((_, password)) = credential.split_once(':') {
        found.push(password.as_bytes().to_vec());
    }
    found.push(aws_smithy_types::base64::encode(credential).into_bytes());
    found
}

/// Names of the haystacks that hold any needle.
pub fn hits(haystacks: &[(String, Vec<u8>)], needles: &[Vec<u8>]) -> Vec<String> {
    haystacks
        .iter()
        .filter(|(_, hay)| {
            needles
                .iter()
                .any(|n| hay.windows(n.len()).any(|w| w == n.as_slice()))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Every file under `dir`, by path.
pub fn files_under(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// Reads /proc/<pid>/cmdline until the process ends; returns every distinct one seen.
pub fn watch_cmdline(pid: u32, running: impl Fn() -> bool) -> Vec<u8> {
    let mut seen = Vec::new();
    while running() {
        if let Ok(line) = std::fs::read(format!("/proc/{pid}/cmdline"))
            && !line.is_empty()
            && seen != line
        {
            seen.extend_from_slice(&line);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    seen
}

/// Runs `cmd` to the end, keeping its output and its command line as seen in /proc.
pub fn run_watched(mut cmd: Command, stdin_text: Option<&str>) -> (std::process::Output, Vec<u8>) {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin_text.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child: Child = cmd.spawn().expect("spawn");
    if let Some(text) = stdin_text {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write");
    }
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let alive =
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    let cmdline = watch_cmdline(pid, alive);
    let status = child.wait().expect("wait");
    let out = std::process::Output {
        status,
        stdout: out_reader.join().expect("stdout"),
        stderr: err_reader.join().expect("stderr"),
    };
    (out, cmdline)
}

pub fn keep(
    haystacks: &mut Vec<(String, Vec<u8>)>,
    name: &str,
    out: &std::process::Output,
    cmdline: Vec<u8>,
) {
    haystacks.push((format!("{name}: stdout"), out.stdout.clone()));
    haystacks.push((format!("{name}: stderr"), out.stderr.clone()));
    haystacks.push((format!("{name}: /proc/<pid>/cmdline"), cmdline));
}
