//! Every wizard step drawn on a `TestBackend` at 120x40 and at 80x24, pinned with
//! snapshots, including the error states: a rejected key, an isolated subnet chosen, and a
//! failed apply step. The states are reached through the same `on_key` and `on_msg` the
//! terminal drives, so the snapshots also pin the transitions. AWS and Prefect ids are
//! filtered to placeholders.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Msg, Start, Step, WizardApp, Work};
use super::checks::Problem;
use super::forms::ApplyPhase;
use super::ui;
use super::work::PrefectFailure;
use crate::aws::{AwsContext, AwsError, Identity};
use crate::error::CommandError;
use crate::network::{DiscoveryReport, Egress, SubnetReport, VpcReport};
use crate::ops::progress::ProgressEvent;
use crate::prefect::{PrefectAuth, PrefectClient, PrefectError};
use crate::stack::plan::{Action, Change, Plan, Resource};

pub(super) const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

pub(super) fn draw(app: &WizardApp, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Snapshots one state at both sizes, with ids made stable.
pub(super) fn snap(name: &str, app: &WizardApp) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b(vpc|subnet|sg|rtb|igw|nat)-[0-9a-f]{8,17}\b", "$1-[id]");
    settings.add_filter(r"\b[0-9]{12}\b", "[account]");
    settings.bind(|| {
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(app, w, h));
        }
    });
}

pub(super) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub(super) fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub(super) fn typed(app: &mut WizardApp, text: &str) {
    for c in text.chars() {
        assert!(app.on_key(key(KeyCode::Char(c))).is_none());
    }
}

fn offline_aws() -> AwsContext {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_types::region::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    AwsContext::from_sdk_config(sdk, "us-east-1".into())
}

fn subnet(id: &str, az: &str, cidr: &str, egress: Egress, reason: &str) -> SubnetReport {
    SubnetReport {
        id: id.into(),
        name: Some(format!("{}-{}", egress.as_str(), &az[az.len() - 1..])),
        az: az.into(),
        cidr: cidr.into(),
        available_ips: 251,
        egress,
        reason: reason.into(),
    }
}

pub(super) fn report() -> DiscoveryReport {
    DiscoveryReport {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        vpcs: vec![
            VpcReport {
                id: "vpc-0a1b2c3d4e5f60718".into(),
                name: Some("prod".into()),
                cidr: "10.0.0.0/16".into(),
                is_default: false,
                recommended_subnets: vec![
                    "subnet-0aaa000000000000a".into(),
                    "subnet-0bbb000000000000b".into(),
                ],
                subnets: vec![
                    subnet(
                        "subnet-0aaa000000000000a",
                        "us-east-1a",
                        "10.0.10.0/24",
                        Egress::Nat,
                        "Route table rtb-0123456789abcdef0 sends 0.0.0.0/0 to NAT gateway nat-0123456789abcdef0.",
                    ),
                    subnet(
                        "subnet-0bbb000000000000b",
                        "us-east-1b",
                        "10.0.11.0/24",
                        Egress::Nat,
                        "Route table rtb-0123456789abcdef1 sends 0.0.0.0/0 to NAT gateway nat-0123456789abcdef1.",
                    ),
                    subnet(
                        "subnet-0ccc000000000000c",
                        "us-east-1c",
                        "10.0.12.0/24",
                        Egress::Isolated,
                        "The main route table rtb-0123456789abcdef2 has no default route and the VPC has no endpoints: the worker could not pull its image.",
                    ),
                ],
            },
            VpcReport {
                id: "vpc-0f0e0d0c0b0a09080".into(),
                name: Some("analytics".into()),
                cidr: "10.1.0.0/16".into(),
                is_default: false,
                recommended_subnets: Vec::new(),
                subnets: vec![subnet(
                    "subnet-0ddd000000000000d",
                    "us-east-1a",
                    "10.1.0.0/24",
                    Egress::Isolated,
                    "No default route and no endpoints.",
                )],
            },
        ],
    }
}

fn identity() -> Identity {
    Identity {
        account: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/data-engineer".into(),
        user_id: "AIDAEXAMPLE".into(),
    }
}

fn start() -> WizardApp {
    WizardApp::new(Start {
        aws_profiles: vec!["default".into(), "prod".into()],
        aws_profile: Some("prod".into()),
        region: Some("us-east-1".into()),
        endpoint_url: None,
        saved_profiles: Vec::new(),
    })
}

pub(super) fn at_aws_checked() -> WizardApp {
    let mut app = start();
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Identity(_))), "{work:?}");
    assert!(app.busy.is_some());
    app.on_msg(Msg::Identity(Ok((Box::new(offline_aws()), identity()))));
    app
}

