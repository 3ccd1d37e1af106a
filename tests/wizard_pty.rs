//! The guided setup as a person uses it: the real program in a real pseudo-terminal, keys
//! typed, the screen read through a VT100 parser, against the emulators with the stand-in
//! for Fargate (so the worker that comes online is a real `prefect worker` process that
//! read its credential from the emulated Secrets Manager).
//!
//! - the full-screen wizard walks every step, customizes the task definition in `$EDITOR`,
//!   deploys, waits for the worker, and ends in the monitor; the saved profile then deploys
//!   again with no change;
//! - a self-hosted server out of reach from this machine is passed after a warning, and
//!   the deploy does the AWS part;
//! - `init --plain` reaches the same result with line prompts;
//! - Ctrl-C at every step leaves the terminal in normal mode (not raw, no alternate screen).
//!
//! Prefect Cloud's workspace listing cannot run locally; these tests use a self-hosted
//! Prefect server with basic auth, which takes the same path through the wizard.

mod common;

use std::time::Duration;

use common::StandIn as Harness;
use common::pty::{Terminal, spawn};
use common::stack::{Clients, public_network, text};
use serde_json::Value;

const ENTER: &str = "\r";
const TAB: &str = "\t";
const RIGHT: &str = "\x1b[C";
const DOWN: &str = "\x1b[B";
const CTRL_C: &str = "\x03";
const CTRL_E: &str = "\x05";
const CTRL_U: &str = "\x15";

fn pause() {
    std::thread::sleep(Duration::from_millis(150));
}

fn keys(term: &mut Terminal, keys: &[&str]) {
    for k in keys {
        term.type_keys(k);
        pause();
    }
}

const STEP: Duration = Duration::from_secs(30);

/// Starts the wizard with its own config directory, as on a person's machine: the region
/// in the environment too.
fn wizard(h: &Harness, config: &std::path::Path, args: &[&str], editor: Option<&str>) -> Terminal {
    let config = config.to_string_lossy().into_owned();
    let mut env = vec![
        ("PREFECT_TUI_CONFIG_DIR", config.as_str()),
        ("AWS_REGION", h.region.as_str()),
    ];
    if let Some(editor) = editor {
        env.push(("EDITOR", editor));
    }
    spawn(&h.moto, &h.region, args, &env, 40, 120)
}

/// Steps 1 and 2: the identity, then the self-hosted Prefect with basic auth.
fn through_aws_and_prefect(term: &mut Terminal, h: &Harness) {
    term.wait_for("the AWS step", STEP, |s| s.contains("1 · AWS account"));
    keys(term, &[ENTER]);
    term.wait_for("the identity", STEP, |s| {
        s.contains("✓ account 123456789012")
    });
    keys(term, &[ENTER]);
    term.wait_for("the Prefect step", STEP, |s| s.contains("2 · Prefect"));
    keys(term, &[RIGHT, TAB, &h.prefect, TAB, RIGHT, TAB, &h.auth]);
    let screen = term.contents();
    assert!(
        !screen.contains(&h.auth),
        "the auth string is masked on screen:\n{screen}"
    );
    keys(term, &[ENTER]);
    term.wait_for("the credential checked", STEP, |s| {
        s.contains("✓ Connected to") && s.contains("the auth string works")
    });
    keys(term, &[ENTER]);
}

/// Step 3: finds the test's VPC in the list as a person would, by reading the screen.
fn choose_vpc(term: &mut Terminal, vpc: &str) {
    term.wait_for("the subnets", STEP, |s| s.contains("Subnets of"));
    keys(term, &[TAB]);
    let marker = format!("▸ {vpc}");
    for _ in 0..200 {
        if term.contents().contains(&marker) {
            break;
        }
        keys(term, &[DOWN]);
    }
    let screen = term.wait_for("the test's VPC highlighted", STEP, |s| {
        s.contains(&marker) && s.contains(&format!("Subnets of {vpc}"))
    });
    assert!(
        screen.contains("2 chosen") && screen.contains("public"),
        "the two public subnets are recommended and chosen:\n{screen}"
    );
    keys(term, &[TAB, ENTER]);
}

