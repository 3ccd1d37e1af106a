//! `discover --output json` against network layouts built in the emulated EC2: one per
//! verdict, and the tricky ones. Each layout lives in its own VPC and is read back with
//! `--vpc`, so tests running side by side never see each other's VPCs.

mod common;

use common::layouts::Net;
use serde_json::Value;

const REGION: &str = "eu-west-1";

fn subnet<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["vpcs"][0]["subnets"]
        .as_array()
        .and_then(|subnets| subnets.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("subnet {id} missing from {report:#}"))
}

fn assert_verdict(report: &Value, id: &str, egress: &str, reason_mentions: &[&str]) {
    let s = subnet(report, id);
    assert_eq!(s["egress"], egress, "subnet {id}: {s:#}");
    let reason = s["reason"].as_str().unwrap_or_default();
    for needle in reason_mentions {
        assert!(
            reason.contains(needle),
            "reason of {id} should mention {needle:?}: {reason}"
        );
    }
}

fn recommended(report: &Value) -> Vec<String> {
    report["vpcs"][0]["recommended_subnets"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn public_subnet_through_the_main_table() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.10.0.0/16", "public-only").await;
    let a = net.subnet(&vpc, "10.10.1.0/24", 'a', "public-a").await;
    let b = net.subnet(&vpc, "10.10.2.0/24", 'b', "public-b").await;
    let igw = net.internet_gateway(&vpc).await;
    let main = net.main_route_table(&vpc).await;
    net.default_route_to_gateway(&main, &igw).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_eq!(report["account"], "123456789012");
    assert_eq!(report["region"], REGION);
    let v = &report["vpcs"][0];
    assert_eq!(v["id"], vpc.as_str());
    assert_eq!(v["name"], "public-only");
    assert_eq!(v["cidr"], "10.10.0.0/16");
    assert_eq!(v["is_default"], false);
    let s = subnet(&report, &a);
    assert_eq!(s["name"], "public-a");
    assert_eq!(s["az"], "eu-west-1a");
    assert_eq!(s["cidr"], "10.10.1.0/24");
    assert!(s["available_ips"].as_i64().unwrap_or(0) > 200, "{s}");
    for id in [&a, &b] {
        assert_verdict(
            &report,
            id,
            "public",
            &[&format!("main route table {main}"), &igw],
        );
    }
    assert_eq!(recommended(&report), vec![a, b]);
}

#[tokio::test]
async fn private_subnets_behind_nat_are_preferred_to_public_ones() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.11.0.0/16", "nat").await;
    let pub_a = net.subnet(&vpc, "10.11.1.0/24", 'a', "public-a").await;
    let pub_b = net.subnet(&vpc, "10.11.2.0/24", 'b', "public-b").await;
    let priv_a = net.subnet(&vpc, "10.11.11.0/24", 'a', "private-a").await;
    let priv_b = net.subnet(&vpc, "10.11.12.0/24", 'b', "private-b").await;
    let igw = net.internet_gateway(&vpc).await;
    let public_rtb = net.route_table(&vpc, &[&pub_a, &pub_b]).await;
    net.default_route_to_gateway(&public_rtb, &igw).await;
    let nat = net.nat_gateway(&pub_a).await;
    let main = net.main_route_table(&vpc).await;
    net.default_route_to_nat(&main, &nat).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_verdict(
        &report,
        &pub_a,
        "public",
        &["explicitly associated", &public_rtb],
    );
    assert_verdict(
        &report,
        &priv_a,
        "nat",
        &[&format!("main route table {main}"), &nat],
    );
    assert_verdict(&report, &priv_b, "nat", &[&nat]);
    assert_eq!(recommended(&report), vec![priv_a, priv_b]);
}

#[tokio::test]
async fn explicit_association_overrides_the_main_table() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.12.0.0/16", "override").await;
    let follows_main = net.subnet(&vpc, "10.12.1.0/24", 'a', "follows-main").await;
    let overridden = net.subnet(&vpc, "10.12.2.0/24", 'b', "overridden").await;
    let igw = net.internet_gateway(&vpc).await;
    let main = net.main_route_table(&vpc).await;
    net.default_route_to_gateway(&main, &igw).await;
    let closed = net.route_table(&vpc, &[&overridden]).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_verdict(&report, &follows_main, "public", &[&main]);
    assert_verdict(
        &report,
        &overridden,
        "isolated",
        &[
            &format!("Route table {closed} (explicitly associated)"),
            "no default route",
        ],
    );
    assert_eq!(recommended(&report), vec![follows_main]);
}

#[tokio::test]
async fn nat_in_one_zone_only_leaves_the_other_zone_isolated() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.13.0.0/16", "nat-one-zone").await;
    let pub_a = net.subnet(&vpc, "10.13.1.0/24", 'a', "public-a").await;
    let pub_b = net.subnet(&vpc, "10.13.2.0/24", 'b', "public-b").await;
    let priv_a = net.subnet(&vpc, "10.13.11.0/24", 'a', "private-a").await;
    let priv_b = net.subnet(&vpc, "10.13.12.0/24", 'b', "private-b").await;
    let igw = net.internet_gateway(&vpc).await;
    let public_rtb = net.route_table(&vpc, &[&pub_a, &pub_b]).await;
    net.default_route_to_gateway(&public_rtb, &igw).await;
    let nat = net.nat_gateway(&pub_a).await;
    let rtb_a = net.route_table(&vpc, &[&priv_a]).await;
    net.default_route_to_nat(&rtb_a, &nat).await;
    let rtb_b = net.route_table(&vpc, &[&priv_b]).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_verdict(&report, &priv_a, "nat", &[&rtb_a, &nat]);
    assert_verdict(&report, &priv_b, "isolated", &[&rtb_b, "no default route"]);
    // The NAT subnets span one zone only, the public ones two: spread wins.
    assert_eq!(recommended(&report), vec![pub_a, pub_b]);
}

