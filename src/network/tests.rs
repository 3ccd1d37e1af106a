//! Table tests for the verdict and the recommendation, on hand-built snapshots.

use rstest::rstest;

use super::*;

const VPC: &str = "vpc-1";

fn subnet(id: &str, az: &str, free: i64) -> Subnet {
    Subnet {
        id: id.into(),
        vpc_id: VPC.into(),
        name: None,
        az: az.into(),
        cidr: "10.0.0.0/24".into(),
        available_ips: free,
    }
}

fn table(id: &str, main: bool, subnets: &[&str], routes: Vec<Route>) -> RouteTable {
    let mut all = vec![Route {
        destination: "10.0.0.0/16".into(),
        target: RouteTarget::Local,
        active: true,
    }];
    all.extend(routes);
    RouteTable {
        id: id.into(),
        vpc_id: VPC.into(),
        main,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        routes: all,
    }
}

fn default_to(target: RouteTarget) -> Route {
    Route {
        destination: "0.0.0.0/0".into(),
        target,
        active: true,
    }
}

fn interface(service: &str) -> VpcEndpoint {
    VpcEndpoint {
        id: format!("vpce-{}", service.replace('.', "")),
        vpc_id: VPC.into(),
        service_name: format!("com.amazonaws.eu-west-1.{service}"),
        kind: EndpointKind::Interface,
        state: "available".into(),
        private_dns_enabled: true,
        route_table_ids: vec![],
    }
}

fn s3_gateway(tables: &[&str]) -> VpcEndpoint {
    VpcEndpoint {
        id: "vpce-s3".into(),
        vpc_id: VPC.into(),
        service_name: "com.amazonaws.eu-west-1.s3".into(),
        kind: EndpointKind::Gateway,
        state: "available".into(),
        private_dns_enabled: false,
        route_table_ids: tables.iter().map(|s| s.to_string()).collect(),
    }
}

fn all_endpoints(s3_tables: &[&str]) -> Vec<VpcEndpoint> {
    let mut endpoints: Vec<VpcEndpoint> = REQUIRED_INTERFACE_SERVICES
        .iter()
        .map(|s| interface(s))
        .collect();
    endpoints.push(s3_gateway(s3_tables));
    endpoints
}

fn snapshot(tables: Vec<RouteTable>, endpoints: Vec<VpcEndpoint>) -> NetworkSnapshot {
    NetworkSnapshot {
        region: "eu-west-1".into(),
        vpcs: vec![Vpc {
            id: VPC.into(),
            name: None,
            cidr: "10.0.0.0/16".into(),
            is_default: false,
        }],
        subnets: vec![subnet("subnet-a", "eu-west-1a", 250)],
        route_tables: tables,
        internet_gateways: vec![InternetGateway {
            id: "igw-1".into(),
            attached_vpc_ids: vec![VPC.into()],
        }],
        nat_gateways: vec![NatGateway {
            id: "nat-1".into(),
            vpc_id: VPC.into(),
            subnet_id: "subnet-pub".into(),
            state: "available".into(),
        }],
        endpoints,
    }
}

fn verdict_of(net: &NetworkSnapshot) -> EgressVerdict {
    subnet_verdict(net, &net.subnets[0])
}

#[rstest]
#[case::igw_on_main_table(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::InternetGateway("igw-1".into()))])],
    vec![], Egress::Public, &["main route table rtb-main", "internet gateway igw-1"][..])]
#[case::nat_on_explicit_table(
    vec![table("rtb-main", true, &[], vec![]),
         table("rtb-priv", false, &["subnet-a"], vec![default_to(RouteTarget::NatGateway("nat-1".into()))])],
    vec![], Egress::Nat, &["rtb-priv (explicitly associated)", "NAT gateway nat-1"][..])]
#[case::explicit_association_overrides_public_main_table(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::InternetGateway("igw-1".into()))]),
         table("rtb-none", false, &["subnet-a"], vec![])],
    vec![], Egress::Isolated, &["rtb-none", "no default route", "no endpoints"][..])]
