//! Discovery must not make more calls for a bigger account: six Describe calls plus one
//! GetCallerIdentity for 2 VPCs and for 200 (pages aside; the emulator returns one page).
//! Each size lives in a region no other test uses.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::layouts::Net;
use prefect_tui::aws::AwsContext;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const SMALL_REGION: &str = "ap-southeast-1";
const LARGE_REGION: &str = "ap-southeast-2";

async fn build_vpcs(moto: &str, region: &str, vpcs: usize, subnets_per_vpc: usize) {
    let net = Arc::new(Net::new(moto, region));
    // Bounded concurrency: fast enough to build 1,000 subnets, gentle on the emulator.
    let permits = Arc::new(Semaphore::new(16));
    let mut tasks = JoinSet::new();
    for v in 0..vpcs {
        let (net, permits) = (net.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire().await.expect("semaphore open");
            let vpc = net.vpc("10.0.0.0/16", &format!("scale-{v}")).await;
            for s in 0..subnets_per_vpc {
                let az = ['a', 'b', 'c'][s % 3];
                net.subnet(
                    &vpc,
                    &format!("10.0.{s}.0/24"),
                    az,
                    &format!("scale-{v}-{s}"),
                )
                .await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("layout task");
    }
}

async fn discovery_calls(moto: &str, region: &str) -> (usize, usize, BTreeMap<String, u64>) {
    let aws = AwsContext::from_sdk_config(common::sdk_config(moto, region), region.to_owned());
    aws.identity().await.expect("identity");
    let snapshot = aws.network_snapshot(None).await.expect("discovery");
    (
        snapshot.vpcs.len(),
        snapshot.subnets.len(),
        aws.calls.snapshot(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn discovery_calls_do_not_grow_with_the_number_of_vpcs() {
    let Some(moto) = common::moto() else { return };
    build_vpcs(&moto, SMALL_REGION, 2, 5).await;
    build_vpcs(&moto, LARGE_REGION, 200, 5).await;

    let (small_vpcs, small_subnets, small_calls) = discovery_calls(&moto, SMALL_REGION).await;
    let (large_vpcs, large_subnets, large_calls) = discovery_calls(&moto, LARGE_REGION).await;
    eprintln!(
        "discovery: {small_vpcs} VPCs / {small_subnets} subnets -> {} calls {small_calls:?}; \
         {large_vpcs} VPCs / {large_subnets} subnets -> {} calls {large_calls:?}",
        small_calls.values().sum::<u64>(),
        large_calls.values().sum::<u64>()
    );
    assert!(
        large_vpcs >= 200 && large_subnets >= 1000,
        "the large account was built"
    );
    assert!(small_vpcs < 10, "the small account is small");
    assert_eq!(
        small_calls, large_calls,
        "calls per operation must not depend on size"
    );
    for op in [
        "sts:GetCallerIdentity",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeVpcEndpoints",
    ] {
        assert_eq!(large_calls.get(op), Some(&1), "{op} once: {large_calls:?}");
    }
    assert_eq!(large_calls.values().sum::<u64>(), 7);
}
