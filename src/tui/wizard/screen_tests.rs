//! The screens of the wizard where a person must be able to act on what they see: a URL
//! refused in plain words before any key is checked, a server out of reach passed after a
//! warning, the network pane with the focus marked, the review's summary, and every step
//! at 80x24 with nothing cut. Drawn with the fixtures of `snapshot_tests`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Msg, Step, Work};
use super::forms::{ApplyPhase, Pane};
use super::snapshot_tests::{
    SIZES, applying, at_aws_checked, at_network, at_prefect_filled, at_review, at_worker, draw,
    key, report, snap, typed,
};
use super::work::PrefectFailure;
use crate::prefect::PrefectError;

/// The screen's rows, for assertions on one line.
fn rows_of(screen: &str) -> Vec<&str> {
    screen.lines().collect()
}

#[test]
fn step_2_the_url_is_checked_first_and_in_plain_words() {
    let mut app = at_aws_checked();
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Right)); // self-hosted
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "prefect.internal.example.com/api");
    // No key typed yet: the URL is what is wrong first.
    let work = app.on_key(key(KeyCode::Enter));
    assert!(work.is_none(), "nothing is checked live: {work:?}");
    let problem = app.problem.clone().expect("refused");
    assert_eq!(
        problem.message,
        "The URL needs to start with https:// (or http:// for a server on your network)."
    );
    assert_eq!(app.prefect.focused(), super::forms::PrefectField::Url);
    snap("wizard_2_prefect_url_without_scheme", &app);
    for (w, h) in SIZES {
        let screen = draw(&app, w, h);
        assert!(
            screen.contains("The URL needs to start with https://"),
            "{w}x{h}:\n{screen}"
        );
        assert!(!screen.contains("relative URL"), "{screen}");
    }

    // With the URL right, the key is checked next.
    app.on_key(key(KeyCode::Home));
    typed(&mut app, "https://");
    assert!(app.on_key(key(KeyCode::Enter)).is_none());
    let problem = app.problem.clone().expect("refused");
    assert!(
        problem.message.contains("API key"),
        "the key is next: {problem:?}"
    );
}

#[test]
fn step_2_a_server_that_does_not_answer_can_be_passed_after_a_warning() {
    let mut app = at_prefect_filled();
    assert!(matches!(
        app.on_key(key(KeyCode::Enter)),
        Some(Work::CheckPrefect { .. })
    ));
    app.on_msg(Msg::Prefect(Err(PrefectFailure::from(
        PrefectError::Unreachable {
            url: "https://prefect.internal.example.com/api/health".into(),
            detail: "connection refused".into(),
        },
    ))));
    assert_eq!(app.step, Step::Prefect, "not without the user's word");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("does not answer from this machine"),
        "{screen}"
    );
    assert!(
        screen.contains("Reachable only from inside the VPC? Press Enter again to go on"),
        "{screen}"
    );
    assert!(screen.contains("Enter go on without the check"), "{screen}");
    snap("wizard_2_prefect_unreachable_warning", &app);

    // Enter again: on to the network, with no Prefect client; the worker step does not
    // try to list pools it cannot reach.
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Discover { .. })), "{work:?}");
    assert_eq!(app.step, Step::Network);
    app.on_msg(Msg::Discovered(Ok(report())));
    let work = app.on_key(key(KeyCode::Enter));
    assert!(work.is_none(), "no pool listing: {work:?}");
    assert_eq!(app.step, Step::Worker);
    assert_eq!(app.worker.pools, Some(Vec::new()));
    assert!(
        app.info
            .clone()
            .unwrap_or_default()
            .contains("cannot be listed from here"),
        "{:?}",
        app.info
    );

    // A changed URL forgets the warning: Enter checks again.
    let mut edited = at_prefect_filled();
    edited.on_key(key(KeyCode::Enter));
    edited.on_msg(Msg::Prefect(Err(PrefectFailure::from(
        PrefectError::Unreachable {
            url: "https://prefect.internal.example.com/api/health".into(),
            detail: "connection refused".into(),
        },
    ))));
    edited.prefect.focus = 1;
    edited.on_key(key(KeyCode::Char('x')));
    assert!(edited.prefect.unreachable.is_none());
    assert!(matches!(
        edited.on_key(key(KeyCode::Enter)),
        Some(Work::CheckPrefect { .. })
    ));

    // A refusal is no reason to go on: Enter checks again.
    let mut refused = at_prefect_filled();
    refused.on_key(key(KeyCode::Enter));
    refused.on_msg(Msg::Prefect(Err(PrefectFailure::from(
        PrefectError::Rejected {
            url: "https://prefect.internal.example.com/api".into(),
        },
    ))));
    assert!(matches!(
        refused.on_key(key(KeyCode::Enter)),
        Some(Work::CheckPrefect { .. })
    ));
}

