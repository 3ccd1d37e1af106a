//! The real program in a real pseudo-terminal: `monitor` opens on a deployed stack (the
//! stand-in for Fargate running its worker), shows the worker's own log lines, scales to
//! two tasks on request, and shows the second task and its logs. The screen is read the
//! way a terminal would show it (a VT100 parser), keys are typed as a person would.

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
    assert!(first.contains("1 desired"), "{first}");

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
            running >= 2 && started >= 2 && s.contains("2 desired")
        },
    );
    assert!(scaled.contains("Scaling to 2 task(s)."), "{scaled}");

    screen.quit();
    assert!(!screen.is_raw(), "the terminal is back in normal mode");

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
