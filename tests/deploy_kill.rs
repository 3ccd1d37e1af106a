//! SIGKILL at every step of the deploy's dependency graph, in turn. A stack goes through
//! a cycle per step: a deploy is killed the moment it reports that step started, a second
//! deploy must finish, make exactly one of everything and leave a plan with no change, and
//! destroy must leave nothing. The steps are read from a full deploy's own progress, so a
//! step added to the graph is killed too. Three stacks take the steps in turn, side by
//! side (`LANES`): each stack's cycles stay in order, and stacks share nothing but the
//! emulators.
//!
//! The stack has alarms and scaling, so the topic, its subscription, the alarms, the crash
//! rule, the log filter and the scaling are steps too (one topic and three alarms after
//! each resume), and it makes its own network (create = "nat", the shape with the most parts), so the
//! network's steps (VPC, subnets, internet gateway, NAT gateway and its address, route
//! tables) are killed too, and the security group is made in a VPC the run itself made.
//! The existing-VPC path differs only in having no network steps.
//!
//! Every AWS and Prefect call goes through a relay that holds requests and responses for a
//! moment. Half the kills land at once (the request is still in the relay: AWS never saw
//! it), half a little later (AWS carried the request out, the program never saw the
//! answer), which is the harder case for a resume: the resource exists, unannounced.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_ecs::types::TaskDefinitionStatus;
use common::stack::{Clients, assert_nothing_tagged, text};
use serde_json::Value;

const REGION: &str = "us-east-2";
const HOLD: Duration = Duration::from_millis(150);

/// Every resource of the graph, by the name progress lines use.
const STEPS: [&str; 24] = [
    "vpc",
    "subnets",
    "internet_gateway",
    "nat_gateway",
    "route_tables",
    "secret",
    "execution_role",
    "task_role",
    "log_group",
    "cluster",
    "security_group",
    "events_dead_letter_queue",
    "events_queue",
    "event_rule",
    "task_definition",
    "service",
    "alerts_topic",
    "email_subscriptions",
    "alarms",
    "crash_rule",
    "log_error_filter",
    "scalable_target",
    "scaling_policy",
    "work_pool",
];

struct Cycle<'a> {
    moto: &'a str,
    relay: &'a str,
    profile: &'a str,
    auth: &'a str,
}

impl Cycle<'_> {
    /// Runs deploy through the relay and kills it `after` the line starting with `marker`
    /// appears. Returns the lines seen; fails if the deploy finished first.
    fn deploy_and_kill(&self, marker: &str, after: Duration) -> Vec<String> {
        let mut child = common::raw_program(self.relay, REGION)
            .env("PREFECT_API_AUTH_STRING", self.auth)
            .args(["deploy", "--profile", self.profile, "--yes", "--no-wait"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let hit = line.starts_with(marker);
            seen.push(line);
            if hit {
                std::thread::sleep(after);
                child.kill().expect("SIGKILL");
                break;
            }
        }
        let status = child.wait().expect("wait");
        assert!(
            !status.success(),
            "killed before finishing at {marker:?}; saw {seen:#?}"
        );
        // A request the killed run had sent is still held in the relay, and the relay
        // carries it out: let it land before the resume reads the stack (which goes to
        // moto directly), as on AWS it lands long before a person runs deploy again.
        // Without this the resume could read the VPCs before the killed run's CreateVpc
        // arrived and make a second one.
        std::thread::sleep(HOLD * 2 + Duration::from_millis(250));
        seen
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = common::program_against(self.moto, REGION);
        cmd.args(args).env("PREFECT_API_AUTH_STRING", self.auth);
        cmd.output().expect("runs")
    }
}

