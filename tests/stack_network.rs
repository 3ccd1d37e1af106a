//! The stack's own network (`create` under [network]), one test per shape, against the
//! emulators with the stand-in for Fargate: the deploy makes the network and a real worker
//! comes online in it, a second plan is empty, `discover` judges the new subnets as the
//! shape promised, the range chosen overlaps none of the account's VPCs, and destroy
//! leaves nothing of it. The stand-in decides whether a task can start from its subnet's
//! routes and endpoints (scripts/standin/network.py), so a shape that did not deliver what
//! it promised would keep its worker from starting.

mod common;

use common::StandIn as Harness;
use common::stack::{Clients, assert_no_network_of, assert_nothing_tagged, run, text};

fn profile(h: &Harness, dir: &std::path::Path, stack: &str, network: &str, worker: &str) -> String {
    profile_for(h, &h.prefect, dir, stack, network, worker)
}

/// A profile whose workers talk to `prefect`: the harness's server stands for one on the
/// internet; its in-VPC address (the stand-in's relay) for one inside the VPC.
fn profile_for(
    h: &Harness,
    prefect: &str,
    dir: &std::path::Path,
    stack: &str,
    network: &str,
    worker: &str,
) -> String {
    let text = format!(
        "stack = \"{stack}\"\n\n[aws]\nregion = \"{}\"\n\n[prefect]\napi_url = \"{prefect}\"\n\
         work_pool = \"ecs-{stack}\"\ncredential = \"auth-string\"\n\n[network]\n{network}\n\
         {worker}",
        h.region
    );
    let path = dir.join(format!("{stack}.toml"));
    std::fs::write(&path, text).expect("profile written");
    path.to_string_lossy().into_owned()
}

fn with_auth(h: &Harness, args: &[&str]) -> std::process::Output {
    let mut cmd = common::program_against(&h.moto, &h.region);
    cmd.args(args).env("PREFECT_API_AUTH_STRING", &h.auth);
    cmd.output().expect("prefect-tui runs")
}

/// `10.100.0.0/16` as (first address, last address).
fn range(cidr: &str) -> (u32, u32) {
    let (addr, prefix) = cidr.split_once('/').expect("a CIDR");
    let addr: std::net::Ipv4Addr = addr.parse().expect("an IPv4 address");
    let prefix: u32 = prefix.parse().expect("a prefix");
    let first = u32::from(addr);
    (first, first | (u32::MAX >> prefix))
}