#[test]
fn step_6_deployed_without_prefect_in_reach_says_what_was_not_checked() {
    let mut app = at_review();
    applying(&mut app);
    app.busy = None;
    app.apply.phase = ApplyPhase::Unchecked(
        "the Prefect API at https://prefect.internal.example.com/api/work_pools/ecs-prod cannot be reached: connection refused".into(),
    );
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("AWS accepted everything"), "{screen}");
    assert!(screen.contains("cannot be checked from here"), "{screen}");
    assert!(screen.contains("Enter open the monitor"), "{screen}");
    snap("wizard_6_apply_unchecked", &app);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.exit, Some(super::app::Exit::Monitor));
}

#[test]
fn step_3_the_focused_pane_is_marked_and_stale_refusals_go() {
    let mut app = at_network();
    assert_eq!(app.network.pane, Pane::Subnets);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("▶ Subnets of vpc-"), "{screen}");
    assert!(screen.contains("chosen) · focus"), "{screen}");
    assert!(
        screen.contains("[subnets]"),
        "the footer says which:\n{screen}"
    );
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.network.pane, Pane::Vpcs);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("▶ VPCs · focus"), "{screen}");
    assert!(!screen.contains("▶ Subnets"), "{screen}");
    assert!(screen.contains("[VPCs]"), "{screen}");
    assert!(screen.contains("↑/↓ choose VPC"), "{screen}");
    snap("wizard_3_network_vpcs_focused", &app);

    // The refusal says where its reason is, and that place shows it.
    let mut refused = at_network();
    refused.on_key(key(KeyCode::Down));
    refused.on_key(key(KeyCode::Down));
    refused.on_key(key(KeyCode::Char(' ')));
    let problem = refused.problem.clone().expect("refused");
    assert!(
        problem.message.contains("(why: under the subnet list)"),
        "{}",
        problem.message
    );
    let screen = draw(&refused, 120, 40);
    let rows = rows_of(&screen);
    let last_subnet = rows
        .iter()
        .rposition(|r| r.contains("[ ] subnet-") || r.contains("[x] subnet-"))
        .expect("subnet rows");
    assert!(
        rows[last_subnet + 1].contains("subnet-0ccc000000000000c isolated: The main route table"),
        "the reason is right under the list:\n{screen}"
    );
    // Moving on: the refusal no longer applies.
    refused.on_key(key(KeyCode::Up));
    assert!(refused.problem.is_none());
    refused.on_key(key(KeyCode::Down));
    refused.on_key(key(KeyCode::Char(' ')));
    assert!(refused.problem.is_some());
    refused.on_key(key(KeyCode::Tab));
    refused.on_key(key(KeyCode::Down));
    assert!(refused.problem.is_none(), "another VPC is another choice");
    // "No subnet chosen" goes when one is chosen.
    let mut none = at_network();
    none.on_key(key(KeyCode::Char(' ')));
    none.on_key(key(KeyCode::Down));
    none.on_key(key(KeyCode::Char(' ')));
    assert!(none.network.chosen.is_empty());
    assert!(none.on_key(key(KeyCode::Enter)).is_none());
    assert!(none.problem.is_some());
    none.on_key(key(KeyCode::Char(' ')));
    assert!(none.problem.is_none());
}