pub(super) fn at_prefect_filled() -> WizardApp {
    let mut app = at_aws_checked();
    assert!(app.on_key(key(KeyCode::Enter)).is_none());
    assert_eq!(app.step, Step::Prefect);
    app.on_key(key(KeyCode::Right)); // self-hosted
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "https://prefect.internal.example.com/api");
    app.on_key(key(KeyCode::Tab)); // credential kind: API key
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "pnu_secretsecretsecret");
    app
}

fn at_prefect_checked() -> WizardApp {
    let mut app = at_prefect_filled();
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::CheckPrefect { .. })), "{work:?}");
    let client = PrefectClient::new(
        "https://prefect.internal.example.com/api",
        PrefectAuth::None,
    )
    .expect("client");
    app.on_msg(Msg::Prefect(Ok(client)));
    app
}

pub(super) fn at_network() -> WizardApp {
    let mut app = at_prefect_checked();
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Discover { .. })), "{work:?}");
    app.on_msg(Msg::Discovered(Ok(report())));
    app
}

pub(super) fn at_worker() -> WizardApp {
    let mut app = at_network();
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Pools(_))), "{work:?}");
    app.on_msg(Msg::Pools(Ok(vec![
        ("ecs-prod".into(), "ecs".into()),
        ("local".into(), "process".into()),
    ])));
    app
}

fn plan() -> Plan {
    let change = |resource, name: &str, action, fields: &[&str]| Change {
        resource,
        name: name.into(),
        action,
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        values: Vec::new(),
    };
    Plan {
        changes: vec![
            change(
                Resource::Secret,
                "prefect-tui/prod/api-key",
                Action::Create,
                &["value"],
            ),
            change(
                Resource::ExecutionRole,
                "prefect-tui-prod-execution",
                Action::Create,
                &[],
            ),
            change(
                Resource::TaskRole,
                "prefect-tui-prod-worker",
                Action::Create,
                &[],
            ),
            change(
                Resource::LogGroup,
                "/ecs/prefect-tui/prod",
                Action::Create,
                &[],
            ),
            change(Resource::Cluster, "prefect-tui-prod", Action::Create, &[]),
            change(
                Resource::SecurityGroup,
                "prefect-tui-prod-worker",
                Action::Create,
                &[],
            ),
            change(
                Resource::TaskDefinition,
                "prefect-tui-prod-worker",
                Action::Create,
                &[],
            ),
            change(
                Resource::Service,
                "prefect-tui-prod-worker",
                Action::Create,
                &[],
            ),
            change(
                Resource::WorkPool,
                "ecs-prod",
                Action::Update,
                &["cluster: set", "network_configuration: set"],
            ),
        ],
        force_new_deployment: false,
    }
}

pub(super) fn at_review() -> WizardApp {
    let mut app = at_worker();
    app.on_key(ctrl('u'));
    typed(&mut app, "prod");
    app.on_key(key(KeyCode::Tab));
    app.on_key(ctrl('n')); // the existing ECS pool
    assert_eq!(app.worker.pool.value, "ecs-prod");
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Prepare { .. })), "{work:?}");
    // The plan itself comes from AWS; here it is set as the runner would show it.
    app.busy = None;
    app.show_plan(&plan(), "123456789012", None);
    app.step = Step::Review;
    app
}

fn event_done(resource: Resource, secs: f64, detail: Option<&str>) -> ProgressEvent {
    ProgressEvent::Done {
        resource,
        action: Action::Create,
        elapsed: std::time::Duration::from_secs_f64(secs),
        detail: detail.map(str::to_owned),
    }
}

pub(super) fn applying(app: &mut WizardApp) {
    app.step = Step::Apply;
    app.busy = Some("Deploying…".into());
    let started = |resource, name: &str| ProgressEvent::Started {
        resource,
        action: Action::Create,
        name: name.into(),
    };
    for event in [
        started(Resource::Secret, "prefect-tui/prod/api-key"),
        event_done(Resource::Secret, 0.4, None),
        started(Resource::ExecutionRole, "prefect-tui-prod-execution"),
        event_done(Resource::ExecutionRole, 1.2, None),
        started(Resource::LogGroup, "/ecs/prefect-tui/prod"),
        event_done(Resource::LogGroup, 0.3, Some("keeps logs 30 days")),
        started(Resource::TaskDefinition, "prefect-tui-prod-worker"),
    ] {
        app.on_msg(Msg::Progress(event));
    }
}

#[test]
fn step_1_aws_before_and_after_the_check() {
    snap("wizard_1_aws_unchecked", &start());
    snap("wizard_1_aws_checked", &at_aws_checked());
}