#[case::nat_instance(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::Instance("i-1".into()))])],
    vec![], Egress::Nat, &["NAT instance i-1"][..])]
#[case::nat_appliance_by_interface(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::NetworkInterface("eni-1".into()))])],
    vec![], Egress::Nat, &["network interface eni-1"][..])]
#[case::transit_gateway(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::TransitGateway("tgw-1".into()))])],
    vec![], Egress::Nat, &["transit gateway tgw-1"][..])]
#[case::peering_is_not_egress(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::VpcPeering("pcx-1".into()))])],
    vec![], Egress::Isolated, &["peering connection pcx-1"][..])]
#[case::blackhole_default_route(
    vec![table("rtb-main", true, &[], vec![Route { destination: "0.0.0.0/0".into(),
        target: RouteTarget::NatGateway("nat-gone".into()), active: false }])],
    vec![], Egress::Isolated, &["blackhole", "nat-gone"][..])]
#[case::blackhole_with_complete_endpoints_still_reaches_aws(
    vec![table("rtb-main", true, &[], vec![Route { destination: "0.0.0.0/0".into(),
        target: RouteTarget::InternetGateway("igw-gone".into()), active: false }])],
    all_endpoints(&["rtb-main"]), Egress::Endpoints, &["blackhole", "public internet (Prefect Cloud) is not"][..])]
#[case::complete_endpoints(
    vec![table("rtb-main", true, &[], vec![])],
    all_endpoints(&["rtb-main"]), Egress::Endpoints, &["no default route", "AWS is reachable"][..])]
#[case::endpoints_missing_one_service(
    vec![table("rtb-main", true, &[], vec![])],
    all_endpoints(&["rtb-main"]).into_iter().filter(|e| e.short_service() != "logs").collect(),
    Egress::Isolated, &["incomplete", "missing logs"][..])]
#[case::s3_gateway_on_another_table(
    vec![table("rtb-main", true, &[], vec![]), table("rtb-x", false, &["subnet-a"], vec![])],
    all_endpoints(&["rtb-main"]), Egress::Isolated, &["s3 gateway on route table rtb-x"][..])]
#[case::interface_endpoint_without_private_dns(
    vec![table("rtb-main", true, &[], vec![])],
    all_endpoints(&["rtb-main"]).into_iter().map(|mut e| { if e.short_service() == "ecr.dkr" { e.private_dns_enabled = false; } e }).collect(),
    Egress::Isolated, &["ecr.dkr: private DNS is off"][..])]
#[case::nat_beats_endpoints(
    vec![table("rtb-main", true, &[], vec![default_to(RouteTarget::NatGateway("nat-1".into()))])],
    all_endpoints(&["rtb-main"]), Egress::Nat, &["nat-1"][..])]
#[case::no_route_table_at_all(vec![], vec![], Egress::Isolated, &["No route table"][..])]
fn verdicts(
    #[case] tables: Vec<RouteTable>,
    #[case] endpoints: Vec<VpcEndpoint>,
    #[case] expected: Egress,
    #[case] reason_mentions: &[&str],
) {
    let verdict = verdict_of(&snapshot(tables, endpoints));
    assert_eq!(verdict.egress, expected, "reason: {}", verdict.reason);
    for needle in reason_mentions {
        assert!(
            verdict.reason.contains(needle),
            "reason {:?} should mention {needle:?}",
            verdict.reason
        );
    }
}

#[test]
fn failed_nat_gateway_is_not_egress() {
    let mut net = snapshot(
        vec![table(
            "rtb-main",
            true,
            &[],
            vec![default_to(RouteTarget::NatGateway("nat-1".into()))],
        )],
        vec![],
    );
    net.nat_gateways[0].state = "failed".into();
    let verdict = verdict_of(&net);
    assert_eq!(verdict.egress, Egress::Isolated);
    assert!(
        verdict.reason.contains("nat-1, which is failed"),
        "{}",
        verdict.reason
    );
}