#[test]
fn step_5_review_sums_up_the_worker_and_says_what_the_secret_gets() {
    let app = at_review();
    for (w, h) in SIZES {
        let screen = draw(&app, w, h);
        for wanted in [
            "1 worker",
            "512 CPU units (0.5 vCPU)",
            "1024 MiB memory",
            "prefecthq/prefect-aws:0.7.12-python3.12-prefect3.8.8",
            "subnet-0aaa000000000000a, subnet-0bbb000000000000b",
            "pool ecs-prod at https://prefect.internal.example.com/api",
        ] {
            assert!(screen.contains(wanted), "{w}x{h}: {wanted}\n{screen}");
        }
        assert!(
            !rows_of(&screen)
                .iter()
                .any(|r| r.trim_matches(|c| c == '│' || c == ' ') == "value"),
            "no bare value line at {w}x{h}:\n{screen}"
        );
    }
    let mut app = app;
    app.screen = (80, 24);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("value: set (the API key you entered)"),
        "{screen}"
    );
    // At 80x24 the plan scrolls and says where you are; scrolling stops at the end.
    let small = draw(&app, 80, 24);
    assert!(small.contains("rows 1-"), "{small}");
    assert!(small.contains("↓ more"), "{small}");
    for _ in 0..100 {
        app.on_key(key(KeyCode::Down));
    }
    let end = draw(&app, 80, 24);
    assert!(!end.contains("↓ more"), "{end}");
    assert!(
        end.contains("unchanged."),
        "the last line is in view:\n{end}"
    );
    app.on_key(key(KeyCode::Up));
    assert!(
        draw(&app, 80, 24).contains("↓ more"),
        "one up shows more below"
    );
}

#[test]
fn at_80x24_the_step_list_and_footer_shorten_and_nothing_is_cut() {
    let mut vpcs = at_network();
    vpcs.on_key(key(KeyCode::Tab));
    let states = [
        ("aws", at_aws_checked()),
        ("prefect", at_prefect_filled()),
        ("network", at_network()),
        ("vpcs", vpcs),
        ("worker", at_worker()),
        ("review", at_review()),
    ];
    for (name, app) in &states {
        let screen = draw(app, 80, 24);
        let rows = rows_of(&screen);
        let steps = rows[1];
        for n in 1..=6 {
            assert!(steps.contains(&n.to_string()), "{name}: {steps}");
        }
        assert!(
            steps.contains(app.step.short_title()),
            "{name}: the current step's title: {steps}"
        );
        assert!(steps.contains("6 Deploy"), "{name}: {steps}");
        assert!(
            steps.contains("1 AWS") && !steps.contains("AWS account"),
            "{name}: the short titles: {steps}"
        );
        // The footer is one row, starts with the step's first key and ends with quit.
        let footer = rows[23];
        let first = app.footer()[0].key;
        assert!(
            footer.contains(first) && footer.trim_end().ends_with("Ctrl-C quit"),
            "{name}: footer {footer:?}\n{screen}"
        );
        assert!(
            !rows[22].contains("Ctrl-C"),
            "{name}: the footer is not wrapped:\n{screen}"
        );
    }
}

#[test]
fn step_4_what_is_typed_while_the_pools_are_read_is_kept_and_enter_waits_for_them() {
    let mut app = at_network();
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Pools(_))), "{work:?}");
    assert!(app.busy.is_some(), "the pools are being read");
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut app, "prod");
    app.on_key(key(KeyCode::Tab));
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut app, "ecs-prod");
    assert!(
        app.on_key(key(KeyCode::Enter)).is_none(),
        "Enter does not prepare before the pools are known"
    );
    assert_eq!(app.worker.stack.value, "prod");
    assert_eq!(app.worker.pool.value, "ecs-prod");
    let work = app.on_msg(Msg::Pools(Ok(vec![("ecs-prod".into(), "ecs".into())])));
    assert!(
        matches!(work, Some(Work::Prepare { .. })),
        "the Enter pressed during the read goes on: {work:?}"
    );
    assert_eq!(app.step, Step::Worker);
}

#[test]
fn step_4_names_the_images_prefect_version_and_warns_when_it_floats() {
    let mut app = at_worker();
    for (w, h) in SIZES {
        let screen = draw(&app, w, h);
        assert!(screen.contains("Prefect 3.8.8"), "{w}x{h}\n{screen}");
        assert!(!screen.contains("floats"), "{w}x{h}\n{screen}");
    }
    app.worker.image = crate::tui::wizard::widgets::TextInput::new("prefecthq/prefect-aws:latest");
    for (w, h) in SIZES {
        let screen = draw(&app, w, h);
        let row = rows_of(&screen)
            .into_iter()
            .find(|r| r.contains("Image  "))
            .unwrap_or_default();
        assert!(row.contains("floats"), "{w}x{h}: {row}\n{screen}");
        assert!(
            screen.contains("Image floats: prefecthq/prefect-aws:latest moves to each new"),
            "{w}x{h}\n{screen}"
        );
    }
}

fn checked_client() -> crate::prefect::PrefectClient {
    crate::prefect::PrefectClient::new(
        "https://prefect.internal.example.com/api",
        crate::prefect::PrefectAuth::None,
    )
    .expect("client")
}