#[test]
fn step_2_prefect_masked_checked_and_rejected() {
    let app = at_prefect_checked();
    let screen = draw(&app, 120, 40);
    assert!(
        !screen.contains("pnu_secret"),
        "the key is masked:\n{screen}"
    );
    snap("wizard_2_prefect_checked", &app);

    let mut rejected = at_prefect_filled();
    rejected.on_key(key(KeyCode::Enter));
    rejected.on_msg(Msg::Prefect(Err(PrefectFailure::from(
        PrefectError::Rejected {
            url: "https://prefect.internal.example.com/api".into(),
        },
    ))));
    assert!(rejected.problem.is_some());
    snap("wizard_2_prefect_key_rejected", &rejected);

    // Ctrl-R reveals the key on request, and hides it again.
    let mut shown = at_prefect_filled();
    shown.on_key(ctrl('r'));
    assert!(draw(&shown, 120, 40).contains("pnu_secretsecretsecret"));
    shown.on_key(ctrl('r'));
    assert!(!draw(&shown, 120, 40).contains("pnu_secret"));
}

#[test]
fn step_3_network_with_verdicts_and_an_isolated_subnet_refused() {
    let app = at_network();
    assert_eq!(
        app.network.chosen,
        vec!["subnet-0aaa000000000000a", "subnet-0bbb000000000000b"],
        "the recommended subnets are preselected"
    );
    snap("wizard_3_network", &app);

    let mut refused = at_network();
    refused.on_key(key(KeyCode::Down));
    refused.on_key(key(KeyCode::Down));
    refused.on_key(key(KeyCode::Char(' ')));
    assert_eq!(
        refused.network.chosen.len(),
        2,
        "the isolated subnet is not added"
    );
    let problem = refused.problem.clone().expect("refused with a reason");
    assert!(
        problem
            .message
            .contains("subnet-0ccc000000000000c is isolated")
    );
    snap("wizard_3_network_isolated_refused", &refused);
}

#[test]
fn step_3_when_nothing_fits_the_three_networks_are_offered_with_their_cost() {
    let mut app = at_prefect_checked();
    app.on_key(key(KeyCode::Enter));
    let mut nothing = report();
    nothing.vpcs.remove(0);
    app.on_msg(Msg::Discovered(Ok(nothing)));
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("No subnet fits: press n"), "{screen}");
    assert!(
        screen.contains("about $36.50/month"),
        "the NAT shape's cost: {screen}"
    );
    snap("wizard_3_network_nothing_fits", &app);

    // n: the public shape, then nat; Enter goes on without a subnet of the VPCs.
    app.on_key(key(KeyCode::Char('n')));
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.network.create, Some(crate::profile::NetworkShape::Nat));
    snap("wizard_3_network_nat_chosen", &app);
    let answers = app.answers();
    assert_eq!(
        answers.create_network,
        Some(crate::profile::NetworkShape::Nat)
    );
    assert!(answers.vpc_id.is_empty() && answers.subnet_ids.is_empty());
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.step, Step::Worker);
    let (profile, spec) =
        crate::tui::wizard::checks::build_profile(&app.answers()).expect("a valid profile");
    assert_eq!(
        profile.network.create,
        Some(crate::profile::NetworkShape::Nat)
    );
    assert!(spec.owned_network.is_some());

    // Two more: endpoints, then back to the VPCs (and their subnets are chosen again).
    let mut back = at_network();
    for _ in 0..4 {
        back.on_key(key(KeyCode::Char('n')));
    }
    assert_eq!(back.network.create, None);
    assert_eq!(back.answers().subnet_ids.len(), 2);
}

#[test]
fn step_4_worker_offers_valid_sizes_and_existing_pools() {
    let mut app = at_worker();
    for _ in 0..2 {
        app.on_key(key(KeyCode::Tab));
    }
    app.on_key(key(KeyCode::Right)); // cpu 1024
    assert_eq!(app.worker.cpu_value(), 1024);
    assert!(
        crate::stack::fargate::check_size(app.worker.cpu_value(), app.worker.memory_value())
            .is_ok(),
        "memory follows cpu to a valid pair"
    );
    snap("wizard_4_worker", &app);
}

#[test]
fn step_5_review_plan_and_profile_name() {
    let app = at_review();
    assert_eq!(app.review.profile_name.value, "prod");
    snap("wizard_5_review", &app);
}