async fn vpc_ranges(aws: &Clients) -> Vec<(String, String)> {
    let vpcs = aws.ec2.describe_vpcs().send().await.expect("vpcs");
    vpcs.vpcs()
        .iter()
        .map(|v| {
            (
                v.vpc_id().unwrap_or_default().to_owned(),
                v.cidr_block().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn the_stacks_vpc(aws: &Clients, stack: &str) -> (String, String) {
    let vpcs = aws
        .ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:prefect-tui:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .expect("vpcs");
    assert_eq!(vpcs.vpcs().len(), 1, "one VPC of {stack}: {vpcs:?}");
    let v = &vpcs.vpcs()[0];
    (
        v.vpc_id().unwrap_or_default().to_owned(),
        v.cidr_block().unwrap_or_default().to_owned(),
    )
}

/// Deploys a profile making `shape`, checks it end to end (a flow run Completed in it),
/// destroys it. `prefect` is the Prefect API the workers use (the harness's by default).
async fn shape_round_trip(
    shape: &str,
    worker: &str,
    egress: &[(&str, &str)],
    prefect: Option<&str>,
) {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique(&format!("net-{shape}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = profile_for(
        &h,
        prefect.unwrap_or(&h.prefect),
        dir.path(),
        &stack,
        &format!("create = \"{shape}\""),
        worker,
    );
    let before = vpc_ranges(&aws).await;

    let plan = with_auth(&h, &["plan", "--profile", &profile]);
    let planned = text(&plan);
    assert!(plan.status.success(), "{planned}");
    for row in [
        "create   vpc ",
        "create   subnets ",
        "create   route_tables ",
    ] {
        assert!(planned.contains(row), "the plan shows {row:?}: {planned}");
    }
    assert!(
        planned.contains("cost: about $") && planned.contains("/month"),
        "the plan says the network's monthly cost: {planned}"
    );
    assert_no_network_of(&aws, &stack).await;

    let out = with_auth(
        &h,
        &[
            "deploy",
            "--profile",
            &profile,
            "--yes",
            "--gate-timeout",
            "150",
        ],
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(output.contains("Worker online:"), "{output}");

    // The range overlaps none of the VPCs that were there before.
    let (vpc, cidr) = the_stacks_vpc(&aws, &stack).await;
    let (lo, hi) = range(&cidr);
    for (other, theirs) in before.iter().filter(|(id, _)| id != &vpc) {
        let (a, b) = range(theirs);
        assert!(
            hi < a || b < lo,
            "{cidr} of {stack} overlaps {other} ({theirs})"
        );
    }

    let again = with_auth(&h, &["plan", "--profile", &profile]);
    let again_text = text(&again);
    assert!(again.status.success(), "{again_text}");
    assert!(
        again_text.contains("0 to create, 0 to update, 0 to replace"),
        "a second plan is empty: {again_text}"
    );

    // Discovery says of each subnet what the shape promised.
    let report = common::discover_json(&h.moto, &h.region, Some(&vpc));
    let subnets = report["vpcs"][0]["subnets"].as_array().expect("subnets");
    assert_eq!(subnets.len(), egress.len(), "{report:#}");
    for (role, want) in egress {
        let name = format!("prefect-tui-{stack}-{role}");
        let s = subnets
            .iter()
            .find(|s| s["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} in {report:#}"));
        assert_eq!(s["egress"], *want, "{name}: {s:#}");
    }
    let zones: std::collections::BTreeSet<&str> =
        subnets.iter().filter_map(|s| s["az"].as_str()).collect();
    assert_eq!(zones.len(), 2, "two zones: {report:#}");

    // A worker online is not a worker that can start flow runs: what it calls then (ECS,
    // EC2, SQS) must be reachable from its subnets too, as the stand-in decides from their
    // routes and endpoints (scripts/standin/reach.py).
    let out = with_auth(
        &h,
        &[
            "verify",
            "--profile",
            &profile,
            "--output",
            "json",
            "--timeout",
            "240",
        ],
    );
    let verified: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(
        verified["final_state"],
        "Completed",
        "a flow run completes in the {shape} network: {}",
        text(&out)
    );

    let out = with_auth(
        &h,
        &[
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ],
    );
    let destroyed = text(&out);
    assert!(out.status.success(), "{destroyed}");
    assert!(destroyed.contains("deleted    vpc "), "{destroyed}");
    assert_nothing_tagged(&aws, &stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_network_runs_a_worker_with_a_public_ip_and_is_destroyed_with_the_stack() {
    shape_round_trip(
        "public",
        "",
        &[("public-a", "public"), ("public-b", "public")],
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nat_network_runs_the_worker_in_private_subnets_behind_one_nat_gateway() {
    shape_round_trip(
        "nat",
        "",
        &[
            ("public-a", "public"),
            ("public-b", "public"),
            ("private-a", "nat"),
            ("private-b", "nat"),
        ],
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoints_network_runs_a_flow_run_from_an_ecr_image_without_internet() {
    let Some(h) = common::stand_in() else { return };
    let image = format!(
        "[worker]\nimage = \"123456789012.dkr.ecr.{}.amazonaws.com/prefect-aws:3-python3.12\"\n",
        h.region
    );
    // No internet: the workers reach Prefect only if it is inside the VPC.
    let Some(in_vpc) = common::emulator("PREFECT_TUI_TEST_PREFECT_IN_VPC_API_URL") else {
        return;
    };
    shape_round_trip(
        "endpoints",
        &image,
        &[("private-a", "endpoints"), ("private-b", "endpoints")],
        Some(&in_vpc),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_that_clashes_or_an_image_that_cannot_be_pulled_is_exit_2_and_makes_nothing() {
    let Some(moto) = common::moto() else { return };
    let region = "ap-southeast-2";
    let net = common::layouts::Net::new(&moto, region);
    let taken = net.vpc("10.77.0.0/16", "someone-elses").await;
    let aws = Clients::new(&moto, region);
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = common::unique("net-clash");
    let write = |network: &str, worker: &str| {
        let text = format!(
            "stack = \"{stack}\"\n\n[aws]\nregion = \"{region}\"\n\n[prefect]\n\
             api_url = \"http://prefect.internal:4200/api\"\nwork_pool = \"p\"\n\
             credential = \"none\"\n\n[network]\n{network}\n{worker}"
        );
        let path = dir.path().join(format!("{stack}.toml"));
        std::fs::write(&path, text).expect("profile");
        path.to_string_lossy().into_owned()
    };

    let clash = write("create = \"public\"\ncidr = \"10.77.128.0/17\"", "");
    for command in [&["plan"][..], &["deploy", "--yes"][..]] {
        let out = run(
            &moto,
            region,
            &[command, &["--profile", &clash]].concat(),
            None,
        );
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {said}");
        assert!(
            said.contains(&format!("overlaps {taken} (10.77.0.0/16)")),
            "{command:?} names the VPC it clashes with: {said}"
        );
    }

    let dockerhub = write("create = \"endpoints\"", "");
    let out = run(&moto, region, &["plan", "--profile", &dockerhub], None);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("cannot be pulled without internet") && said.contains("worker.image"),
        "{said}"
    );

    let both = write("create = \"nat\"\nvpc_id = \"vpc-0abc\"", "");
    let out = run(&moto, region, &["plan", "--profile", &both], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("network.create"), "{}", text(&out));

    assert_no_network_of(&aws, &stack).await;
}

/// The stack's NAT gateways, by tag, with their state.
async fn nat_gateways_of(aws: &Clients, stack: &str) -> Vec<(String, String)> {
    let out = aws
        .ec2
        .describe_nat_gateways()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:prefect-tui:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .expect("NAT gateways");
    out.nat_gateways()
        .iter()
        .map(|n| {
            (
                n.nat_gateway_id().unwrap_or_default().to_owned(),
                n.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Where the stack's private route table sends 0.0.0.0/0, and the route's state.
async fn private_default_route(aws: &Clients, stack: &str) -> (String, String) {
    let tables = aws
        .ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:Name")
                .values(format!("prefect-tui-{stack}-private"))
                .build(),
        )
        .send()
        .await
        .expect("route tables");
    let table = tables.route_tables().first().expect("the private table");
    let route = table
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .expect("a default route");
    (
        route.nat_gateway_id().unwrap_or_default().to_owned(),
        route
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
    )
}

/// A NAT gateway deleted by hand leaves the private route a blackhole: the plan shows both,
/// and deploy makes a new gateway and points the route at it with ReplaceRoute (AWS refuses
/// CreateRoute over an existing route with RouteAlreadyExists, and so does the stand-in).
#[tokio::test(flavor = "multi_thread")]
async fn a_nat_gateway_deleted_by_hand_is_replaced_and_the_route_follows_it() {
    let Some(h) = common::stand_in() else { return };
    let aws = Clients::new(&h.moto, &h.region);
    let stack = common::unique("net-repair");
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = profile(&h, dir.path(), &stack, "create = \"nat\"", "");
    let deploy = |what: &str| {
        let out = with_auth(
            &h,
            &[
                "deploy",
                "--profile",
                &profile,
                "--yes",
                "--gate-timeout",
                "150",
            ],
        );
        assert!(out.status.success(), "{what}: {}", text(&out));
    };
    deploy("first deploy");
    // The gateway the private route uses (a tag filter on NAT gateways is not honoured by
    // every emulator, so the route is asked).
    let (old, _) = private_default_route(&aws, &stack).await;
    assert!(old.starts_with("nat-"), "{old}");
    aws.ec2
        .delete_nat_gateway()
        .nat_gateway_id(&old)
        .send()
        .await
        .expect("deleted by hand");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while nat_gateways_of(&aws, &stack)
        .await
        .iter()
        .any(|(id, state)| id == &old && state != "deleted")
    {
        assert!(std::time::Instant::now() < deadline, "{old} never went");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let (target, state) = private_default_route(&aws, &stack).await;
    assert_eq!(
        (target.as_str(), state.as_str()),
        (old.as_str(), "blackhole")
    );

    let plan = with_auth(&h, &["plan", "--profile", &profile, "--output", "json"]);
    assert!(plan.status.success(), "{}", text(&plan));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    let action = |resource: &str| {
        plan["changes"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["resource"] == resource))
            .map(|c| c["action"].clone())
            .unwrap_or_default()
    };
    assert_eq!(action("nat_gateway"), "create", "{plan:#}");
    assert_eq!(action("route_tables"), "update", "{plan:#}");

    deploy("the repairing deploy");
    let (target, state) = private_default_route(&aws, &stack).await;
    assert_ne!(target, old, "the route follows the new gateway");
    assert!(target.starts_with("nat-"), "{target}");
    assert_eq!(state, "active");
    let again = with_auth(&h, &["plan", "--profile", &profile]);
    assert!(
        text(&again).contains("0 to create, 0 to update, 0 to replace"),
        "{}",
        text(&again)
    );

    let out = with_auth(
        &h,
        &[
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_nothing_tagged(&aws, &stack).await;
}