/// Exactly one of each resource of `stack`: a resume that made a second one is a leak.
async fn assert_exactly_one_of_each(aws: &Clients, stack: &str, when: &str) {
    let secrets = aws
        .secrets
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
                .values(format!("prefect-tui/{stack}/api-key"))
                .build(),
        )
        .send()
        .await
        .expect("secrets");
    assert_eq!(secrets.secret_list().len(), 1, "{when}: one secret");
    let queues = aws
        .sqs
        .list_queues()
        .queue_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("queues");
    assert_eq!(
        queues.queue_urls().len(),
        2,
        "{when}: the observer's queue and its dead-letter queue: {queues:?}"
    );
    assert_eq!(
        aws.worker_security_groups(stack).await.len(),
        1,
        "{when}: one security group"
    );
    let tds = aws
        .task_definition_arns(stack, TaskDefinitionStatus::Active)
        .await;
    assert_eq!(
        tds.len(),
        1,
        "{when}: one task definition revision: {tds:?}"
    );
    let services = aws
        .ecs
        .describe_services()
        .cluster(format!("prefect-tui-{stack}"))
        .services(format!("prefect-tui-{stack}-worker"))
        .send()
        .await
        .expect("services");
    assert_eq!(
        services
            .services()
            .iter()
            .filter(|s| s.status() == Some("ACTIVE"))
            .count(),
        1,
        "{when}: one service"
    );
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/ecs/prefect-tui/{stack}"))
        .send()
        .await
        .expect("groups");
    assert_eq!(groups.log_groups().len(), 1, "{when}: one log group");
    assert_one_network(aws, stack, when).await;
    let topic = format!(":prefect-tui-{stack}-alerts");
    let topics = aws.sns.list_topics().send().await.expect("topics");
    let topic_arn = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .filter(|a| a.ends_with(&topic))
        .collect::<Vec<_>>();
    assert_eq!(topic_arn.len(), 1, "{when}: one alerts topic");
    let subs = aws
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn[0])
        .send()
        .await
        .expect("subscriptions");
    assert_eq!(
        subs.subscriptions().len(),
        1,
        "{when}: one e-mail subscription"
    );
    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("alarms");
    assert_eq!(alarms.metric_alarms().len(), 3, "{when}: three alarms");
    for role in ["execution", "worker"] {
        aws.iam
            .get_role()
            .role_name(format!("prefect-tui-{stack}-{role}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{when}: role {role} exists: {e}"));
    }
}

/// One of each part of the NAT network: a resume that made a second VPC, gateway or
/// address is a leak (and a cost).
async fn assert_one_network(aws: &Clients, stack: &str, when: &str) {
    let tag = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:prefect-tui:stack")
            .values(stack)
            .build()
    };
    let ec2 = &aws.ec2;
    let vpcs = ec2
        .describe_vpcs()
        .filters(tag())
        .send()
        .await
        .expect("vpcs");
    assert_eq!(vpcs.vpcs().len(), 1, "{when}: one VPC");
    let subnets = ec2
        .describe_subnets()
        .filters(tag())
        .send()
        .await
        .expect("subnets");
    assert_eq!(subnets.subnets().len(), 4, "{when}: four subnets");
    let igws = ec2
        .describe_internet_gateways()
        .filters(tag())
        .send()
        .await
        .expect("igws");
    assert_eq!(
        igws.internet_gateways().len(),
        1,
        "{when}: one internet gateway"
    );
    let eips = ec2
        .describe_addresses()
        .filters(tag())
        .send()
        .await
        .expect("eips");
    assert_eq!(eips.addresses().len(), 1, "{when}: one elastic IP");
    let tables = ec2
        .describe_route_tables()
        .filters(tag())
        .send()
        .await
        .expect("tables");
    assert_eq!(tables.route_tables().len(), 2, "{when}: two route tables");
    let nats = ec2.describe_nat_gateways().send().await.expect("nats");
    let live = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.tags().iter().any(|t| t.value() == Some(stack)))
        .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
        .count();
    assert_eq!(live, 1, "{when}: one NAT gateway");
}

/// Stacks killed side by side: each lane is its own stack and takes every LANES-th step.
/// Most of a cycle is waiting on the relay's holds, so lanes share two cores well.
const LANES: usize = 3;

/// A deploy profile for `stack`, with a new work pool per cycle, so the pool's creation is
/// a step every time (destroy leaves Prefect's pools alone).
fn write_profile(dir: &std::path::Path, stack: &str, prefect_relay: &str, cycle: usize) -> String {
    let text = format!(
        "stack = \"{stack}\"\n\n[aws]\nregion = \"{REGION}\"\n\n[prefect]\n\
         api_url = \"{prefect_relay}/api\"\nwork_pool = \"ecs-{stack}-{cycle}\"\n\
         credential = \"auth-string\"\n\n[network]\ncreate = \"nat\"\n\n\
         [notifications]\nemails = [\"oncall@example.com\"]\n\n[alarms]\n\n\
         [scaling]\nmin = 1\nmax = 2\n"
    );
    let path = dir.join(format!("{stack}.toml"));
    std::fs::write(&path, text).expect("profile written");
    path.to_string_lossy().into_owned()
}

/// What a lane needs, owned, so it can run on its own thread.
struct Lane {
    moto: String,
    relay: String,
    prefect_relay: String,
    auth: String,
    stack: String,
    dir: std::path::PathBuf,
    /// (index of the step among all steps, its marker)
    steps: Vec<(usize, String)>,
}