#[test]
fn step_6_apply_running_failed_and_online() {
    let mut app = at_review();
    applying(&mut app);
    snap("wizard_6_apply_running", &app);

    app.on_msg(Msg::Progress(ProgressEvent::Failed {
        resource: Resource::TaskDefinition,
        error: "ClientException: Fargate requires task definition to have execution role ARN to support log driver awslogs.".into(),
        hint: Some("Check the execution role.".into()),
    }));
    let error = AwsError::Call {
        action: "ecs:RegisterTaskDefinition",
        kind: crate::aws::ErrorKind::Invalid,
        code: Some("ClientException".into()),
        message: Some(
            "Fargate requires task definition to have execution role ARN to support log driver awslogs."
                .into(),
        ),
    };
    app.on_msg(Msg::Applied(Err((
        Problem::from(CommandError::Aws(error)),
        "What exists now:\n  API key secret    prefect-tui/prod/api-key   exists\n  task definition   prefect-tui-prod-worker    not created\n".into(),
    ))));
    assert!(matches!(app.apply.phase, ApplyPhase::Failed { .. }));
    snap("wizard_6_apply_failed", &app);
    let retry = app.on_key(key(KeyCode::Char('r')));
    assert!(
        matches!(
            retry,
            Some(Work::Apply {
                save: None,
                prepared: None,
                ..
            })
        ),
        "r resumes without saving again: {retry:?}"
    );

    let mut online = at_review();
    applying(&mut online);
    online.on_msg(Msg::Progress(event_done(
        Resource::TaskDefinition,
        0.2,
        Some("revision 1"),
    )));
    online.busy = None;
    online.apply.phase = ApplyPhase::Online(vec!["ECSWorker 3f2a".into()]);
    snap("wizard_6_apply_online", &online);
}

#[test]
fn help_on_every_step_and_a_message_when_the_terminal_is_too_small() {
    let mut app = at_network();
    app.on_key(key(KeyCode::Char('?')));
    assert!(app.help);
    snap("wizard_help_network", &app);
    let screen = draw(&start(), 60, 20);
    assert!(screen.contains("too small"), "{screen}");
    assert!(screen.contains("60x20"), "{screen}");
}

#[test]
fn ctrl_c_asks_during_an_apply_and_leaves_at_once_before() {
    let mut app = at_worker();
    app.on_key(ctrl('c'));
    assert_eq!(app.exit, Some(super::app::Exit::Cancelled));

    let mut app = at_review();
    applying(&mut app);
    app.on_key(ctrl('c'));
    assert!(app.confirm_quit && app.exit.is_none());
    app.on_key(key(KeyCode::Char('n')));
    assert!(!app.confirm_quit && app.exit.is_none());
    app.on_key(ctrl('c'));
    app.on_key(key(KeyCode::Char('y')));
    assert_eq!(app.exit, Some(super::app::Exit::LeftDuringApply));
}

#[test]
fn going_back_keeps_values_and_a_changed_region_forgets_the_network() {
    let mut app = at_worker();
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.step, Step::Aws);
    assert_eq!(
        app.prefect.url.value,
        "https://prefect.internal.example.com/api"
    );
    assert!(app.network.report.is_some());
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Backspace));
    typed(&mut app, "2");
    assert_eq!(app.aws.region.value, "us-east-2");
    assert!(
        app.network.report.is_none(),
        "a new region means a new network"
    );
    assert!(app.aws.identity.is_none());
    // Debug never shows the key.
    assert!(!format!("{app:?}").contains("pnu_secret"));
}

#[test]
fn cloud_without_a_url_offers_the_workspaces_the_key_reaches() {
    // Prefect Cloud's account endpoints cannot run locally: the list is what
    // `GET /me/workspaces` returns, given here as the runner would pass it on.
    let mut app = at_aws_checked();
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "pnu_cloudkeycloudkey");
    let work = app.on_key(key(KeyCode::Enter));
    assert!(matches!(work, Some(Work::Workspaces(_))), "{work:?}");
    let workspace = |account: &str, handle: &str, id: &str| crate::prefect::cloud::Workspace {
        account_id: "0c1d2e3f-1111-4222-8333-444455556666".into(),
        account_handle: account.into(),
        workspace_id: id.into(),
        workspace_handle: handle.into(),
    };
    app.on_msg(Msg::Workspaces(Ok(vec![
        workspace(
            "data-team",
            "staging",
            "11111111-aaaa-4bbb-8ccc-dddddddddddd",
        ),
        workspace(
            "data-team",
            "production",
            "9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd",
        ),
    ])));
    app.on_key(key(KeyCode::Down));
    snap("wizard_2_prefect_cloud_workspaces", &app);
    let work = app.on_key(key(KeyCode::Enter));
    match work {
        Some(Work::CheckPrefect { api_url, .. }) => assert_eq!(
            api_url,
            "https://api.prefect.cloud/api/accounts/0c1d2e3f-1111-4222-8333-444455556666/workspaces/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd"
        ),
        other => panic!("the chosen workspace is checked: {other:?}"),
    }
}
