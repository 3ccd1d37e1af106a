//! Reads a region's network into a [`NetworkSnapshot`]: six paginated Describe calls, run
//! concurrently, whatever the number of VPCs and subnets (never one call per VPC or per
//! subnet). With a VPC id, every call is filtered to that VPC.

use aws_sdk_ec2::types::{self as ec2, Filter, RouteState, Tag, VpcEndpointType};

use super::{AwsContext, AwsError};
use crate::network::{
    EndpointKind, InternetGateway, NatGateway, NetworkSnapshot, Route, RouteTable, RouteTarget,
    Subnet, Vpc, VpcEndpoint,
};

impl AwsContext {
    /// Everything the egress verdict needs, for the whole region or for one VPC.
    pub async fn network_snapshot(
        &self,
        vpc_id: Option<&str>,
    ) -> Result<NetworkSnapshot, AwsError> {
        let filter = |name: &str| vpc_id.map(|id| Filter::builder().name(name).values(id).build());
        let ec2 = &self.ec2;

        let vpcs = async {
            ec2.describe_vpcs()
                .set_filters(filter("vpc-id").map(|f| vec![f]))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeVpcs", e))
        };
        let subnets = async {
            ec2.describe_subnets()
                .set_filters(filter("vpc-id").map(|f| vec![f]))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeSubnets", e))
        };
        let route_tables = async {
            ec2.describe_route_tables()
                .set_filters(filter("vpc-id").map(|f| vec![f]))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeRouteTables", e))
        };
        let gateways = async {
            // Unfiltered even for one VPC: a gateway detached from it must still be seen to
            // tell "detached" from "attached", and accounts have few gateways.
            ec2.describe_internet_gateways()
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeInternetGateways", e))
        };
        let nats = async {
            ec2.describe_nat_gateways()
                .set_filter(filter("vpc-id").map(|f| vec![f]))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeNatGateways", e))
        };
        let endpoints = async {
            ec2.describe_vpc_endpoints()
                .set_filters(filter("vpc-id").map(|f| vec![f]))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeVpcEndpoints", e))
        };
        let (vpcs, subnets, route_tables, gateways, nats, endpoints) =
            tokio::try_join!(vpcs, subnets, route_tables, gateways, nats, endpoints)?;

        Ok(NetworkSnapshot {
            region: self.region.clone(),
            vpcs: vpcs.into_iter().map(convert_vpc).collect(),
            subnets: subnets.into_iter().map(convert_subnet).collect(),
            route_tables: route_tables.into_iter().map(convert_route_table).collect(),
            internet_gateways: gateways.into_iter().map(convert_gateway).collect(),
            nat_gateways: nats.into_iter().map(convert_nat).collect(),
            endpoints: endpoints.into_iter().map(convert_endpoint).collect(),
        })
    }
}

fn name_tag(tags: Option<&[Tag]>) -> Option<String> {
    tags?
        .iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn convert_vpc(v: ec2::Vpc) -> Vpc {
    Vpc {
        name: name_tag(v.tags.as_deref()),
        id: v.vpc_id.unwrap_or_default(),
        cidr: v.cidr_block.unwrap_or_default(),
        is_default: v.is_default.unwrap_or(false),
    }
}

fn convert_subnet(s: ec2::Subnet) -> Subnet {
    Subnet {
        name: name_tag(s.tags.as_deref()),
        id: s.subnet_id.unwrap_or_default(),
        vpc_id: s.vpc_id.unwrap_or_default(),
        az: s.availability_zone.unwrap_or_default(),
        cidr: s.cidr_block.unwrap_or_default(),
        available_ips: i64::from(s.available_ip_address_count.unwrap_or(0)),
    }
}

fn convert_route_table(t: ec2::RouteTable) -> RouteTable {
    let associations = t.associations.unwrap_or_default();
    RouteTable {
        id: t.route_table_id.unwrap_or_default(),
        vpc_id: t.vpc_id.unwrap_or_default(),
        main: associations.iter().any(|a| a.main == Some(true)),
        subnet_ids: associations
            .into_iter()
            .filter_map(|a| a.subnet_id)
            .collect(),
        routes: t
            .routes
            .unwrap_or_default()
            .into_iter()
            .map(convert_route)
            .collect(),
    }
}

fn convert_route(r: ec2::Route) -> Route {
    let active = r.state != Some(RouteState::Blackhole);
    let destination = r
        .destination_cidr_block
        .clone()
        .or_else(|| r.destination_ipv6_cidr_block.clone())
        .or_else(|| r.destination_prefix_list_id.clone())
        .unwrap_or_default();
    let target = if let Some(id) = r.nat_gateway_id {
        RouteTarget::NatGateway(id)
    } else if let Some(id) = r.transit_gateway_id {
        RouteTarget::TransitGateway(id)
    } else if let Some(id) = r.vpc_peering_connection_id {
        RouteTarget::VpcPeering(id)
    } else if let Some(id) = r.egress_only_internet_gateway_id {
        RouteTarget::EgressOnlyInternetGateway(id)
    } else if let Some(id) = r.instance_id {
        RouteTarget::Instance(id)
    } else if let Some(id) = r.gateway_id {
        match id.as_str() {
            "local" => RouteTarget::Local,
            g if g.starts_with("igw-") => RouteTarget::InternetGateway(id),
            g if g.starts_with("vpce-") => RouteTarget::GatewayEndpoint(id),
            _ => RouteTarget::Other(format!("gateway {id}")),
        }
    } else if let Some(id) = r.network_interface_id {
        RouteTarget::NetworkInterface(id)
    } else if let Some(id) = r
        .local_gateway_id
        .or(r.carrier_gateway_id)
        .or(r.core_network_arn)
    {
        RouteTarget::Other(id)
    } else {
        RouteTarget::Other("an unknown target".to_owned())
    };
    Route {
        destination,
        target,
        active,
    }
}

fn convert_gateway(g: ec2::InternetGateway) -> InternetGateway {
    InternetGateway {
        id: g.internet_gateway_id.unwrap_or_default(),
        attached_vpc_ids: g
            .attachments
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| a.vpc_id)
            .collect(),
    }
}

fn convert_nat(n: ec2::NatGateway) -> NatGateway {
    NatGateway {
        id: n.nat_gateway_id.unwrap_or_default(),
        vpc_id: n.vpc_id.unwrap_or_default(),
        subnet_id: n.subnet_id.unwrap_or_default(),
        state: n.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    }
}

fn convert_endpoint(e: ec2::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: e.vpc_endpoint_id.unwrap_or_default(),
        vpc_id: e.vpc_id.unwrap_or_default(),
        service_name: e.service_name.unwrap_or_default(),
        kind: match e.vpc_endpoint_type {
            Some(VpcEndpointType::Interface) => EndpointKind::Interface,
            Some(VpcEndpointType::Gateway) => EndpointKind::Gateway,
            _ => EndpointKind::Other,
        },
        state: e.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        private_dns_enabled: e.private_dns_enabled.unwrap_or(false),
        route_table_ids: e.route_table_ids.unwrap_or_default(),
    }
}

impl AwsContext {
    /// (subnet id, its VPC) for those of `ids` that exist; unknown ids are left out.
    pub async fn subnets_vpcs(&self, ids: &[String]) -> Result<Vec<(String, String)>, AwsError> {
        let subnets = self
            .ec2
            .describe_subnets()
            .filters(
                Filter::builder()
                    .name("subnet-id")
                    .set_values(Some(ids.to_vec()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSubnets", e))?;
        Ok(subnets
            .into_iter()
            .filter_map(|s| Some((s.subnet_id?, s.vpc_id?)))
            .collect())
    }
}