/// Step 4: stack name and pool typed over the defaults; then the plan.
fn worker(term: &mut Terminal, stack: &str, pool: &str) {
    term.wait_for("the worker step", STEP, |s| s.contains("4 · Worker"));
    keys(term, &[CTRL_U, stack, TAB, CTRL_U, pool, ENTER]);
    term.wait_for("the plan", STEP, |s| {
        s.contains("5 · Review") && s.contains(&format!("Plan for stack {stack}"))
    });
}

async fn destroy(h: &Harness, config: &std::path::Path, profile: &str) {
    let out = common::program_against(&h.moto, &h.region)
        .env("PREFECT_TUI_CONFIG_DIR", config)
        .args([
            "destroy",
            "--profile",
            profile,
            "--yes",
            "--force-delete-secret",
        ])
        .output()
        .expect("destroy");
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wizard_takes_an_empty_stack_to_a_worker_online_and_the_monitor() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("wiz");
    let pool = format!("ecs-{stack}");
    let (vpc, _) = public_network(&h.moto, &h.region, 96).await;
    let config = tempfile::tempdir().expect("config dir");
    // An editor that adds one customization, as a person would type it.
    let editor = config.path().join("add-label.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\ncat >> \"$1\" <<'EOF'\n[[customizations]]\ntarget = \"task_definition\"\nop = \"add\"\npath = \"/containerDefinitions/0/dockerLabels\"\nvalue = { team = \"data\" }\nEOF\n",
    )
    .expect("editor script");
    let editor_cmd = format!("sh {}", editor.display());

    let mut term = wizard(&h, config.path(), &["init"], Some(&editor_cmd));
    through_aws_and_prefect(&mut term, &h);
    choose_vpc(&mut term, &vpc);
    worker(&mut term, &stack, &pool);

    // Step 5: the customization added in $EDITOR, checked, and the plan made again.
    keys(&mut term, &[CTRL_E]);
    let review = term.wait_for(
        "the customization listed and the plan made again",
        STEP,
        |s| {
            s.contains("1: task_definition add /containerDefinitions/0/dockerLabels")
                && s.contains("5 · Review")
                && !s.contains("Reading what exists and planning")
        },
    );
    assert!(review.contains(&format!("[{stack}")), "{review}");
    keys(&mut term, &[ENTER]);

    // Step 6: the resources, then the gate, then the worker online.
    term.wait_for("the deploy", STEP, |s| s.contains("6 · Deploy"));
    let online = term.wait_for("the worker online", Duration::from_secs(240), |s| {
        s.contains("✓ Worker online") || s.contains("The deploy stopped")
    });
    assert!(online.contains("✓ Worker online"), "{online}");
    for label in [
        "API key secret",
        "task definition",
        "ECS service",
        "Prefect work pool",
    ] {
        assert!(online.contains(label), "{label} listed:\n{online}");
    }

    // The last step offers verify: one flow run through the stack, followed to its end.
    assert!(online.contains("v verify"), "{online}");
    keys(&mut term, &["v"]);
    let verified = term.wait_for("the verify flow run", Duration::from_secs(240), |s| {
        s.contains("✓ Flow run") || s.contains("✗ The flow run ended")
    });
    assert!(
        verified.contains("Completed in") && verified.contains("the stack runs flows"),
        "{verified}"
    );
    assert!(
        verified.contains(&format!("deployment prefect-tui-verify-{stack}/verify")),
        "{verified}"
    );

    // Then the monitor on the stack just made, with the worker's own log lines.
    keys(&mut term, &[ENTER]);
    term.wait_for(
        "the monitor with the worker",
        Duration::from_secs(90),
        // The worker's own lines: its start, or (after verify) its taking of the flow run.
        |s| {
            s.contains(&format!("stack {stack}"))
                && s.contains("ONLINE")
                && (s.contains("started!") || s.contains("prefect.flow_runs.worker"))
        },
    );
    term.quit();
    assert!(!term.is_raw(), "the terminal is back in normal mode");
    assert!(!term.in_alternate_screen(), "the alternate screen is gone");

    // The saved profile holds no secret, and deploys again with nothing to change.
    let saved =
        std::fs::read_to_string(config.path().join("profiles").join(format!("{stack}.toml")))
            .expect("the profile is saved under the stack's name");
    assert!(
        !saved.contains(&h.auth),
        "no secret in the profile:\n{saved}"
    );
    assert!(saved.contains("dockerLabels"), "{saved}");
    let out = common::program_against(&h.moto, &h.region)
        .env("PREFECT_TUI_CONFIG_DIR", config.path())
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .args([
            "deploy",
            "--profile",
            &stack,
            "--yes",
            "--gate-timeout",
            "120",
        ])
        .output()
        .expect("deploy");
    let again = text(&out);
    assert!(out.status.success(), "{again}");
    assert!(again.contains("Nothing to change"), "{again}");
    assert!(again.contains("(0 writes)"), "{again}");

    // The customization reached the registered task definition.
    let aws = Clients::new(&h.moto, &h.region);
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(format!("prefect-tui-{stack}-worker"))
        .send()
        .await
        .expect("task definition");
    let labels = td
        .task_definition()
        .and_then(|t| t.container_definitions().first())
        .and_then(|c| c.docker_labels())
        .cloned()
        .unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("data"));

    destroy(&h, config.path(), &stack).await;
}

