//! The real program in a real pseudo-terminal: `monitor` opens on a deployed stack (the
//! stand-in for Fargate running its worker), shows the worker's own log lines, scales to
//! two tasks on request, and shows the second task and its logs; Tab gives the keys to the
//! tasks, ↓ selects the second, Enter shows its detail; `/` searches the logs and `n`
//! steps through the matches; and when the stack is destroyed from another shell, the
//! monitor says it is gone. The screen is read the way a terminal would show it (a VT100
//! parser), keys are typed as a person would.

mod common;

use std::time::Duration;

use common::stack::{public_network, text, write_self_hosted_profile};

#[tokio::test(flavor = "multi_thread")]
async fn monitor_shows_worker_logs_and_a_second_task_after_scaling() {
    let Some(common::StandIn {
        moto,
        region,
        prefect,
        auth,
    }) = common::stand_in()
    else {
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

    let mut screen = common::pty::spawn(
        &moto,
        &region,
        &["monitor", "--profile", &profile],
        &[],
        40,
        120,
    );

    // The worker's own words, from CloudWatch, on screen.
    let first = screen.wait_for("the worker's log lines", Duration::from_secs(60), |s| {
        s.contains(&format!("stack {stack}")) && s.contains("started!") && s.contains("ONLINE")
    });
    assert!(first.contains("/1 running"), "{first}");

    // Scale to two, as a person would: s, 2, Enter, y.
    for k in ["s", "2", "\r", "y"] {
        screen.type_keys(k);
        std::thread::sleep(Duration::from_millis(300));
    }
    let scaled = screen.wait_for(
        "a second running task and its logs",
        Duration::from_secs(90),
        |s| {
            let running = s.matches(" RUNNING ").count();
            let started = s.matches("started!").count();
            running >= 2 && started >= 2 && s.contains("/2 running")
        },
    );
    assert!(scaled.contains("Scaling to 2 task(s)."), "{scaled}");
    // The emulator serves no CloudWatch metrics for ECS: the charts say so.
    assert!(scaled.contains("no metrics here"), "{scaled}");

    // Tab to the tasks, the second one selected, its detail on Enter.
    let pause = || std::thread::sleep(Duration::from_millis(300));
    screen.type_keys("\t");
    let focused = screen.wait_for("the tasks pane focused", Duration::from_secs(5), |s| {
        s.contains("[tasks]") && s.contains("tasks 1/")
    });
    assert!(focused.contains("Enter details"), "{focused}");
    screen.type_keys("\x1b[B");
    screen.wait_for("the second task selected", Duration::from_secs(5), |s| {
        s.contains("tasks 2/")
    });
    pause();
    screen.type_keys("\r");
    let detail = screen.wait_for("the task's detail", Duration::from_secs(5), |s| {
        s.contains("definition") && s.contains("private IP")
    });
    for field in ["image", "started", "revision", "public IP", "Esc close"] {
        assert!(detail.contains(field), "{field}: {detail}");
    }
    screen.type_keys("\x1b");
    screen.wait_for("the detail closed", Duration::from_secs(5), |s| {
        !s.contains("private IP")
    });

    // Search the logs: each worker said it started, so two matches, and n steps on.
    pause();
    for k in ["/", "s", "t", "a", "r", "t", "e", "d", "!", "\r"] {
        screen.type_keys(k);
        std::thread::sleep(Duration::from_millis(60));
    }
    let searched = screen.wait_for("the match count", Duration::from_secs(5), |s| {
        s.contains("/started! 2 of 2")
    });
    assert!(searched.contains("line "), "where the logs are: {searched}");
    screen.type_keys("n");
    screen.wait_for("the next match (wrapping)", Duration::from_secs(5), |s| {
        s.contains("/started! 1 of 2")
    });

    // Destroyed from another shell while the monitor watches: it must say so.
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
    let gone = screen.wait_for("the stack gone", Duration::from_secs(30), |s| {
        s.contains("STACK GONE") && s.contains("is gone")
    });
    assert!(
        !gone.contains(" online)"),
        "no pool count as if all were well: {gone}"
    );

    screen.quit();
    assert!(!screen.is_raw(), "the terminal is back in normal mode");
}
