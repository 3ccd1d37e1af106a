//! The subnet egress verdict: can a worker in this subnet reach ECR (image pull), Secrets
//! Manager (its API key), CloudWatch Logs, the AWS APIs it starts flow runs with (ECS, EC2,
//! SQS) and the Prefect API? DESIGN.md defines the four verdicts; this file decides between
//! them and says why in one sentence.

use serde::Serialize;

use super::{EndpointKind, NetworkSnapshot, RouteTable, RouteTarget, Subnet, VpcEndpoint};

/// Interface endpoints a worker needs when the subnet has no route to the internet: Fargate
/// pulls the image (ECR), reads the key (Secrets Manager) and starts the log stream (Logs);
/// the prefect-aws worker then registers and runs flow runs (ECS), checks the pool's subnets
/// (EC2 DescribeVpcs/DescribeSubnets) and reads the event observer's queue (SQS). Without
/// any one of these last three the worker comes online and never starts a flow run: its
/// calls hang until they time out.
pub const REQUIRED_INTERFACE_SERVICES: [&str; 7] = [
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ecs",
    "ec2",
    "sqs",
];
/// ECR keeps image layers in S3, reached through a gateway endpoint on the subnet's route table.
const REQUIRED_GATEWAY_SERVICE: &str = "s3";

/// How a subnet reaches the services a worker needs, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Egress {
    /// Default route to an internet gateway: the task needs a public IP.
    Public,
    /// Default route to a NAT gateway, NAT instance or transit gateway.
    Nat,
    /// No default route, but VPC endpoints for every AWS service the worker needs.
    Endpoints,
    /// None of the above: a worker here cannot even pull its image.
    Isolated,
}

impl Egress {
    pub fn as_str(self) -> &'static str {
        match self {
            Egress::Public => "public",
            Egress::Nat => "nat",
            Egress::Endpoints => "endpoints",
            Egress::Isolated => "isolated",
        }
    }

    /// Whether a worker can start in such a subnet at all.
    pub fn can_run_worker(self) -> bool {
        self != Egress::Isolated
    }

    /// Whether the public internet (Prefect Cloud) is reachable, not just AWS.
    pub fn reaches_internet(self) -> bool {
        matches!(self, Egress::Public | Egress::Nat)
    }
}

impl std::fmt::Display for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressVerdict {
    pub egress: Egress,
    /// One sentence a person can act on.
    pub reason: String,
}

impl EgressVerdict {
    fn new(egress: Egress, reason: String) -> Self {
        Self { egress, reason }
    }
}

/// Decides the verdict for one subnet from the snapshot it was discovered in.
pub fn subnet_verdict(net: &NetworkSnapshot, subnet: &Subnet) -> EgressVerdict {
    let Some(table) = net.route_table_for(subnet) else {
        return EgressVerdict::new(
            Egress::Isolated,
            "No route table serves this subnet (no explicit association and no main table \
             in its VPC), so traffic cannot leave it."
                .to_owned(),
        );
    };
    let explicit = table.subnet_ids.iter().any(|id| id == &subnet.id);
    let via = if explicit {
        format!("Route table {} (explicitly associated)", table.id)
    } else {
        format!("The VPC's main route table {}", table.id)
    };

    let no_internet = match default_route(net, subnet, table) {
        DefaultRoute::Internet(gateway) => {
            return EgressVerdict::new(
                Egress::Public,
                format!(
                    "{via} sends 0.0.0.0/0 to internet gateway {gateway}: with a public IP the \
                     worker reaches ECR, Secrets Manager, CloudWatch Logs and the Prefect API directly."
                ),
            );
        }
        DefaultRoute::Nat(what) => {
            return EgressVerdict::new(
                Egress::Nat,
                format!(
                    "{via} sends 0.0.0.0/0 to {what}: the worker reaches ECR, Secrets Manager, \
                     CloudWatch Logs and the Prefect API without a public IP."
                ),
            );
        }
        DefaultRoute::Unusable(why) => why,
    };

    let (missing, any_present) = missing_endpoints(net, &subnet.vpc_id, table);
    if missing.is_empty() {
        return EgressVerdict::new(
            Egress::Endpoints,
            format!(
                "{via} has {no_internet}, but VPC endpoints for ECR (api, dkr), CloudWatch Logs, \
                 Secrets Manager, ECS, EC2, SQS and S3 exist: AWS is reachable, the public \
                 internet (Prefect Cloud) is not."
            ),
        );
    }
    let reason = if any_present {
        format!(
            "{via} has {no_internet}, and the VPC endpoints are incomplete (missing {}): the \
             worker could not start, or could start no flow run. Add the missing endpoints or \
             route 0.0.0.0/0 to a NAT gateway.",
            missing.join(", ")
        )
    } else {
        format!(
            "{via} has {no_internet} and the VPC has no endpoints for ECR, Secrets Manager or \
             CloudWatch Logs: the worker could not pull its image. Pick a subnet marked nat or \
             public, or add VPC endpoints."
        )
    };
    EgressVerdict::new(Egress::Isolated, reason)
}

enum DefaultRoute {
    /// Names the internet gateway.
    Internet(String),
    /// Describes the NAT-like target, e.g. "NAT gateway nat-0abc".
    Nat(String),
    /// Why there is no usable default route, phrased to follow "has".
    Unusable(String),
}

