//! The discovery report: every VPC with its subnets, their verdicts and the recommended
//! subnets. Its JSON form is a contract for scripts (`discover --output json`): fields may
//! be added, none renamed or removed.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{Egress, NetworkSnapshot, Subnet, recommend_subnets, subnet_verdict};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveryReport {
    pub account: String,
    pub region: String,
    pub vpcs: Vec<VpcReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VpcReport {
    pub id: String,
    pub name: Option<String>,
    pub cidr: String,
    pub is_default: bool,
    pub recommended_subnets: Vec<String>,
    pub subnets: Vec<SubnetReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubnetReport {
    pub id: String,
    pub name: Option<String>,
    pub az: String,
    pub cidr: String,
    pub available_ips: i64,
    pub egress: Egress,
    pub reason: String,
}

impl DiscoveryReport {
    /// Judges every subnet of the snapshot. VPCs come named first, then by id; subnets by
    /// zone and address, so the same account always reads the same way.
    pub fn build(account: &str, net: &NetworkSnapshot) -> Self {
        let mut vpcs: Vec<VpcReport> = net
            .vpcs
            .iter()
            .map(|vpc| {
                let mut subnets: Vec<&Subnet> = net.subnets_of(&vpc.id).collect();
                subnets.sort_by_key(|s| (s.az.clone(), cidr_sort_key(&s.cidr), s.id.clone()));
                let judged: Vec<(&Subnet, super::EgressVerdict)> = subnets
                    .iter()
                    .map(|s| (*s, subnet_verdict(net, s)))
                    .collect();
                let candidates: Vec<(&Subnet, Egress)> =
                    judged.iter().map(|(s, v)| (*s, v.egress)).collect();
                VpcReport {
                    id: vpc.id.clone(),
                    name: vpc.name.clone(),
                    cidr: vpc.cidr.clone(),
                    is_default: vpc.is_default,
                    recommended_subnets: recommend_subnets(&candidates),
                    subnets: judged
                        .into_iter()
                        .map(|(s, verdict)| SubnetReport {
                            id: s.id.clone(),
                            name: s.name.clone(),
                            az: s.az.clone(),
                            cidr: s.cidr.clone(),
                            available_ips: s.available_ips,
                            egress: verdict.egress,
                            reason: verdict.reason,
                        })
                        .collect(),
                }
            })
            .collect();
        vpcs.sort_by(|a, b| {
            (a.name.is_none(), &a.name, &a.id).cmp(&(b.name.is_none(), &b.name, &b.id))
        });
        Self {
            account: account.to_owned(),
            region: net.region.clone(),
            vpcs,
        }
    }
}

fn cidr_sort_key(cidr: &str) -> u32 {
    cidr.split('/')
        .next()
        .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        .map(u32::from)
        .unwrap_or(u32::MAX)
}
