//! The command line as a person meets it: one output flag everywhere, the only saved profile
//! used when none is named, help that says what AWS_REGION does, shell completions and the
//! manual page. Offline: nothing here calls AWS or Prefect.

mod common;

use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The program with its profiles in `config`.
fn run_in(config: &Path, args: &[&str]) -> std::process::Output {
    common::program()
        .env("PREFECT_TUI_CONFIG_DIR", config)
        .args(args)
        .output()
        .expect("prefect-tui runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A config directory whose store holds the named copies of profiles/cloud.toml.
fn store_with(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("profiles")).expect("profiles dir");
    let text = std::fs::read_to_string(repo("profiles/cloud.toml")).expect("example");
    for name in names {
        std::fs::write(dir.path().join(format!("profiles/{name}.toml")), &text).expect("write");
    }
    dir
}

#[test]
fn preview_takes_output_like_every_other_command_and_keeps_format() {
    let config = store_with(&[]);
    let profile = repo("profiles/cloud.toml").to_string_lossy().into_owned();
    for flag in ["--output", "--format"] {
        let out = run_in(
            config.path(),
            &["preview", "--profile", &profile, flag, "json"],
        );
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        let doc: serde_json::Value =
            serde_json::from_str(&stdout(&out)).expect("preview --output json is JSON");
        assert!(doc.get("task_definition").is_some(), "{flag}: {doc}");
    }
}

#[test]
fn the_only_saved_profile_is_used_and_said() {
    let config = store_with(&["prod"]);
    let out = run_in(config.path(), &["preview"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Using profile prod, the only saved profile."),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("preview of profile 'prod'"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn without_a_profile_and_several_saved_it_asks_which() {
    let config = store_with(&["prod", "staging"]);
    for command in ["preview", "plan", "deploy", "destroy", "status", "logs"] {
        let out = run_in(config.path(), &[command]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Pass --profile with one of: prod, staging."),
            "{command}: {}",
            stderr(&out)
        );
    }
    let empty = store_with(&[]);
    let out = run_in(empty.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("there is no saved profile"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_lines_show_no_optional_flag_as_required() {
    let config = store_with(&[]);
    for command in [
        "preview", "plan", "deploy", "destroy", "status", "logs", "monitor",
    ] {
        let out = run_in(config.path(), &[command, "--help"]);
        let help = stdout(&out);
        let usage = help
            .lines()
            .find(|l| l.starts_with("Usage:"))
            .unwrap_or_default();
        assert!(
            !usage.contains("--profile <NAME>") || usage.contains("[--profile <NAME>]"),
            "{command}: {usage}"
        );
    }
}

#[test]
fn help_says_what_aws_region_does_for_a_profile() {
    let out = run_in(store_with(&[]).path(), &["--help"]);
    let help = stdout(&out);
    assert!(help.contains("AWS_REGION"), "{help}");
    assert!(
        help.contains("A command with --profile works in that profile's region"),
        "{help}"
    );
}

#[test]
fn completions_for_each_shell_name_every_command() {
    let config = store_with(&[]);
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef prefect-tui"),
        ("fish", "complete -c prefect-tui"),
    ] {
        let out = run_in(config.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        for command in ["deploy", "destroy", "monitor", "discover", "profiles"] {
            assert!(text.contains(command), "{shell}: no {command}");
        }
    }
    let out = run_in(config.path(), &["completions", "powershell-ish"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_manual_page_is_roff_with_every_command() {
    let out = run_in(store_with(&[]).path(), &["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    for command in ["deploy", "destroy", "monitor", "completions"] {
        assert!(page.contains(command), "no {command} in the page");
    }
}