#[tokio::test]
async fn complete_vpc_endpoints_reach_aws_but_not_the_internet() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.14.0.0/16", "endpoints").await;
    let a = net.subnet(&vpc, "10.14.1.0/24", 'a', "private-a").await;
    let b = net.subnet(&vpc, "10.14.2.0/24", 'b', "private-b").await;
    let main = net.main_route_table(&vpc).await;
    net.worker_endpoints(&vpc, &[&a, &b], &[&main], None).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    for id in [&a, &b] {
        assert_verdict(
            &report,
            id,
            "endpoints",
            &["no default route", "Prefect Cloud"],
        );
    }
    assert_eq!(recommended(&report), vec![a, b]);
}

#[tokio::test]
async fn endpoints_with_one_required_service_missing_are_isolated() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.15.0.0/16", "endpoints-incomplete").await;
    let a = net.subnet(&vpc, "10.15.1.0/24", 'a', "private-a").await;
    let main = net.main_route_table(&vpc).await;
    net.worker_endpoints(&vpc, &[&a], &[&main], Some("secretsmanager"))
        .await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_verdict(
        &report,
        &a,
        "isolated",
        &["incomplete", "missing secretsmanager"],
    );
    assert!(recommended(&report).is_empty());
}

#[tokio::test]
async fn isolated_subnet_says_what_to_do() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.16.0.0/16", "isolated").await;
    let a = net.subnet(&vpc, "10.16.1.0/24", 'a', "nothing").await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    assert_verdict(
        &report,
        &a,
        "isolated",
        &["no default route", "Pick a subnet marked nat or public"],
    );
    assert!(recommended(&report).is_empty());
}

#[tokio::test]
async fn default_route_to_a_deleted_nat_gateway_is_not_egress() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.17.0.0/16", "blackhole").await;
    let public = net.subnet(&vpc, "10.17.1.0/24", 'a', "public").await;
    let private = net.subnet(&vpc, "10.17.11.0/24", 'a', "private").await;
    let igw = net.internet_gateway(&vpc).await;
    let public_rtb = net.route_table(&vpc, &[&public]).await;
    net.default_route_to_gateway(&public_rtb, &igw).await;
    let nat = net.nat_gateway(&public).await;
    let private_rtb = net.route_table(&vpc, &[&private]).await;
    net.default_route_to_nat(&private_rtb, &nat).await;
    net.delete_nat_gateway(&nat).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    // AWS keeps a deleted NAT gateway `deleting` for a while, then reports the route as
    // `blackhole` (the stand-in does both); either way the verdict is isolated and the
    // reason names it.
    let s = subnet(&report, &private);
    assert_eq!(s["egress"], "isolated", "{s:#}");
    let reason = s["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&nat), "{reason}");
    assert!(
        reason.contains("blackhole") || reason.contains("deleted") || reason.contains("deleting"),
        "{reason}"
    );
}

#[tokio::test]
async fn detached_internet_gateway_is_not_egress() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.18.0.0/16", "detached").await;
    let a = net.subnet(&vpc, "10.18.1.0/24", 'a', "was-public").await;
    let igw = net.internet_gateway(&vpc).await;
    let main = net.main_route_table(&vpc).await;
    net.default_route_to_gateway(&main, &igw).await;
    net.detach_internet_gateway(&igw, &vpc).await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    // AWS marks the route `blackhole` once the gateway is detached, and so does the
    // stand-in (scripts/standin/ec2_rules.py); plain moto keeps it active, and the verdict
    // then reads the gateway's attachment. Either way: isolated, naming the gateway.
    assert_verdict(&report, &a, "isolated", &[&igw]);
    let reason = subnet(&report, &a)["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains("blackhole") || reason.contains("not attached to this VPC"),
        "{reason}"
    );
}

#[tokio::test]
async fn vpc_without_subnets_is_listed_with_nothing_to_recommend() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, REGION);
    let vpc = net.vpc("10.19.0.0/16", "empty").await;

    let report = common::discover_json(&moto, REGION, Some(&vpc));
    let v = &report["vpcs"][0];
    assert_eq!(v["id"], vpc.as_str());
    assert_eq!(v["subnets"], serde_json::json!([]));
    assert_eq!(v["recommended_subnets"], serde_json::json!([]));
}

#[tokio::test]
async fn whole_region_lists_the_default_vpc_and_the_table_reads_for_people() {
    let Some(moto) = common::moto() else { return };
    let net = Net::new(&moto, "eu-west-2");
    let vpc = net.vpc("10.20.0.0/16", "table-check").await;
    let a = net.subnet(&vpc, "10.20.1.0/24", 'a', "table-a").await;

    let report = common::discover_json(&moto, "eu-west-2", None);
    let vpcs = report["vpcs"].as_array().cloned().unwrap_or_default();
    assert!(
        vpcs.iter().any(|v| v["is_default"] == true),
        "the emulator's default VPC is listed"
    );
    assert!(vpcs.iter().any(|v| v["id"] == vpc.as_str()));

    let out = common::program_against(&moto, "eu-west-2")
        .args(["discover", "--vpc", &vpc])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Account 123456789012  region eu-west-2  1 VPC"),
        "{table}"
    );
    assert!(
        table.contains(&format!("VPC {vpc} \"table-check\"  10.20.0.0/16")),
        "{table}"
    );
    let row = table.lines().find(|l| l.contains(&a)).unwrap_or_default();
    assert!(
        row.contains("table-a") && row.trim_end().ends_with("isolated"),
        "{row}"
    );
}