#[test]
fn step_3_is_read_while_step_2_is_typed_and_is_filled_on_arrival() {
    let mut app = at_prefect_filled();
    // The identity known, the network is read at once, alongside step 2.
    let work = app.take_background();
    assert!(matches!(work, Some(Work::Discover { .. })), "{work:?}");
    assert!(app.take_background().is_none(), "asked once");
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::CheckPrefect { .. })), "{work:?}");
    // The network's answer comes while the credential is checked: the check still shows.
    app.on_msg(Msg::Discovered(Ok(report())));
    assert_eq!(app.step, Step::Prefect);
    assert!(app.busy.is_some(), "the Prefect check still runs on screen");
    app.on_msg(Msg::Prefect(Ok(checked_client())));
    let work = app.on_key(key(KeyCode::Enter));
    assert!(work.is_none(), "nothing read twice: {work:?}");
    assert_eq!(app.step, Step::Network);
    assert!(app.busy.is_none());
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Subnets of vpc-0a1b2c3d4e5f60718"),
        "{screen}"
    );
}

/// Step 2 checked and left with Enter: the work that asks for, if any.
fn on_to_step_3(app: &mut super::app::WizardApp) -> Option<Work> {
    app.on_key(key(KeyCode::Enter));
    app.on_msg(Msg::Prefect(Ok(checked_client())));
    app.on_key(key(KeyCode::Enter))
}

#[test]
fn step_3_reached_before_the_early_read_is_back_waits_for_it() {
    let mut app = at_prefect_filled();
    assert!(app.take_background().is_some());
    let work = on_to_step_3(&mut app);
    assert!(work.is_none(), "the read under way is waited for: {work:?}");
    assert_eq!(app.step, Step::Network);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("Reading the VPCs"), "{screen}");
    app.on_msg(Msg::Discovered(Ok(report())));
    assert!(app.busy.is_none());
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Subnets of vpc-0a1b2c3d4e5f60718"),
        "{screen}"
    );
}

#[test]
fn an_early_read_of_another_region_is_not_shown_and_step_3_reads_again() {
    let mut app = at_prefect_filled();
    assert!(app.take_background().is_some());
    let mut elsewhere = report();
    elsewhere.region = "eu-west-1".into();
    app.on_msg(Msg::Discovered(Ok(elsewhere)));
    assert!(app.network.report.is_none(), "not the region chosen");
    let work = on_to_step_3(&mut app);
    assert!(matches!(work, Some(Work::Discover { .. })), "{work:?}");
}

#[test]
fn step_4_alerts_scaling_and_spot_are_explained_and_one_zone_is_warned_about() {
    let mut app = at_worker();
    // Two workers, alert e-mails, scaling up to four, Spot flow runs: typed as a person.
    for _ in 0..4 {
        app.on_key(key(KeyCode::Tab));
    }
    app.on_key(key(KeyCode::Backspace));
    typed(&mut app, "2");
    for _ in 0..2 {
        app.on_key(key(KeyCode::Tab));
    }
    typed(&mut app, "oncall@example.com");
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "4");
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Char(' ')));
    assert!(app.worker.spot);
    // Every subnet picked in one zone.
    let first = app
        .network
        .current_vpc()
        .and_then(|v| v.subnets.first())
        .map(|s| s.id.clone())
        .expect("a subnet");
    app.network.chosen = vec![first];
    snap("wizard_4_worker_production", &app);
    for (w, h) in SIZES {
        let screen = draw(&app, w, h);
        let flat = screen
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        for said in [
            "must confirm AWS's e-mail",
            "2 to 4 workers",
            "two minutes' notice",
            "if that zone fails",
        ] {
            assert!(flat.contains(said), "{w}x{h}: {said:?} in\n{screen}");
        }
    }
    // With subnets in two zones the warning goes.
    let both: Vec<String> = app
        .network
        .current_vpc()
        .map(|v| {
            let mut zones = Vec::new();
            v.subnets
                .iter()
                .filter(|s| {
                    let new = !zones.contains(&s.az);
                    zones.push(s.az.clone());
                    new
                })
                .map(|s| s.id.clone())
                .collect()
        })
        .unwrap_or_default();
    assert!(both.len() >= 2, "the fixture has two zones");
    app.network.chosen = both;
    assert!(!draw(&app, 120, 40).contains("if that zone fails"));
}