impl Lane {
    /// Kills a deploy at each of the lane's steps in turn; after each, a deploy finishes,
    /// the plan is empty, there is one of everything, and destroy leaves nothing.
    fn run(self) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let aws = Clients::new(&self.moto, REGION);
        let stack = &self.stack;
        for (i, marker) in &self.steps {
            let profile = write_profile(&self.dir, stack, &self.prefect_relay, i + 1);
            let cycle = Cycle {
                moto: &self.moto,
                relay: &self.relay,
                profile: &profile,
                auth: &self.auth,
            };
            // "creating   secret": the progress pads the verb to ten columns.
            let (verb, resource) = marker.split_once(' ').expect("verb and resource");
            let line_start = format!("{verb:<10} {resource}");
            let after = if i % 2 == 0 {
                Duration::ZERO
            } else {
                HOLD + HOLD / 2
            };
            let when = format!("after a kill at {line_start:?} (+{}ms)", after.as_millis());
            let seen = cycle.deploy_and_kill(&line_start, after);

            let out = cycle.run(&["deploy", "--profile", &profile, "--yes", "--no-wait"]);
            assert!(
                out.status.success(),
                "{when}: the next deploy finishes\nkilled run saw: {seen:#?}\n{}",
                text(&out)
            );
            let out = cycle.run(&["plan", "--profile", &profile, "--output", "json"]);
            let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
            assert!(
                plan["changes"]
                    .as_array()
                    .is_some_and(|c| c.iter().all(|c| c["action"] == "noop")),
                "{when}: converged\n{plan:#}"
            );
            rt.block_on(assert_exactly_one_of_each(&aws, stack, &when));

            let out = cycle.run(&[
                "destroy",
                "--profile",
                &profile,
                "--yes",
                "--force-delete-secret",
            ]);
            assert!(out.status.success(), "{when}: destroy\n{}", text(&out));
            rt.block_on(assert_nothing_tagged(&aws, stack));
            eprintln!(
                "{stack}: killed at {line_start:?} (+{}ms): resumed, converged, destroyed",
                after.as_millis()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_killed_at_every_step_resumes_converges_and_destroys_cleanly() {
    let Some(moto) = common::moto() else { return };
    let Some(prefect) = common::emulator("PREFECT_TUI_TEST_PREFECT_API_URL") else {
        return;
    };
    let Some(auth) = common::emulator("PREFECT_TUI_TEST_PREFECT_AUTH_STRING") else {
        return;
    };
    // The relays run on this test's runtime; the lanes block on their own threads.
    let aws_relay = common::slow_proxy::start_both_ways(&moto, HOLD, HOLD).await;
    let prefect_base = prefect.trim_end_matches("/api");
    let prefect_relay = common::slow_proxy::start_both_ways(prefect_base, HOLD, HOLD).await;
    let aws = Clients::new(&moto, REGION);
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = common::unique("kill");

    // The steps as deploy reports them, from one deploy that runs to the end.
    let profile = write_profile(dir.path(), &stack, &prefect_relay, 0);
    let cycle = Cycle {
        moto: &moto,
        relay: &aws_relay,
        profile: &profile,
        auth: &auth,
    };
    let out = common::raw_program(&aws_relay, REGION)
        .env("PREFECT_API_AUTH_STRING", &auth)
        .args(["deploy", "--profile", &profile, "--yes", "--no-wait"])
        .output()
        .expect("deploy");
    let full = text(&out);
    assert!(out.status.success(), "{full}");
    let markers: Vec<String> = full
        .lines()
        .filter(|l| l.starts_with("creating ") || l.starts_with("updating "))
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .fold(Vec::new(), |mut all, m| {
            if !all.contains(&m) {
                all.push(m);
            }
            all
        });
    for step in STEPS {
        assert!(
            markers.iter().any(|m| m.ends_with(&format!(" {step}"))),
            "deploy reports the step {step}: {markers:?}\n{full}"
        );
    }
    let out = cycle.run(&[
        "destroy",
        "--profile",
        &profile,
        "--yes",
        "--force-delete-secret",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_nothing_tagged(&aws, &stack).await;

    let lanes: Vec<_> = (0..LANES)
        .map(|lane| Lane {
            moto: moto.clone(),
            relay: aws_relay.clone(),
            prefect_relay: prefect_relay.clone(),
            auth: auth.clone(),
            stack: format!("{stack}-{lane}"),
            dir: dir.path().to_path_buf(),
            steps: markers
                .iter()
                .cloned()
                .enumerate()
                .filter(|(i, _)| i % LANES == lane)
                .collect(),
        })
        .map(|lane| tokio::task::spawn_blocking(move || lane.run()))
        .collect();
    for lane in lanes {
        if let Err(e) = lane.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
