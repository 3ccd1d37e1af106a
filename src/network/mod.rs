//! The account's network as plain data, and what a Prefect worker could reach from it.
//!
//! Discovery (`crate::aws::discovery`) reads VPCs, subnets, route tables, gateways and VPC
//! endpoints and converts them into the types below; everything after that is pure: the
//! egress verdict and the subnet recommendation are functions of a [`NetworkSnapshot`]
//! and do no I/O, so their tests are tables. No AWS SDK types may appear in this module.

mod egress;
mod recommend;
mod report;
mod shape;

pub use egress::{Egress, EgressVerdict, REQUIRED_INTERFACE_SERVICES, subnet_verdict};
pub use recommend::recommend_subnets;
pub use report::{DiscoveryReport, SubnetReport, VpcReport};
pub use shape::{
    COST_BASIS, Cidr, INTERFACE_ENDPOINTS, Layout, PlannedSubnet, choose_cidr, cost_line,
    monthly_cost, promised_egress, shape_from_name, shape_name,
};

/// Everything discovery read from one region, in the order AWS returned it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSnapshot {
    pub region: String,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub internet_gateways: Vec<InternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub endpoints: Vec<VpcEndpoint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub id: String,
    /// The `Name` tag, when there is one.
    pub name: Option<String>,
    pub cidr: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub name: Option<String>,
    pub az: String,
    pub cidr: String,
    pub available_ips: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// True for the VPC's main table: it serves every subnet without an explicit association.
    pub main: bool,
    /// Subnets explicitly associated with this table.
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// An IPv4 or IPv6 CIDR, or a prefix-list id for gateway endpoint routes.
    pub destination: String,
    pub target: RouteTarget,
    /// False when AWS reports the route as `blackhole` (its target was deleted or stopped).
    pub active: bool,
}

/// Where a route sends its traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    Local,
    InternetGateway(String),
    EgressOnlyInternetGateway(String),
    NatGateway(String),
    /// A NAT instance, addressed by instance id.
    Instance(String),
    /// A NAT instance or appliance, addressed by its network interface.
    NetworkInterface(String),
    TransitGateway(String),
    VpcPeering(String),
    /// A gateway endpoint (S3, DynamoDB) route.
    GatewayEndpoint(String),
    /// Anything else (carrier gateway, local gateway, core network...), kept for the reason text.
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpc_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// `pending`, `available`, `deleting`, `deleted` or `failed`.
    pub state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Interface,
    Gateway,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: String,
    /// For example `com.amazonaws.us-east-1.ecr.api`.
    pub service_name: String,
    pub kind: EndpointKind,
    /// `available`, `pending`, `deleting`, ... as AWS reports it (any case).
    pub state: String,
    pub private_dns_enabled: bool,
    /// Route tables a gateway endpoint is attached to.
    pub route_table_ids: Vec<String>,
}

impl NetworkSnapshot {
    pub fn subnets_of<'a>(&'a self, vpc_id: &'a str) -> impl Iterator<Item = &'a Subnet> + 'a {
        self.subnets.iter().filter(move |s| s.vpc_id == vpc_id)
    }

    /// The table that routes a subnet: its explicit association, else its VPC's main table.
    pub fn route_table_for(&self, subnet: &Subnet) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| t.subnet_ids.iter().any(|id| id == &subnet.id))
            .or_else(|| {
                self.route_tables
                    .iter()
                    .find(|t| t.main && t.vpc_id == subnet.vpc_id)
            })
    }
}

impl VpcEndpoint {
    /// The short service name after the region: `ecr.api`, `logs`, `s3`.
    pub fn short_service(&self) -> &str {
        // Service names are `com.amazonaws.<region>.<service>`; some partitions use other
        // prefixes (`cn.com.amazonaws.`), so strip up to the region rather than a fixed text.
        let mut parts = self.service_name.splitn(4, '.');
        let (a, b, c, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
        match (a, b, c, rest) {
            (Some("com"), Some("amazonaws"), Some(_region), Some(rest)) => rest,
            _ => self
                .service_name
                .split_once(".amazonaws.")
                .and_then(|(_, r)| r.split_once('.'))
                .map(|(_, s)| s)
                .unwrap_or(&self.service_name),
        }
    }

    pub fn is_available(&self) -> bool {
        self.state.eq_ignore_ascii_case("available")
    }
}

#[cfg(test)]
mod tests;
