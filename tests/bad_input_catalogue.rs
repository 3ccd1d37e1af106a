//! The bad-input catalogue: every kind of nonsense a person can hand the program, each with
//! the message they read and the exit code a script sees (2: bad input). Entries tested
//! elsewhere are listed here so the catalogue is whole in one place:
//!
//! | entry | where |
//! | --- | --- |
//! | profile: TOML syntax, unknown field, wrong type, missing section, invalid values, a bad patch op, replace on a missing path | `tests/profiles.rs` with `tests/invalid_profiles/` |
//! | profile: a huge file | `tests/profiles.rs` (`a_huge_file_is_refused_before_parsing`) |
//! | region: unknown, missing, `--region` contradicting the profile | `tests/bad_input.rs`, `tests/deploy.rs` |
//! | VPC id malformed or unknown (discover) | `tests/bad_input.rs` |
//! | subnet of another VPC, two keys pasted into the environment, no `--yes` without a terminal | `tests/deploy.rs` (`deploy_refuses_bad_input_with_exit_2_and_leaves_nothing`) |
//! | a refused new key for `rotate-key` | `tests/day_two.rs` (`rotate_key_brings_the_new_auth_string_to_new_tasks_and_a_refused_one_writes_nothing`) |
//! | alarms, e-mails and scaling bounds that cannot work | below (`alarms_and_scaling_that_cannot_work_are_refused_before_any_call`); the wizard's own checks of the same answers in `src/tui/wizard/production.rs` |
//! | a work pool name no flow-run task-definition family can carry | below (`work_pool_names_no_flow_run_family_can_carry_are_refused_before_any_call`) |
//! | Spot flow runs or alarms on a cluster the user brought that lacks FARGATE_SPOT or Container Insights | `src/stack/tests/plan_tables.rs` (`a_brought_cluster_lacking_spot_or_insights_is_a_conflict_that_says_how_to_fix_it`) |
//! | everything else | below |
//!
//! Each case that could reach AWS either runs against an address nothing listens on (so a
//! call made before the refusal would fail differently) or checks afterwards that nothing
//! was created.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::stack::{Clients, public_network, text, write_profile, write_self_hosted_profile};

const REGION: &str = "us-east-2";
/// Nothing listens here: a refusal that came after an AWS call would say "could not reach".
const NOWHERE: &str = "http://127.0.0.1:9";

const BASE: &str = r#"stack = "prod"

[aws]
region = "us-east-1"

[prefect]
api_url = "https://prefect.example.com/api"
work_pool = "ecs"

[network]
vpc_id = "vpc-0123456789abcdef0"
subnet_ids = ["subnet-0123456789abcdef0"]
"#;

fn assert_refused(what: &str, out: &Output, expected: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {}", text(out));
    for needle in expected {
        assert!(
            err.contains(needle),
            "{what}: expected {needle:?} in\n{err}"
        );
    }
    assert!(err.contains("hint: "), "{what}: says what to do\n{err}");
    assert!(out.stdout.is_empty(), "{what}: nothing on stdout");
}

#[test]
fn profile_files_that_cannot_be_used_say_why_and_where() {
    let missing_field = BASE.replace("vpc_id = \"vpc-0123456789abcdef0\"\n", "");
    let wrong_list = BASE.replace(
        "subnet_ids = [\"subnet-0123456789abcdef0\"]",
        "subnet_ids = \"subnet-0123456789abcdef0\"",
    );
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "missing field inside a section",
            missing_field.into_bytes(),
            vec!["p.toml:10:1: network.vpc_id: no VPC: set vpc_id"],
        ),
        (
            "a list given as a string",
            wrong_list.into_bytes(),
            vec![
                "p.toml:12:14: invalid type: string \"subnet-0123456789abcdef0\", expected a sequence",
            ],
        ),
        (
            "an empty file",
            Vec::new(),
            vec!["p.toml:1:1: missing field `stack`"],
        ),
        (
            "not text",
            vec![0xff, 0xfe, 0x00, b'a'],
            vec![
                "stream did not contain valid UTF-8",
                "A profile is TOML text in UTF-8",
            ],
        ),
        (
            "unknown target of a customization",
            format!(
                "{BASE}{}",
                customization_block("cluster", "replace", "/x", "1")
            )
            .into_bytes(),
            vec![
                "p.toml:15:10: unknown variant `cluster`, expected `task_definition` or `service`",
            ],
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    for (what, content, expected) in cases {
        std::fs::write(&path, content).expect("write");
        let out = common::program()
            .args(["preview", "--profile", &path.to_string_lossy()])
            .output()
            .expect("runs");
        assert_refused(what, &out, &expected);
    }

    let out = common::program()
        .args(["preview", "--profile", "./no/such/profile.toml"])
        .output()
        .expect("runs");
    assert_refused(
        "a path that names nothing",
        &out,
        &["could not read ./no/such/profile.toml", "profiles list"],
    );
}