fn default_route(net: &NetworkSnapshot, subnet: &Subnet, table: &RouteTable) -> DefaultRoute {
    let Some(route) = table.routes.iter().find(|r| r.destination == "0.0.0.0/0") else {
        return DefaultRoute::Unusable("no default route (0.0.0.0/0)".to_owned());
    };
    if !route.active {
        return DefaultRoute::Unusable(format!(
            "a default route to {} that is a blackhole (its target was deleted or stopped)",
            describe_target(&route.target)
        ));
    }
    match &route.target {
        RouteTarget::InternetGateway(id) => {
            // AWS marks a route to a detached or deleted gateway as blackhole; checking the
            // gateway as well keeps the verdict right when the route state lags behind (and
            // on emulators that never mark routes blackhole).
            match net.internet_gateways.iter().find(|g| &g.id == id) {
                None => DefaultRoute::Unusable(format!(
                    "a default route to internet gateway {id}, which no longer exists"
                )),
                Some(g) if !g.attached_vpc_ids.iter().any(|v| v == &subnet.vpc_id) => {
                    DefaultRoute::Unusable(format!(
                        "a default route to internet gateway {id}, which is not attached to this VPC"
                    ))
                }
                Some(_) => DefaultRoute::Internet(id.clone()),
            }
        }
        RouteTarget::NatGateway(id) => {
            let state = net
                .nat_gateways
                .iter()
                .find(|n| &n.id == id)
                .map(|n| n.state.to_ascii_lowercase());
            match state.as_deref() {
                None | Some("available") | Some("pending") => {
                    DefaultRoute::Nat(format!("NAT gateway {id}"))
                }
                Some(other) => DefaultRoute::Unusable(format!(
                    "a default route to NAT gateway {id}, which is {other}"
                )),
            }
        }
        RouteTarget::Instance(id) => DefaultRoute::Nat(format!("NAT instance {id}")),
        RouteTarget::NetworkInterface(id) => DefaultRoute::Nat(format!(
            "network interface {id} (a NAT instance or appliance)"
        )),
        RouteTarget::TransitGateway(id) => DefaultRoute::Nat(format!(
            "transit gateway {id} (internet egress is assumed to be provided behind it)"
        )),
        RouteTarget::VpcPeering(id) => DefaultRoute::Unusable(format!(
            "a default route to VPC peering connection {id}, which does not carry traffic to the internet"
        )),
        other => DefaultRoute::Unusable(format!(
            "a default route to {}, which is neither an internet nor a NAT gateway",
            describe_target(other)
        )),
    }
}

fn describe_target(target: &RouteTarget) -> String {
    match target {
        RouteTarget::Local => "local".to_owned(),
        RouteTarget::InternetGateway(id) => format!("internet gateway {id}"),
        RouteTarget::EgressOnlyInternetGateway(id) => format!("egress-only internet gateway {id}"),
        RouteTarget::NatGateway(id) => format!("NAT gateway {id}"),
        RouteTarget::Instance(id) => format!("instance {id}"),
        RouteTarget::NetworkInterface(id) => format!("network interface {id}"),
        RouteTarget::TransitGateway(id) => format!("transit gateway {id}"),
        RouteTarget::VpcPeering(id) => format!("VPC peering connection {id}"),
        RouteTarget::GatewayEndpoint(id) => format!("gateway endpoint {id}"),
        RouteTarget::Other(id) => id.clone(),
    }
}

/// The endpoints a worker needs that this VPC lacks, described for a person (empty when the
/// subnet reaches every AWS service the worker uses through endpoints), and whether the VPC
/// has any of them at all.
fn missing_endpoints(
    net: &NetworkSnapshot,
    vpc_id: &str,
    table: &RouteTable,
) -> (Vec<String>, bool) {
    let in_vpc: Vec<&VpcEndpoint> = net
        .endpoints
        .iter()
        .filter(|e| e.vpc_id == vpc_id)
        .collect();
    let mut missing = Vec::new();
    for service in REQUIRED_INTERFACE_SERVICES {
        let candidates: Vec<&&VpcEndpoint> = in_vpc
            .iter()
            .filter(|e| e.kind == EndpointKind::Interface && e.short_service() == service)
            .collect();
        if candidates
            .iter()
            .any(|e| e.is_available() && e.private_dns_enabled)
        {
            continue;
        }
        let problem = if candidates.is_empty() {
            service.to_owned()
        } else if candidates.iter().any(|e| e.is_available()) {
            format!("{service}: private DNS is off")
        } else {
            format!("{service}: not available yet")
        };
        missing.push(problem);
    }
    let s3: Vec<&&VpcEndpoint> = in_vpc
        .iter()
        .filter(|e| {
            e.kind == EndpointKind::Gateway && e.short_service() == REQUIRED_GATEWAY_SERVICE
        })
        .collect();
    let s3_ok = s3
        .iter()
        .any(|e| e.is_available() && e.route_table_ids.iter().any(|t| t == &table.id));
    if !s3_ok {
        missing.push(if s3.is_empty() {
            "s3 gateway".to_owned()
        } else {
            format!("s3 gateway on route table {}", table.id)
        });
    }
    let any_present = in_vpc.iter().any(|e| {
        let service = e.short_service();
        service == REQUIRED_GATEWAY_SERVICE || REQUIRED_INTERFACE_SERVICES.contains(&service)
    });
    (missing, any_present)
}
