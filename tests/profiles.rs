//! Profile files end to end: the examples under profiles/ load, validate and preview; the
//! invalid fixtures under tests/invalid_profiles/ each get their message, position and exit
//! code; the store keeps profiles private and the `profiles` commands manage them.

mod common;

use std::path::{Path, PathBuf};

use prefect_tui::profile::{ProfileStore, load_file};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn run(args: &[&str]) -> std::process::Output {
    common::program()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("prefect-tui runs")
}

#[test]
fn every_example_profile_loads_validates_and_previews() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo("profiles")).expect("profiles/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        seen += 1;
        if let Err(e) = load_file(&path) {
            panic!("{} does not load: {e}", path.display());
        }
        let arg = path.to_string_lossy().into_owned();
        for format in ["yaml", "json"] {
            let out = run(&["preview", "--profile", &arg, "--format", format]);
            assert!(
                out.status.success(),
                "preview of {arg} as {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = run(&["preview", "--profile", &arg, "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(doc["task_definition"]["containerDefinitions"][0]["command"].is_array());
        assert!(doc["service"]["networkConfiguration"].is_object());
    }
    assert!(
        seen >= 4,
        "the four examples: cloud, self-hosted, private NAT, customized"
    );
}

/// (fixture, exit code, text the error must contain: file:line:column and the message)
const INVALID: &[(&str, &[&str])] = &[
    (
        "syntax-error.toml",
        &["syntax-error.toml:4:20: invalid basic string"],
    ),
    (
        "unknown-field.toml",
        &[
            "unknown-field.toml:16:1: unknown field `memroy`, expected one of `image`, `cpu`, `memory`",
        ],
    ),
    (
        "wrong-type.toml",
        &["wrong-type.toml:15:7: invalid type: string \"half a core\", expected u32"],
    ),
    (
        "missing-section.toml",
        &["missing-section.toml:1:1: missing field `prefect`"],
    ),
    (
        "bad-cpu-memory.toml",
        &[
            "bad-cpu-memory.toml:16:10: worker.memory: memory 512 does not fit cpu 512 on Fargate; \
           with cpu 512 the valid memory values (MiB) are 1024, 2048, 3072, 4096",
        ],
    ),
    (
        "bad-url.toml",
        &["bad-url.toml:7:11: prefect.api_url: 'prefect.example.com' is not a URL"],
    ),
    (
        "bad-patch.toml",
        &[
            "bad-patch.toml:20:1: customizations[1]: 'upsert' is not a JSON Patch operation; \
           use one of add, remove, replace, move, copy, test",
        ],
    ),
    (
        "patch-missing-path.toml",
        &["patch-missing-path.toml:14:1: customizations[0] (replace \
           /containerDefinitions/0/stopTimeout on the task_definition): nothing exists at \
           /containerDefinitions/0/stopTimeout; to create it use add"],
    ),
    (
        "many-problems.toml",
        &[
            "many-problems.toml:1:9: stack: 'Prod_1' cannot name a stack",
            "many-problems.toml:4:10: aws.region: 'us-eats-1' is not an AWS region (did you mean us-east-1?)",
            "many-problems.toml:7:11: prefect.api_url: 'https://app.prefect.cloud/account/x' is a Prefect Cloud address but names no workspace",
            "many-problems.toml:8:13: prefect.work_pool: 'ecs/prod' cannot name the work pool",
            "many-problems.toml:12:43: network.subnet_ids[1]: 'subnet-xyz' is not a subnet id",
            "many-problems.toml:15:22: worker.log_retention_days: CloudWatch Logs does not keep logs for 10 days",
        ],
    ),
];

#[test]
fn each_invalid_profile_gets_its_message_position_and_exit_code() {
    let fixtures = std::fs::read_dir(repo("tests/invalid_profiles"))
        .expect("fixtures")
        .count();
    assert_eq!(fixtures, INVALID.len(), "every fixture has an expectation");
    for (file, expected) in INVALID {
        let arg = format!("tests/invalid_profiles/{file}");
        let out = run(&["preview", "--profile", &arg]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(out.stdout.is_empty(), "{file}: nothing on stdout");
        for needle in *expected {
            assert!(
                err.contains(needle),
                "{file}: expected {needle:?} in\n{err}"
            );
        }
        assert!(err.contains("hint: "), "{file}: says what to do");
    }
}

#[test]
fn a_huge_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.toml");
    std::fs::write(&path, "# padding\n".repeat(40_000)).expect("write");
    let out = run(&["preview", "--profile", &path.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is 400000 bytes, too large to be a profile"),
        "{err}"
    );
}

#[test]
fn preview_of_the_customized_example_shows_patched_values_and_no_secret() {
    let secret = "pnu_preview_must_never_show_this";
    // A profile that (wrongly) copies the key into the command line, to prove redaction.
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("leaky.toml");
    let text = std::fs::read_to_string(repo("profiles/customized.toml")).expect("example")
        + &format!(
            "\n[[customizations]]\ntarget = \"task_definition\"\nop = \"add\"\n\
             path = \"/containerDefinitions/0/command/-\"\nvalue = \"--key={secret}\"\n"
        );
    std::fs::write(&profile, text).expect("write");

    for arg in [repo("profiles/customized.toml"), profile] {
        let out = common::program()
            .env("PREFECT_API_KEY", secret)
            .args(["preview", "--profile", &arg.to_string_lossy()])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains(secret),
            "the key leaked into the preview:\n{text}"
        );
        assert!(text.contains("cpuArchitecture: ARM64"), "{text}");
        assert!(text.contains("name: PREFECT_LOGGING_LEVEL"), "{text}");
        assert!(text.contains("value: data-platform"), "{text}");
        assert!(text.contains("minimumHealthyPercent: 0"), "{text}");
        assert!(
            text.contains("#   [0] task_definition replace /runtimePlatform/cpuArchitecture"),
            "{text}"
        );
        assert!(text.contains("valueFrom: arn:aws:secretsmanager:us-west-2:<account-id>:secret:prefect-tui/custom/api-key-<suffix>"));
    }
}

#[test]
fn preview_of_the_customized_example_is_stable() {
    let out = run(&["preview", "--profile", "profiles/customized.toml"]);
    assert!(out.status.success());
    insta::assert_snapshot!(
        "preview_customized_yaml",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn saved_profiles_are_private_and_managed_by_the_profiles_commands() {
    let config = tempfile::tempdir().expect("tempdir");
    let store = ProfileStore::new(Some(config.path()));
    let (profile, _) = load_file(&repo("profiles/cloud.toml")).expect("example loads");
    let path = store.save("team-a", &profile).expect("saved");
    assert_eq!(path, config.path().join("profiles/team-a.toml"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "profiles are written with mode 0600");
    }
    let (again, _) = store.load("team-a").expect("reloads");
    assert_eq!(again, profile, "what is saved is what is loaded");

    let cfg = config.path().to_string_lossy().into_owned();
    let out = run(&["--config-dir", &cfg, "profiles", "list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(list.starts_with("PROFILE"), "{list}");
    let row = list
        .lines()
        .find(|l| l.starts_with("team-a"))
        .unwrap_or_default();
    assert!(
        row.contains("cloud")
            && row.contains("us-east-1")
            && row.contains("api.prefect.cloud/api/accounts/"),
        "{row}"
    );

    let out = run(&["--config-dir", &cfg, "profiles", "show", "team-a"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("stack = \"cloud\""), "{shown}");

    let out = run(&["--config-dir", &cfg, "profiles", "path", "team-a"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.to_string_lossy()
    );
    let out = run(&["--config-dir", &cfg, "profiles", "path"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        config.path().join("profiles").to_string_lossy()
    );

    // Without a terminal and without --yes, delete refuses and keeps the file.
    let out = run(&["--config-dir", &cfg, "profiles", "delete", "team-a"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("Pass --yes"), "{err}");
    assert!(path.exists());

    let out = run(&[
        "--config-dir",
        &cfg,
        "profiles",
        "delete",
        "team-a",
        "--yes",
    ]);
    assert!(out.status.success());
    assert!(!path.exists());

    let out = run(&["--config-dir", &cfg, "preview", "--profile", "team-a"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no profile named 'team-a'"), "{err}");
    assert!(err.contains("no saved profiles yet"), "{err}");

    let out = run(&["--config-dir", &cfg, "profiles", "show", "../etc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot name a profile"));
}

#[test]
fn config_dir_comes_from_the_environment_too() {
    let config = tempfile::tempdir().expect("tempdir");
    let out = common::program()
        .env("PREFECT_TUI_CONFIG_DIR", config.path())
        .args(["profiles", "path"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        config.path().join("profiles").to_string_lossy()
    );
}