fn customization_block(target: &str, op: &str, path: &str, value: &str) -> String {
    let mut s =
        format!("\n[[customizations]]\ntarget = \"{target}\"\nop = \"{op}\"\npath = \"{path}\"\n");
    if !value.is_empty() {
        s.push_str(&format!("value = {value}\n"));
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn json_patch_operations_that_cannot_apply_are_refused_before_anything_is_made() {
    let cases = [
        (
            "a path that is not a JSON Pointer",
            customization_block(
                "task_definition",
                "replace",
                "containerDefinitions/0/cpu",
                "256",
            ),
            "customizations[0]: path 'containerDefinitions/0/cpu' is not a JSON Pointer",
        ),
        (
            "a path that does not exist",
            customization_block("service", "remove", "/loadBalancers", ""),
            "customizations[0] (remove /loadBalancers on the service): nothing exists at /loadBalancers",
        ),
        (
            "an operation that is not one",
            customization_block("service", "merge", "/desiredCount", "2"),
            "customizations[0]: 'merge' is not a JSON Patch operation; use one of add, remove, replace, move, copy, test",
        ),
        (
            "an operation without its value",
            customization_block("service", "add", "/healthCheckGracePeriodSeconds", ""),
            "customizations[0]: 'add' needs a value (value = ...)",
        ),
        (
            "a replace that changes a number into a string",
            customization_block("service", "replace", "/desiredCount", "\"two\""),
            "customizations[0] (replace /desiredCount on the service): /desiredCount is a number, \
             and the value given is a string; ECS would refuse the document. Give a number (it is 1 now)",
        ),
        (
            "a replace that changes a list into a string",
            customization_block(
                "task_definition",
                "replace",
                "/containerDefinitions",
                "\"none\"",
            ),
            "/containerDefinitions is an array, and the value given is a string",
        ),
        (
            "an add below a number",
            customization_block(
                "task_definition",
                "add",
                "/containerDefinitions/0/cpu/extra",
                "1",
            ),
            "/containerDefinitions/0/cpu is a number, not an object or array",
        ),
        (
            "a test that does not hold",
            customization_block("service", "test", "/launchType", "\"EC2\""),
            "test failed: /launchType is \"FARGATE\", not \"EC2\"",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    for (what, block, expected) in &cases {
        std::fs::write(&path, format!("{BASE}{block}")).expect("write");
        let out = common::program()
            .args(["preview", "--profile", &path.to_string_lossy()])
            .output()
            .expect("runs");
        assert_refused(what, &out, &[expected, "p.toml:14:1: "]);
    }

    // The same refusals stop a deploy into a real network before it writes anything.
    let Some(moto) = common::moto() else { return };
    let aws = Clients::new(&moto, REGION);
    let (vpc, subnets) = public_network(&moto, REGION, 82).await;
    let stack = common::unique("patch");
    for (what, block, expected) in &cases {
        let profile = write_profile(dir.path(), &stack, REGION, &vpc, &subnets, block);
        let out = common::program_against(&moto, REGION)
            .env("PREFECT_API_KEY", "pnu_catalogue")
            .args([
                "deploy",
                "--profile",
                &profile.to_string_lossy(),
                "--yes",
                "--no-wait",
            ])
            .output()
            .expect("runs");
        assert_refused(&format!("deploy: {what}"), &out, &[expected]);
    }
    let found = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .send()
        .await;
    assert!(found.is_err(), "no secret was created");
}

#[test]
fn prefect_urls_that_cannot_work_are_explained() {
    let url = |u: &str| BASE.replace("https://prefect.example.com/api", u);
    let cases = [
        (
            "a host without a scheme",
            url("prefect.example.com"),
            vec!["prefect.api_url: 'prefect.example.com' is not a URL"],
        ),
        (
            "a scheme that is not http",
            url("ftp://prefect.example.com/api"),
            vec!["neither a Prefect Cloud workspace URL nor an http(s) URL"],
        ),
        (
            "a server address without /api",
            url("http://prefect.internal:4200"),
            vec!["has no path; a self-hosted Prefect API URL ends in /api"],
        ),
        (
            "a Cloud address without a workspace",
            url("https://app.prefect.cloud/account/0c1d2e3f-1111-4222-8333-444455556666"),
            vec!["is a Prefect Cloud address but names no workspace"],
        ),
        (
            "a password inside the URL",
            url("https://admin:s3cret-in-url@prefect.internal/api"),
            vec![
                "prefect.api_url: the URL has a user name or password in it",
                "(https://prefect.internal)",
                "PREFECT_API_AUTH_STRING",
            ],
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    for (what, content, expected) in cases {
        std::fs::write(&path, content).expect("write");
        let out = common::program()
            .args(["preview", "--profile", &path.to_string_lossy()])
            .output()
            .expect("runs");
        assert_refused(what, &out, &expected);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("s3cret-in-url"),
            "{what}: repeats the password\n{err}"
        );
    }
}

#[test]
fn alarms_and_scaling_that_cannot_work_are_refused_before_any_call() {
    let cases = [
        (
            "scaling min above max",
            "[scaling]\nmin = 3\nmax = 2\n",
            vec!["scaling.min: min 3 is above max 2: set min at or below max"],
        ),
        (
            "an e-mail address without a domain",
            "[notifications]\nemails = [\"oncall@localhost\"]\n",
            vec![
                "notifications.emails[0]: 'oncall@localhost' is not an e-mail address",
                "not a domain like example.com",
            ],
        ),
        (
            "two addresses in one string",
            "[notifications]\nemails = [\"a@example.com, b@example.com\"]\n",
            vec!["list each address apart"],
        ),
        (
            "alarms without a topic to send them to",
            "[alarms]\nminutes = 5\n",
            vec!["alarms: alarms need somewhere to go: add a [notifications] section"],
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    let profile = path.to_string_lossy().into_owned();
    for (what, section, expected) in cases {
        std::fs::write(&path, format!("{BASE}\n{section}")).expect("write");
        // Deploy, against an address nothing listens on: a call made before the refusal
        // would say "could not reach AWS" and exit 1, so nothing can have been made.
        let out = common::raw_program(NOWHERE, "us-east-1")
            .env("PREFECT_API_KEY", "pnu_not_a_real_key")
            .args(["deploy", "--profile", &profile, "--yes", "--no-wait"])
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        assert_refused(what, &out, &expected);
        assert!(
            !text(&out).contains("could not reach"),
            "{what}: {}",
            text(&out)
        );
        // Export refuses a profile with any of these sections: it does not write them yet.
        let out = common::raw_program(NOWHERE, "us-east-1")
            .args(["export", "--profile", &profile, "--format", "terraform"])
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .expect("runs");
        assert_refused(what, &out, &expected);
        assert!(
            !dir.path().join("out").exists(),
            "{what}: export wrote nothing"
        );
        // And plan says the same, before reading anything.
        let out = common::raw_program(NOWHERE, "us-east-1")
            .args(["plan", "--profile", &profile])
            .output()
            .expect("runs");
        assert_refused(what, &out, &expected);
    }
    // A valid profile with alarms: export cannot write them yet, so it writes nothing.
    std::fs::write(
        &path,
        format!("{BASE}\n[notifications]\nemails = [\"oncall@example.com\"]\n\n[alarms]\n"),
    )
    .expect("write");
    let out = common::raw_program(NOWHERE, "us-east-1")
        .args([
            "export",
            "--profile",
            &profile,
            "--format",
            "cloudformation",
        ])
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("runs");
    assert_refused(
        "export of a stack with alarms",
        &out,
        &["has [notifications], [alarms], and export does not write"],
    );
    assert!(!dir.path().join("out").exists(), "export wrote nothing");
}

/// `deploy --api-key-stdin` fed `input` (None: standard input closed), against nowhere.
/// prefect-aws names each flow run's task-definition family `prefect_<pool>_<deployment>` from
/// the raw pool name, and ECS allows only letters, digits, `_` and `-` in a family (up to
/// 255): a pool named otherwise would come online and fail every flow run at registration,
/// and its name would go into the worker policy's ARNs (where `*` widens them).
#[test]
fn work_pool_names_no_flow_run_family_can_carry_are_refused_before_any_call() {
    let long = "p".repeat(prefect_tui::stack::MAX_WORK_POOL_NAME + 1);
    let cases = [
        (
            "a dot",
            "ecs.prod",
            vec![
                "'ecs.prod' cannot name the work pool",
                "for example \"ecs-prod\"",
            ],
        ),
        (
            "a wildcard",
            "ecs-*",
            vec!["'ecs-*' cannot name the work pool", "'*' is none of them"],
        ),
        (
            "a space",
            "ecs prod",
            vec!["'ecs prod' cannot name the work pool"],
        ),
        ("too long", long.as_str(), vec!["must fit ECS's 255"]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    let profile = path.to_string_lossy().into_owned();
    for (what, pool, expected) in cases {
        std::fs::write(
            &path,
            BASE.replace("work_pool = \"ecs\"", &format!("work_pool = \"{pool}\"")),
        )
        .expect("write");
        let mut expected = expected.clone();
        expected.push("prefect.work_pool");
        for command in [&["plan"][..], &["deploy", "--yes", "--no-wait"][..]] {
            let out = common::raw_program(NOWHERE, "us-east-1")
                .env("PREFECT_API_KEY", "pnu_not_a_real_key")
                .args(command)
                .args(["--profile", &profile])
                .stdin(Stdio::null())
                .output()
                .expect("runs");
            assert_refused(&format!("{what} ({})", command[0]), &out, &expected);
        }
    }
    // The same rule lets the names it should through.
    std::fs::write(
        &path,
        BASE.replace("work_pool = \"ecs\"", "work_pool = \"ecs_Prod-2\""),
    )
    .expect("write");
    let out = common::raw_program(NOWHERE, "us-east-1")
        .args(["preview", "--profile", &profile])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "a pool of letters, digits, _ and - is fine: {}",
        text(&out)
    );
}

fn deploy_with_stdin(profile: &str, input: Option<&[u8]>) -> Output {
    let mut cmd = common::raw_program(NOWHERE, "us-east-1");
    cmd.env_remove("PREFECT_API_KEY")
        .args(["deploy", "--profile", profile, "--yes", "--no-wait"])
        .arg("--api-key-stdin")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match input {
        None => {
            cmd.stdin(Stdio::null());
            cmd.output().expect("runs")
        }
        Some(bytes) => {
            cmd.stdin(Stdio::piped());
            let mut child = cmd.spawn().expect("spawn");
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(bytes).expect("write the key");
            drop(stdin);
            child.wait_with_output().expect("runs")
        }
    }
}

#[test]
fn keys_pasted_with_whitespace_or_nothing_on_stdin_are_refused_before_any_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, BASE).expect("write");
    let profile = path.to_string_lossy().into_owned();
    let cases: [(&str, Option<&[u8]>, &str); 5] = [
        (
            "standard input closed",
            None,
            "--api-key-stdin read no key: standard input was empty or closed.",
        ),
        (
            "only a line break",
            Some(b"\n"),
            "--api-key-stdin read no key",
        ),
        (
            "a space inside",
            Some(b"pnu_first half\n"),
            "the API key has spaces or line breaks inside it; paste the key alone",
        ),
        (
            "two lines",
            Some(b"pnu_one\npnu_two\n"),
            "the API key has spaces or line breaks inside it",
        ),
        (
            "a tab inside",
            Some(b"pnu_a\tb"),
            "the API key has spaces or line breaks inside it",
        ),
    ];
    for (what, input, expected) in cases {
        let out = deploy_with_stdin(&profile, input);
        assert_refused(what, &out, &[expected, "--api-key-stdin"]);
    }
    // A key with a trailing line break (as `echo` and most password managers send it)
    // passes the check and goes on to AWS, which is nowhere: a failure, not bad input.
    let out = deploy_with_stdin(&profile, Some(b"pnu_fine\r\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("could not reach AWS"), "{}", text(&out));
}

#[test]
fn day_two_commands_refuse_what_they_cannot_do_before_any_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, BASE).expect("write");
    let none = dir.path().join("none.toml");
    std::fs::write(
        &none,
        BASE.replace(
            "work_pool = \"ecs\"",
            "work_pool = \"ecs\"\ncredential = \"none\"",
        ),
    )
    .expect("write");
    let profile = path.to_string_lossy().into_owned();
    let no_key = none.to_string_lossy().into_owned();
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "rotate-key with no key and no terminal",
            vec!["rotate-key", "--profile", &profile, "--yes"],
            vec!["rotate-key needs the new key", "PREFECT_API_KEY"],
        ),
        (
            "rotate-key for a worker without a credential",
            vec!["rotate-key", "--profile", &no_key, "--yes"],
            vec!["gives the worker no Prefect credential"],
        ),
        (
            "rotate-key as JSON without --yes",
            vec!["rotate-key", "--profile", &profile, "--output", "json"],
            vec!["--output json cannot ask", "--yes"],
        ),
        (
            "upgrade to something that is not a tag",
            vec![
                "upgrade",
                "--profile",
                &profile,
                "--to",
                "0.7 latest",
                "--yes",
            ],
            vec!["is not an image tag", "-prefect3.8.8"],
        ),
        (
            "upgrade as JSON without --yes or --dry-run",
            vec!["upgrade", "--profile", &profile, "--output", "json"],
            vec!["--output json cannot ask", "--dry-run"],
        ),
        (
            "rollback as JSON without --yes or --dry-run",
            vec!["rollback", "--profile", &profile, "--output", "json"],
            vec!["--output json cannot ask"],
        ),
    ];
    for (what, args, expected) in cases {
        let mut cmd = common::raw_program(NOWHERE, "us-east-1");
        cmd.env_remove("PREFECT_API_KEY")
            .args(&args)
            .stdin(Stdio::null());
        let out = cmd.output().expect("runs");
        assert_refused(what, &out, &expected);
    }
}

#[test]
fn the_monitor_without_a_terminal_points_at_the_script_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, BASE).expect("write");
    let out = common::program_against(NOWHERE, "us-east-1")
        .args(["monitor", "--profile", &path.to_string_lossy()])
        .output()
        .expect("runs");
    assert_refused(
        "monitor with stdout not a terminal",
        &out,
        &[
            "The monitor needs a terminal.",
            "prefect-tui status",
            "logs --follow",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_and_subnet_ids_that_do_not_exist_are_refused_and_nothing_is_made() {
    let Some(moto) = common::moto() else { return };
    let aws = Clients::new(&moto, REGION);
    let dir = tempfile::tempdir().expect("tempdir");
    let (vpc, subnets) = public_network(&moto, REGION, 80).await;
    let stack = common::unique("noexist");
    let cases = [
        (
            "a VPC that does not exist",
            "vpc-0123456789abcdef0".to_owned(),
            subnets.clone(),
            "VPC vpc-0123456789abcdef0 from the profile does not exist in account 123456789012 in us-east-2"
                .to_owned(),
            "prefect-tui discover",
        ),
        (
            "a subnet that does not exist",
            vpc.clone(),
            vec![subnets[0].clone(), "subnet-0123456789abcdef0".to_owned()],
            "subnet-0123456789abcdef0 does not exist in us-east-2".to_owned(),
            "fix `subnet_ids` under [network]",
        ),
    ];
    for (what, vpc_id, subnet_ids, expected, hint) in cases {
        let profile = write_profile(dir.path(), &stack, REGION, &vpc_id, &subnet_ids, "");
        let arg = profile.to_string_lossy().into_owned();
        for command in ["plan", "deploy"] {
            let mut args = vec![command, "--profile", &arg];
            if command == "deploy" {
                args.extend(["--yes", "--no-wait"]);
            }
            let out = common::program_against(&moto, REGION)
                .env("PREFECT_API_KEY", "pnu_catalogue")
                .args(&args)
                .output()
                .expect("runs");
            assert_refused(&format!("{command}: {what}"), &out, &[&expected, hint]);
        }
    }
    let found = aws
        .secrets
        .describe_secret()
        .secret_id(format!("prefect-tui/{stack}/api-key"))
        .send()
        .await;
    assert!(found.is_err(), "no secret was created");
    let found = aws
        .iam
        .get_role()
        .role_name(format!("prefect-tui-{stack}-execution"))
        .send()
        .await;
    assert!(found.is_err(), "no role was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_too_small_for_the_monitor_says_how_large_it_must_be() {
    let Some(moto) = common::moto() else { return };
    let Some(prefect) = common::emulator("PREFECT_TUI_TEST_PREFECT_API_URL") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (vpc, subnets) = public_network(&moto, REGION, 81).await;
    let stack = common::unique("tiny");
    // Nothing deployed: the monitor opens on an empty stack all the same.
    let profile = write_self_hosted_profile(
        dir.path(),
        &stack,
        REGION,
        &prefect,
        &format!("ecs-{stack}"),
        &vpc,
        &subnets,
        "",
    );
    let arg = profile.to_string_lossy().into_owned();
    let mut term = common::pty::spawn(&moto, REGION, &["monitor", "--profile", &arg], &[], 12, 50);
    let screen = term.wait_for("the size notice", Duration::from_secs(30), |s| {
        s.contains("needs at least")
    });
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "The monitor needs at least 60x16; this terminal is 50x12. Make it larger, or press q."
        ),
        "{screen}"
    );
    term.quit();
}