/// A self-hosted server reachable only from inside the VPC does not answer from here: the
/// wizard warns, goes on when told to, and the deploy does the AWS part.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_out_of_reach_from_here_goes_on_after_the_warning_and_aws_is_deployed() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("wvpc");
    let pool = format!("ecs-{stack}");
    let (vpc, _) = public_network(&h.moto, &h.region, 95).await;
    let config = tempfile::tempdir().expect("config dir");
    let mut term = wizard(&h, config.path(), &["init"], None);
    term.wait_for("the AWS step", STEP, |s| s.contains("1 · AWS account"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the identity", STEP, |s| {
        s.contains("✓ account 123456789012")
    });
    keys(&mut term, &[ENTER]);
    term.wait_for("the Prefect step", STEP, |s| s.contains("2 · Prefect"));
    // Nothing listens on port 9 of this machine.
    let unreachable = "http://127.0.0.1:9/api";
    keys(
        &mut term,
        &[RIGHT, TAB, unreachable, TAB, RIGHT, TAB, &h.auth, ENTER],
    );
    let warned = term.wait_for("the warning", STEP, |s| {
        s.contains("does not answer from this machine")
    });
    assert!(
        warned.contains("Press Enter again to go on") && warned.contains("2 · Prefect"),
        "it waits for the user's word:\n{warned}"
    );
    keys(&mut term, &[ENTER]);
    choose_vpc(&mut term, &vpc);
    worker(&mut term, &stack, &pool);
    keys(&mut term, &[ENTER]);
    term.wait_for("the deploy", STEP, |s| s.contains("6 · Deploy"));
    let done = term.wait_for("the AWS part done", Duration::from_secs(120), |s| {
        s.contains("AWS accepted everything") || s.contains("The deploy stopped")
    });
    assert!(
        done.contains("AWS accepted everything") && done.contains("cannot be checked from here"),
        "{done}"
    );
    assert!(done.contains("ECS service"), "{done}");

    let aws = Clients::new(&h.moto, &h.region);
    let services = aws
        .ecs
        .describe_services()
        .cluster(format!("prefect-tui-{stack}"))
        .services(format!("prefect-tui-{stack}-worker"))
        .send()
        .await
        .expect("describe services");
    assert_eq!(
        services
            .services()
            .first()
            .and_then(|s| s.status())
            .unwrap_or_default(),
        "ACTIVE",
        "the service was made: {services:?}"
    );
    let saved =
        std::fs::read_to_string(config.path().join("profiles").join(format!("{stack}.toml")))
            .expect("the profile is saved");
    assert!(saved.contains(unreachable), "{saved}");
    assert!(!saved.contains(&h.auth), "{saved}");
    keys(&mut term, &[CTRL_C]);
    term.wait_exit(Duration::from_secs(30));
    assert!(!term.is_raw(), "the terminal is back in normal mode");
    destroy(&h, config.path(), &stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn init_plain_reaches_the_same_result_with_line_prompts() {
    let Some(h) = common::stand_in() else { return };
    let stack = common::unique("plain");
    let pool = format!("ecs-{stack}");
    let (vpc, subnets) = public_network(&h.moto, &h.region, 97).await;
    let config = tempfile::tempdir().expect("config dir");
    let mut term = wizard(&h, config.path(), &["init", "--plain"], None);

    term.wait_for("the profile question", STEP, |s| s.contains("AWS profile:"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the region question", STEP, |s| s.contains("Region:"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the identity", STEP, |s| {
        s.contains("✓ account 123456789012")
    });
    term.wait_for("the Prefect question", STEP, |s| {
        s.contains("Where is Prefect?")
    });
    keys(&mut term, &[DOWN, ENTER]);
    term.wait_for("the credential kind", STEP, |s| {
        s.contains("What does the server ask for?")
    });
    keys(&mut term, &[DOWN, ENTER]);
    term.wait_for("the auth string question", STEP, |s| {
        s.contains("Auth string")
    });
    keys(&mut term, &[&h.auth]);
    assert!(!term.contents().contains(&h.auth), "masked while typed");
    keys(&mut term, &[ENTER]);
    term.wait_for("the URL question", STEP, |s| s.contains("API URL:"));
    keys(&mut term, &[&h.prefect, ENTER]);
    term.wait_for("the credential checked", STEP, |s| {
        s.contains("✓ connected to")
    });

    // The VPC list filters as you type: the VPC's id picks it.
    term.wait_for("the VPC question", Duration::from_secs(60), |s| {
        s.contains("VPC:")
    });
    keys(&mut term, &[&vpc, ENTER]);
    term.wait_for("the subnets question", STEP, |s| s.contains("Subnets"));
    keys(&mut term, &[ENTER]);

    term.wait_for("the stack question", STEP, |s| s.contains("Stack name:"));
    keys(&mut term, &[&stack, ENTER]);
    term.wait_for("the pool question", STEP, |s| s.contains("Work pool"));
    keys(&mut term, &[&pool, ENTER]);
    term.wait_for("the cpu question", STEP, |s| s.contains("CPU units"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the memory question", STEP, |s| s.contains("Memory (MiB"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the count question", STEP, |s| s.contains("Workers:"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the image question", STEP, |s| s.contains("Image:"));
    keys(&mut term, &[ENTER]);
    // The production questions, each with what it means; left empty, none is made.
    term.wait_for("the alert e-mails question", STEP, |s| {
        s.contains("Alert e-mails") && s.contains("must confirm")
    });
    keys(&mut term, &[ENTER]);
    term.wait_for("the scaling question", STEP, |s| s.contains("Scale up to"));
    keys(&mut term, &[ENTER]);
    term.wait_for("the Spot question", STEP, |s| {
        s.contains("Fargate Spot") && s.contains("two minutes' notice")
    });
    keys(&mut term, &[ENTER]);

    term.wait_for(
        "the plan and the profile name",
        Duration::from_secs(60),
        |s| s.contains("Save as profile:"),
    );
    keys(&mut term, &[ENTER]);
    term.wait_for("the confirmation", STEP, |s| {
        s.contains("and deploy to account")
    });
    keys(&mut term, &[ENTER]);
    let done = term.wait_for("the worker online", Duration::from_secs(240), |s| {
        s.contains("Worker online:") || s.contains("Error")
    });
    assert!(
        done.contains(&format!("Stack {stack} is deployed")),
        "{done}"
    );
    assert_eq!(term.wait_exit(Duration::from_secs(10)), 0);

    // The same profile a wizard would save: the chosen network, no secret.
    let saved =
        std::fs::read_to_string(config.path().join("profiles").join(format!("{stack}.toml")))
            .expect("profile saved");
    assert!(
        saved.contains(&vpc) && subnets.iter().all(|s| saved.contains(s)),
        "{saved}"
    );
    assert!(!saved.contains(&h.auth), "{saved}");
    let out = common::program_against(&h.moto, &h.region)
        .env("PREFECT_TUI_CONFIG_DIR", config.path())
        .args(["plan", "--profile", &stack, "--output", "json"])
        .env("PREFECT_API_AUTH_STRING", &h.auth)
        .output()
        .expect("plan");
    assert!(out.status.success(), "{}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["action"].as_str())
        .collect();
    assert!(actions.iter().all(|a| *a == "noop"), "{plan:#}");

    destroy(&h, config.path(), &stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_every_step_leaves_the_terminal_as_it_was() {
    let Some(h) = common::stand_in() else { return };
    let (vpc, _) = public_network(&h.moto, &h.region, 98).await;
    for step in 1..=6 {
        let stack = common::unique(&format!("cc{step}"));
        let config = tempfile::tempdir().expect("config dir");
        let mut term = wizard(&h, config.path(), &["init"], None);
        term.wait_for("the wizard", STEP, |s| s.contains("1 · AWS account"));
        if step >= 2 {
            through_aws_and_prefect(&mut term, &h);
        }
        if step >= 3 {
            term.wait_for("the network step", STEP, |s| s.contains("3 · Network"));
        }
        if step >= 4 {
            choose_vpc(&mut term, &vpc);
        }
        if step >= 5 {
            worker(&mut term, &stack, &format!("ecs-{stack}"));
        }
        if step == 6 {
            keys(&mut term, &[ENTER]);
            term.wait_for("the deploy", STEP, |s| s.contains("6 · Deploy"));
        }
        assert!(
            term.is_raw(),
            "step {step}: the wizard holds the terminal in raw mode"
        );
        assert!(
            term.in_alternate_screen(),
            "step {step}: on the alternate screen"
        );
        keys(&mut term, &[CTRL_C]);
        let code = if step == 6 {
            // A deploy in progress asks first.
            term.wait_for("the question before leaving", STEP, |s| {
                s.contains("A deploy is in progress. Leave now?")
            });
            keys(&mut term, &["y"]);
            1
        } else {
            130
        };
        assert_eq!(term.wait_exit(Duration::from_secs(30)), code, "step {step}");
        assert!(!term.is_raw(), "step {step}: raw mode is off after Ctrl-C");
        assert!(
            !term.in_alternate_screen(),
            "step {step}: the alternate screen is left"
        );
        if step == 6 {
            let screen = term.contents();
            assert!(
                screen.contains("What exists now"),
                "step 6 says what exists:\n{screen}"
            );
            destroy(&h, config.path(), &stack).await;
        } else {
            // Before the deploy step nothing is written, not even the profile.
            assert!(
                !config.path().join("profiles").exists(),
                "step {step}: nothing saved before the deploy"
            );
        }
    }
}

#[test]
fn the_setup_without_a_terminal_says_what_to_do_instead() {
    for args in [&[][..], &["init"][..], &["init", "--plain"][..]] {
        let out = common::program()
            .args(args)
            .write_stdin("")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a terminal"), "{err}");
        assert!(err.contains("deploy --profile"), "{err}");
    }
}
