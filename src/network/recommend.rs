//! Which subnets to preselect for the worker's service: egress-capable ones, one per
//! availability zone, spread over at least two zones when the VPC allows it.

use std::collections::BTreeMap;

use super::{Egress, Subnet};

/// Tiers in order of preference. NAT subnets come first: the worker needs no public IP there.
/// Tiers are never mixed, because `assignPublicIp` is one setting for the whole service.
const PREFERENCE: [Egress; 3] = [Egress::Nat, Egress::Public, Egress::Endpoints];

/// Picks subnet ids from one VPC's subnets and their verdicts. The first tier that spans two
/// or more zones wins; if none does, the best tier with any usable subnet. Within a tier,
/// each zone contributes its subnet with the most free addresses. Result is ordered by zone.
pub fn recommend_subnets(candidates: &[(&Subnet, Egress)]) -> Vec<String> {
    let tiers: Vec<BTreeMap<&str, &Subnet>> = PREFERENCE
        .iter()
        .map(|tier| best_per_zone(candidates, *tier))
        .collect();
    let chosen = tiers
        .iter()
        .find(|zones| zones.len() >= 2)
        .or_else(|| tiers.iter().find(|zones| !zones.is_empty()));
    chosen
        .map(|zones| zones.values().map(|s| s.id.clone()).collect())
        .unwrap_or_default()
}

fn best_per_zone<'a>(
    candidates: &[(&'a Subnet, Egress)],
    tier: Egress,
) -> BTreeMap<&'a str, &'a Subnet> {
    let mut zones: BTreeMap<&str, &Subnet> = BTreeMap::new();
    for (subnet, egress) in candidates {
        if *egress != tier || subnet.available_ips <= 0 {
            continue;
        }
        zones
            .entry(subnet.az.as_str())
            .and_modify(|best| {
                let better = (subnet.available_ips, std::cmp::Reverse(&subnet.id))
                    > (best.available_ips, std::cmp::Reverse(&best.id));
                if better {
                    *best = subnet;
                }
            })
            .or_insert(subnet);
    }
    zones
}
