//! The secret scan: a full deploy without the wizard (the credential from the environment,
//! the profile saved in the config directory), a monitor session in a pseudo-terminal with
//! a real worker's logs on screen, and a destroy; then every place the credential could
//! have leaked to is searched for it: everything under the program's home directory (the
//! config directory and any file it wrote), everything it printed (at `-vv`), the command
//! line of each process while it ran, the task definition as registered and as rendered by
//! `preview`, `status` and `logs` (the metrics sidecar's container and output among them:
//! the stack has alarms), and the terminal screen and byte stream. Zero hits, and
//! a planted copy proves the search finds one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::scan::{files_under, hits, keep, needles, run_watched};

use common::stack::{Clients, public_network, text, write_self_hosted_profile};

/// The program with a home directory of its own (so whatever it writes lands where the
/// scan looks) and the default config directory under it.
fn program(moto: &str, region: &str, home: &Path) -> Command {
    let mut cmd = common::raw_program(moto, region);
    cmd.env_remove("PREFECT_TUI_CONFIG_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("PREFECT_API_KEY")
        .env_remove("PREFECT_API_AUTH_STRING")
        .env("HOME", home);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn the_credential_is_nowhere_but_in_secrets_manager() {
    let Some(common::StandIn {
        moto,
        region,
        prefect,
        auth: credential,
    }) = common::stand_in()
    else {
        return;
    };
    let needles = needles(&credential);
    let aws = Clients::new(&moto, &region);
    let home = tempfile::tempdir().expect("home");
    let stack = common::unique("scan");
    let (vpc, subnets) = public_network(&moto, &region, 96).await;

    // The profile saved where the program keeps profiles, as the wizard would save it.
    let profiles = home.path().join(".config/prefect-tui/profiles");
    std::fs::create_dir_all(&profiles).expect("config dir");
    write_self_hosted_profile(
        &profiles,
        &stack,
        &region,
        &prefect,
        &format!("ecs-{stack}"),
        &vpc,
        &subnets,
        // Alarms on: the worker task carries the metrics sidecar, which gets the
        // credential too (as a secret), and its output is in the logs scanned below.
        "[notifications]\nemails = [\"oncall@example.com\"]\n\n[alarms]\n",
    );
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();

    // Deploy, the credential once from the environment, once from standard input (both
    // are read; the second deploy finds the secret unchanged).
    let mut cmd = program(&moto, &region, home.path());
    cmd.env("PREFECT_API_AUTH_STRING", &credential).args([
        "-vv",
        "deploy",
        "--profile",
        &stack,
        "--yes",
        "--gate-timeout",
        "120",
    ]);
    let (out, cmdline) = run_watched(cmd, None);
    assert!(out.status.success(), "deploy: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&cmdline).contains("deploy"),
        "the command line was read while deploy ran"
    );
    keep(&mut haystacks, "deploy", &out, cmdline);
    let mut cmd = program(&moto, &region, home.path());
    cmd.args([
        "-vv",
        "deploy",
        "--profile",
        &stack,
        "--yes",
        "--no-wait",
        "--api-key-stdin",
    ]);
    let (out, cmdline) = run_watched(cmd, Some(&format!("{credential}\n")));
    assert!(out.status.success(), "deploy from stdin: {}", text(&out));
    keep(&mut haystacks, "deploy --api-key-stdin", &out, cmdline);

    // What a person or script reads about the stack.
    for args in [
        vec!["preview", "--profile", &stack, "--format", "json"],
        vec!["plan", "--profile", &stack, "--output", "json"],
        vec!["status", "--profile", &stack, "--output", "json"],
        vec!["logs", "--profile", &stack, "--since", "30m"],
        vec!["profiles", "show", &stack],
        // One flow run through the stack: its report, its task's log lines.
        vec!["-vv", "verify", "--profile", &stack, "--output", "json"],
    ] {
        let mut cmd = program(&moto, &region, home.path());
        // preview redacts what it is given: give it the credential to redact.
        cmd.env("PREFECT_API_AUTH_STRING", &credential).args(&args);
        let (out, cmdline) = run_watched(cmd, None);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        keep(&mut haystacks, &args.join(" "), &out, cmdline);
    }

    // The task definition as ECS holds it.
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(format!("prefect-tui-{stack}-worker"))
        .send()
        .await
        .expect("registered");
    let registered = format!("{:?}", td.task_definition());
    assert!(
        registered.contains("PREFECT_API_AUTH_STRING") && registered.contains("secretsmanager"),
        "the credential is referenced from Secrets Manager: {registered}"
    );
    haystacks.push(("registered task definition".into(), registered.into_bytes()));

    // What verify made: the flow-run task definitions the worker registered, the flow-run
    // tasks with their overrides (the worker passes settings there in plain text), the
    // observer's queues and rule, and the deployment and flow run as Prefect holds them.
    // The emulator's familyPrefix matches whole families only: filter here instead.
    let listed = aws
        .ecs
        .list_task_definitions()
        .send()
        .await
        .expect("task definitions");
    let flow_run_definitions: Vec<&String> = listed
        .task_definition_arns()
        .iter()
        .filter(|arn| arn.contains(&format!("task-definition/prefect_ecs-{stack}_")))
        .collect();
    assert!(
        !flow_run_definitions.is_empty(),
        "verify's flow run registered a task definition"
    );
    for arn in flow_run_definitions {
        let td = aws
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .expect("flow-run task definition");
        haystacks.push((
            format!("flow-run task definition {arn}"),
            format!("{td:?}").into_bytes(),
        ));
    }
    let cluster = format!("prefect-tui-{stack}");
    let stopped = aws
        .ecs
        .list_tasks()
        .cluster(&cluster)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .expect("stopped tasks");
    let described = aws
        .ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(stopped.task_arns().to_vec()))
        .send()
        .await
        .expect("flow-run tasks");
    let flow_run_tasks = format!("{:?}", described.tasks());
    assert!(
        !described.tasks().is_empty(),
        "the stopped tasks (the flow run's among them) are read"
    );
    haystacks.push((
        "flow-run tasks and their overrides".into(),
        flow_run_tasks.into_bytes(),
    ));
    for queue in [
        format!("prefect-tui-{stack}-ecs-events"),
        format!("prefect-tui-{stack}-ecs-events-dlq"),
    ] {
        let url = aws
            .sqs
            .get_queue_url()
            .queue_name(&queue)
            .send()
            .await
            .expect("queue");
        let attributes = aws
            .sqs
            .get_queue_attributes()
            .queue_url(url.queue_url().unwrap_or_default())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .expect("queue attributes");
        haystacks.push((
            format!("queue {queue}"),
            format!("{attributes:?}").into_bytes(),
        ));
    }
    let rule = aws
        .events
        .describe_rule()
        .name(format!("prefect-tui-{stack}-ecs-task-state"))
        .send()
        .await
        .expect("rule");
    haystacks.push(("event rule".into(), format!("{rule:?}").into_bytes()));
    let (user, password) = credential.split_once(':').expect("user:password");
    let prefect_get = |path: String| {
        let client = reqwest::Client::new();
        let request = client
            .get(format!("{prefect}/{path}"))
            .basic_auth(user, Some(password));
        async move {
            request
                .send()
                .await
                .expect("Prefect answers")
                .bytes()
                .await
                .expect("body")
                .to_vec()
        }
    };
    let deployment = prefect_get(format!(
        "deployments/name/prefect-tui-verify-{stack}/verify"
    ))
    .await;
    haystacks.push(("the verify deployment in Prefect".into(), deployment));

    // A monitor session with the worker's logs on screen.
    let mut term = common::pty::spawn(
        &moto,
        &region,
        &["monitor", "--profile", &stack],
        &[("HOME", &home.path().to_string_lossy())],
        40,
        140,
    );
    // Its start line may have scrolled off under the verify run's and the sidecar's.
    let screen = term.wait_for("the worker's logs", Duration::from_secs(60), |s| {
        s.contains("ONLINE") && (s.contains("started!") || s.contains("| INFO "))
    });
    let pid = term.pid().expect("the monitor's pid");
    let monitor_cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&monitor_cmdline).contains("monitor"),
        "the monitor's command line was read while it ran"
    );
    std::thread::sleep(Duration::from_secs(3));
    let screen = format!("{screen}\n{}", term.contents());
    term.quit();
    haystacks.push(("monitor: screen".into(), screen.into_bytes()));
    haystacks.push(("monitor: terminal byte stream".into(), term.raw()));
    haystacks.push(("monitor: /proc/<pid>/cmdline".into(), monitor_cmdline));

    let mut cmd = program(&moto, &region, home.path());
    cmd.args([
        "-vv",
        "destroy",
        "--profile",
        &stack,
        "--yes",
        "--force-delete-secret",
    ]);
    let (out, cmdline) = run_watched(cmd, None);
    assert!(out.status.success(), "destroy: {}", text(&out));
    keep(&mut haystacks, "destroy", &out, cmdline);

    // Everything the program left in its home: the config directory, and any other file.
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with(&format!("{stack}.toml"))),
        "the saved profile is among the files scanned: {:?}",
        files.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    haystacks.extend(files);

    let scanned: usize = haystacks.iter().map(|(_, h)| h.len()).sum();
    let found = hits(&haystacks, &needles);
    eprintln!(
        "secret scan: {} places, {scanned} bytes, {} hit(s)",
        haystacks.len(),
        found.len()
    );
    assert!(found.is_empty(), "the credential leaked into: {found:#?}");

    // The control: the same search finds a planted copy, in a file among the others, in
    // each of the forms searched for.
    let control: PathBuf = home.path().join("control.txt");
    for needle in &needles {
        let mut planted = b"noise before ".to_vec();
        planted.extend_from_slice(needle);
        planted.extend_from_slice(b" and after");
        std::fs::write(&control, &planted).expect("plant");
        let mut files = Vec::new();
        files_under(home.path(), &mut files);
        let found = hits(&files, std::slice::from_ref(needle));
        assert_eq!(
            found,
            vec![control.display().to_string()],
            "the planted copy is found"
        );
    }
}