#[test]
fn detached_internet_gateway_is_not_egress() {
    let mut net = snapshot(
        vec![table(
            "rtb-main",
            true,
            &[],
            vec![default_to(RouteTarget::InternetGateway("igw-1".into()))],
        )],
        vec![],
    );
    net.internet_gateways[0].attached_vpc_ids.clear();
    assert_eq!(verdict_of(&net).egress, Egress::Isolated);
}

#[test]
fn endpoints_of_another_vpc_do_not_count() {
    let mut endpoints = all_endpoints(&["rtb-main"]);
    for e in &mut endpoints {
        e.vpc_id = "vpc-other".into();
    }
    let net = snapshot(vec![table("rtb-main", true, &[], vec![])], endpoints);
    assert_eq!(verdict_of(&net).egress, Egress::Isolated);
}

fn candidates<'a>(subnets: &'a [Subnet], egress: &[Egress]) -> Vec<(&'a Subnet, Egress)> {
    subnets.iter().zip(egress.iter().copied()).collect()
}

#[test]
fn recommends_nat_subnets_one_per_zone_with_most_free_addresses() {
    let subnets = [
        subnet("subnet-pub-a", "eu-west-1a", 250),
        subnet("subnet-pub-b", "eu-west-1b", 250),
        subnet("subnet-nat-a1", "eu-west-1a", 100),
        subnet("subnet-nat-a2", "eu-west-1a", 200),
        subnet("subnet-nat-b", "eu-west-1b", 50),
        subnet("subnet-iso-c", "eu-west-1c", 250),
    ];
    use Egress::*;
    let picked = recommend_subnets(&candidates(
        &subnets,
        &[Public, Public, Nat, Nat, Nat, Isolated],
    ));
    assert_eq!(picked, vec!["subnet-nat-a2", "subnet-nat-b"]);
}

#[test]
fn prefers_a_tier_spanning_two_zones_over_a_better_tier_in_one() {
    let subnets = [
        subnet("subnet-nat-a", "eu-west-1a", 250),
        subnet("subnet-pub-a", "eu-west-1a", 250),
        subnet("subnet-pub-b", "eu-west-1b", 250),
    ];
    use Egress::*;
    let picked = recommend_subnets(&candidates(&subnets, &[Nat, Public, Public]));
    assert_eq!(picked, vec!["subnet-pub-a", "subnet-pub-b"]);
}

#[test]
fn falls_back_to_one_zone_and_skips_full_or_isolated_subnets() {
    let subnets = [
        subnet("subnet-nat-a", "eu-west-1a", 250),
        subnet("subnet-full-b", "eu-west-1b", 0),
        subnet("subnet-iso-c", "eu-west-1c", 250),
    ];
    use Egress::*;
    let picked = recommend_subnets(&candidates(&subnets, &[Nat, Nat, Isolated]));
    assert_eq!(picked, vec!["subnet-nat-a"]);
    let none = recommend_subnets(&candidates(&subnets[2..], &[Isolated]));
    assert!(none.is_empty());
}

#[test]
fn short_service_names_strip_the_region_prefix() {
    let mut e = interface("ecr.api");
    assert_eq!(e.short_service(), "ecr.api");
    e.service_name = "cn.com.amazonaws.cn-north-1.ecr.dkr".into();
    assert_eq!(e.short_service(), "ecr.dkr");
}

#[test]
fn route_to_a_gateway_that_no_longer_exists_is_not_egress() {
    let mut net = snapshot(
        vec![table(
            "rtb-main",
            true,
            &[],
            vec![default_to(RouteTarget::InternetGateway("igw-1".into()))],
        )],
        vec![],
    );
    net.internet_gateways.clear();
    let verdict = verdict_of(&net);
    assert_eq!(verdict.egress, Egress::Isolated);
    assert!(
        verdict.reason.contains("igw-1, which no longer exists"),
        "{}",
        verdict.reason
    );
}
