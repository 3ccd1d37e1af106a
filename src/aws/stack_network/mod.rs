//! The stack's own network (`create` under [network]): read by the stack's tag, made part
//! by part in dependency order, removed in the reverse one. Every part is tagged in the
//! call that makes it, so a run killed at any point finds what it made and goes on; an
//! elastic IP or a route table left unattached by a kill is reused, not made twice.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, IpPermission, IpRange, ResourceType, Tag,
    TagSpecification, VpcEndpointType,
};

use super::apply::stack_tags;
use super::{AwsContext, AwsError, ErrorKind};
use crate::network::{Cidr, INTERFACE_ENDPOINTS, Layout, shape_from_name, shape_name};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::names::STACK_TAG;
use crate::stack::network::{
    DefaultTarget, GATEWAY_ENDPOINT, NETWORK_SHAPE_TAG, NetworkAddress, NetworkGateway,
    NetworkRouteTable, NetworkSubnet, NetworkVpc, ObservedNetwork, part_name, route_tables,
    route_tables_name,
};
use crate::stack::plan::{Action, Plan, Resource};

mod destroy;

/// How long a NAT gateway or an endpoint may take to become available or to go.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(600);
const SETTLE_POLL: Duration = Duration::from_secs(5);

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn tag_of<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(Tag::value)
}

fn ours(tags: &[Tag], stack: &str) -> bool {
    tag_of(tags, STACK_TAG) == Some(stack)
}

/// The tags a part of the network is made with: its `Name`, the stack's tags, and extras.
fn tagged(
    resource: ResourceType,
    name: &str,
    stack: &str,
    extra: &[(&str, &str)],
) -> TagSpecification {
    let mut spec = TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key("Name").value(name).build());
    for (k, v) in stack_tags(stack) {
        spec = spec.tags(Tag::builder().key(k).value(v).build());
    }
    for (k, v) in extra {
        spec = spec.tags(Tag::builder().key(*k).value(*v).build());
    }
    spec.build()
}

/// What the made network's workers run in, once it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeNetwork {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
}

impl AwsContext {
    /// The stack's network as it exists, and every other VPC's range in the region.
    pub async fn observe_stack_network(&self, stack: &str) -> Result<ObservedNetwork, AwsError> {
        let prefix = part_name_of(stack, "");
        let vpcs = self
            .ec2
            .describe_vpcs()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeVpcs", e))?;
        let mut net = ObservedNetwork::default();
        for v in vpcs.vpcs() {
            let id = v.vpc_id().unwrap_or_default().to_owned();
            let cidr = v.cidr_block().and_then(Cidr::parse);
            let tags = v.tags();
            if net.vpc.is_none() && ours(tags, stack) && tag_of(tags, NETWORK_SHAPE_TAG).is_some() {
                net.vpc = Some(NetworkVpc {
                    id,
                    cidr,
                    shape: tag_of(tags, NETWORK_SHAPE_TAG).and_then(shape_from_name),
                });
            } else if let Some(c) = cidr {
                net.taken.push((id, c));
            }
        }
        let role_of = |tags: &[Tag]| -> Option<String> {
            tag_of(tags, "Name")
                .and_then(|n| n.strip_prefix(&prefix))
                .map(str::to_owned)
        };

        // Parts that can exist without the VPC (a kill between two calls).
        let (gateways, addresses) = tokio::try_join!(
            async {
                self.ec2
                    .describe_internet_gateways()
                    .filters(filter(&format!("tag:{STACK_TAG}"), stack))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeInternetGateways", e))
            },
            async {
                self.ec2
                    .describe_addresses()
                    .filters(filter(&format!("tag:{STACK_TAG}"), stack))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeAddresses", e))
            },
        )?;
        let vpc_id = net.vpc.as_ref().map(|v| v.id.clone());
        net.internet_gateway = gateways
            .internet_gateways()
            .iter()
            .filter(|g| ours(g.tags(), stack))
            .map(|g| NetworkGateway {
                id: g.internet_gateway_id().unwrap_or_default().to_owned(),
                attached: g
                    .attachments()
                    .iter()
                    .any(|a| a.vpc_id().is_some() && a.vpc_id() == vpc_id.as_deref()),
            })
            .max_by_key(|g| g.attached);
        net.addresses = addresses
            .addresses()
            .iter()
            .filter(|a| ours(a.tags(), stack))
            .map(|a| NetworkAddress {
                allocation_id: a.allocation_id().unwrap_or_default().to_owned(),
                associated: a.association_id().is_some(),
            })
            .collect();
        let Some(vpc_id) = vpc_id else {
            return Ok(net);
        };

        let (subnets, tables, nats, endpoints, groups) = tokio::try_join!(
            async {
                self.ec2
                    .describe_subnets()
                    .filters(filter("vpc-id", &vpc_id))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeSubnets", e))
            },
            async {
                self.ec2
                    .describe_route_tables()
                    .filters(filter("vpc-id", &vpc_id))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeRouteTables", e))
            },
            async {
                self.ec2
                    .describe_nat_gateways()
                    .filter(filter("vpc-id", &vpc_id))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeNatGateways", e))
            },
            async {
                self.ec2
                    .describe_vpc_endpoints()
                    .filters(filter("vpc-id", &vpc_id))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeVpcEndpoints", e))
            },
            async {
                self.ec2
                    .describe_security_groups()
                    .filters(filter("vpc-id", &vpc_id))
                    .filters(filter("group-name", &part_name_of(stack, "endpoints")))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))
            },
        )?;
        net.subnets = subnets
            .subnets()
            .iter()
            .filter(|s| ours(s.tags(), stack))
            .filter_map(|s| {
                Some(NetworkSubnet {
                    role: role_of(s.tags())?,
                    id: s.subnet_id()?.to_owned(),
                })
            })
            .collect();
        net.route_tables = tables
            .route_tables()
            .iter()
            .filter(|t| ours(t.tags(), stack))
            .filter_map(|t| {
                let default = t
                    .routes()
                    .iter()
                    .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                    .and_then(|r| r.gateway_id().or(r.nat_gateway_id()))
                    .map(str::to_owned);
                Some(NetworkRouteTable {
                    role: role_of(t.tags())?,
                    id: t.route_table_id()?.to_owned(),
                    default_target: default,
                    subnet_ids: t
                        .associations()
                        .iter()
                        .filter_map(|a| a.subnet_id().map(str::to_owned))
                        .collect(),
                })
            })
            .collect();
        net.nat_gateway = nats
            .nat_gateways()
            .iter()
            .filter(|n| ours(n.tags(), stack))
            .filter(|n| {
                matches!(
                    n.state().map(|s| s.as_str()),
                    Some("pending") | Some("available")
                )
            })
            .find_map(|n| n.nat_gateway_id().map(str::to_owned));
        net.endpoints = endpoints
            .vpc_endpoints()
            .iter()
            .filter(|e| ours(e.tags(), stack))
            .filter(|e| {
                !matches!(
                    e.state()
                        .map(|s| s.as_str().to_ascii_lowercase())
                        .as_deref(),
                    Some("deleted") | Some("deleting")
                )
            })
            .filter_map(|e| {
                let service = e
                    .service_name()?
                    .rsplit_once(&format!("{}.", self.region))?
                    .1;
                Some((service.to_owned(), e.vpc_endpoint_id()?.to_owned()))
            })
            .collect();
        net.endpoint_group = groups
            .security_groups()
            .iter()
            .find(|g| ours(g.tags(), stack))
            .and_then(|g| g.group_id().map(str::to_owned));
        Ok(net)
    }

    /// Makes what the plan says is missing of the network, in order: VPC, subnets, internet
    /// gateway, NAT gateway, route tables, endpoints. Returns where the workers run.
    pub async fn apply_network(
        &self,
        spec: &StackSpec,
        layout: &Layout,
        observed: &ObservedNetwork,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<MadeNetwork, (Resource, AwsError)> {
        let stack = spec.names.stack.as_str();
        let names = &spec.names;
        let mut net = observed.clone();
        let unchanged = |resource: Resource, name: String| {
            emit(progress, ProgressEvent::Unchanged { resource, name });
        };

        // The VPC.
        let vpc_name = part_name(names, "vpc");
        let vpc_id = match &net.vpc {
            Some(v) => {
                unchanged(Resource::Vpc, vpc_name);
                v.id.clone()
            }
            None => {
                step(progress, Resource::Vpc, Action::Create, &vpc_name, async {
                    let shape = shape_name(layout.shape);
                    let out = self
                        .ec2
                        .create_vpc()
                        .cidr_block(layout.cidr.to_string())
                        .tag_specifications(tagged(
                            ResourceType::Vpc,
                            &vpc_name,
                            stack,
                            &[(NETWORK_SHAPE_TAG, shape)],
                        ))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:CreateVpc", e))?;
                    let id = out
                        .vpc()
                        .and_then(|v| v.vpc_id())
                        .unwrap_or_default()
                        .to_owned();
                    self.vpc_dns_names(&id).await?;
                    Ok((id.clone(), Some(format!("{id} {}", layout.cidr))))
                })
                .await?
            }
        };
        net.vpc = Some(NetworkVpc {
            id: vpc_id.clone(),
            cidr: Some(layout.cidr),
            shape: Some(layout.shape),
        });

        // The subnets, two zones.
        let subnets_change = plan.change(Resource::Subnets);
        let subnets_name = subnets_change.map(|c| c.name.clone()).unwrap_or_default();
        let missing: Vec<_> = layout
            .subnets
            .iter()
            .filter(|s| net.subnet(&s.role).is_none())
            .cloned()
            .collect();
        if missing.is_empty() {
            unchanged(Resource::Subnets, subnets_name);
        } else {
            let action = if net.subnets.is_empty() {
                Action::Create
            } else {
                Action::Update
            };
            let made = step(progress, Resource::Subnets, action, &subnets_name, async {
                // Again here: a run killed between the VPC and its DNS settings made no
                // subnet yet, so this step always follows it.
                self.vpc_dns_names(&vpc_id).await?;
                let zones = self.two_zones().await?;
                let mut made = Vec::new();
                for s in &missing {
                    let name = part_name(names, &s.role);
                    let out = self
                        .ec2
                        .create_subnet()
                        .vpc_id(&vpc_id)
                        .cidr_block(s.cidr.to_string())
                        .availability_zone(&zones[s.zone])
                        .tag_specifications(tagged(ResourceType::Subnet, &name, stack, &[]))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:CreateSubnet", e))?;
                    let id = out
                        .subnet()
                        .and_then(|s| s.subnet_id())
                        .unwrap_or_default()
                        .to_owned();
                    made.push(NetworkSubnet {
                        role: s.role.clone(),
                        id,
                    });
                }
                let detail = made
                    .iter()
                    .map(|s| format!("{} {}", s.role, s.id))
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok((made, Some(detail)))
            })
            .await?;
            net.subnets.extend(made);
        }

        // The internet gateway.
        if layout.shape != crate::profile::NetworkShape::Endpoints {
            let name = part_name(names, "igw");
            match net.internet_gateway.clone() {
                Some(g) if g.attached => unchanged(Resource::InternetGateway, name),
                existing => {
                    let action = if existing.is_some() {
                        Action::Update
                    } else {
                        Action::Create
                    };
                    let id = step(progress, Resource::InternetGateway, action, &name, async {
                        let id = match existing {
                            Some(g) => g.id,
                            None => self
                                .ec2
                                .create_internet_gateway()
                                .tag_specifications(tagged(
                                    ResourceType::InternetGateway,
                                    &name,
                                    stack,
                                    &[],
                                ))
                                .send()
                                .await
                                .map_err(|e| AwsError::from_sdk("ec2:CreateInternetGateway", e))?
                                .internet_gateway()
                                .and_then(|g| g.internet_gateway_id())
                                .unwrap_or_default()
                                .to_owned(),
                        };
                        self.ec2
                            .attach_internet_gateway()
                            .internet_gateway_id(&id)
                            .vpc_id(&vpc_id)
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("ec2:AttachInternetGateway", e))?;
                        Ok((id.clone(), Some(format!("{id}, attached"))))
                    })
                    .await?;
                    net.internet_gateway = Some(NetworkGateway { id, attached: true });
                }
            }
        }

        // The NAT gateway and its address.
        if layout.shape == crate::profile::NetworkShape::Nat {
            let name = part_name(names, "nat");
            match &net.nat_gateway {
                Some(_) => unchanged(Resource::NatGateway, name),
                None => {
                    let public_a = net
                        .subnet("public-a")
                        .map(|s| s.id.clone())
                        .unwrap_or_default();
                    let spare = net
                        .addresses
                        .iter()
                        .find(|a| !a.associated)
                        .map(|a| a.allocation_id.clone());
                    let id = step(
                        progress,
                        Resource::NatGateway,
                        Action::Create,
                        &name,
                        async {
                            let allocation = match spare {
                                Some(a) => a,
                                None => self
                                    .ec2
                                    .allocate_address()
                                    .domain(DomainType::Vpc)
                                    .tag_specifications(tagged(
                                        ResourceType::ElasticIp,
                                        &name,
                                        stack,
                                        &[],
                                    ))
                                    .send()
                                    .await
                                    .map_err(|e| AwsError::from_sdk("ec2:AllocateAddress", e))?
                                    .allocation_id()
                                    .unwrap_or_default()
                                    .to_owned(),
                            };
                            let id = self
                                .ec2
                                .create_nat_gateway()
                                .subnet_id(&public_a)
                                .allocation_id(&allocation)
                                .tag_specifications(tagged(
                                    ResourceType::Natgateway,
                                    &name,
                                    stack,
                                    &[],
                                ))
                                .send()
                                .await
                                .map_err(|e| AwsError::from_sdk("ec2:CreateNatGateway", e))?
                                .nat_gateway()
                                .and_then(|n| n.nat_gateway_id())
                                .unwrap_or_default()
                                .to_owned();
                            self.wait_nat_available(&id, progress).await?;
                            Ok((
                                id.clone(),
                                Some(format!("{id} with {allocation}, available")),
                            ))
                        },
                    )
                    .await?;
                    net.nat_gateway = Some(id);
                }
            }
        }

        // The route tables.
        let tables_name = route_tables_name(names, layout);
        if plan.action(Resource::RouteTables) == Action::Noop {
            unchanged(Resource::RouteTables, tables_name);
        } else {
            let action = plan.action(Resource::RouteTables);
            let made = step(
                progress,
                Resource::RouteTables,
                action,
                &tables_name,
                async {
                    let mut done = Vec::new();
                    for (role, default, subnet_roles) in route_tables(layout) {
                        let table = self.ensure_route_table(&net, &vpc_id, stack, role).await?;
                        let target = match default {
                            Some(DefaultTarget::InternetGateway) => {
                                net.internet_gateway.as_ref().map(|g| g.id.clone())
                            }
                            Some(DefaultTarget::NatGateway) => net.nat_gateway.clone(),
                            None => None,
                        };
                        if let Some(target) = target
                            && table.default_target.as_deref() != Some(target.as_str())
                        {
                            self.set_default_route(&table, &target).await?;
                        }
                        for r in subnet_roles {
                            let Some(subnet) = net.subnet(r) else {
                                continue;
                            };
                            if table.subnet_ids.contains(&subnet.id) {
                                continue;
                            }
                            self.ec2
                                .associate_route_table()
                                .route_table_id(&table.id)
                                .subnet_id(&subnet.id)
                                .send()
                                .await
                                .map_err(|e| AwsError::from_sdk("ec2:AssociateRouteTable", e))?;
                        }
                        done.push(format!("{role} {}", table.id));
                    }
                    Ok(((), Some(done.join(", "))))
                },
            )
            .await;
            made?;
        }

        // The endpoints.
        if layout.shape == crate::profile::NetworkShape::Endpoints {
            let name = part_name(names, "endpoints");
            let action = plan.action(Resource::VpcEndpoints);
            if action == Action::Noop {
                unchanged(Resource::VpcEndpoints, name);
            } else {
                step(progress, Resource::VpcEndpoints, action, &name, async {
                    self.ensure_endpoints(&net, layout, &vpc_id, stack, progress)
                        .await
                        .map(|made| ((), Some(made)))
                })
                .await?;
            }
        }

        let subnet_ids = net.worker_subnet_ids(layout).unwrap_or_default();
        Ok(MadeNetwork { vpc_id, subnet_ids })
    }

    /// 0.0.0.0/0 to `target`: CreateRoute where the table has no default route, ReplaceRoute
    /// where it has one (to a NAT gateway deleted by hand, a blackhole, or another gateway):
    /// CreateRoute over an existing route is RouteAlreadyExists.
    async fn set_default_route(
        &self,
        table: &NetworkRouteTable,
        target: &str,
    ) -> Result<(), AwsError> {
        let nat = target.starts_with("nat-");
        if table.default_target.is_some() {
            let call = self
                .ec2
                .replace_route()
                .route_table_id(&table.id)
                .destination_cidr_block("0.0.0.0/0");
            let call = if nat {
                call.nat_gateway_id(target)
            } else {
                call.gateway_id(target)
            };
            call.send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ec2:ReplaceRoute", e))
        } else {
            let call = self
                .ec2
                .create_route()
                .route_table_id(&table.id)
                .destination_cidr_block("0.0.0.0/0");
            let call = if nat {
                call.nat_gateway_id(target)
            } else {
                call.gateway_id(target)
            };
            call.send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ec2:CreateRoute", e))
        }
    }

    async fn vpc_dns_names(&self, vpc_id: &str) -> Result<(), AwsError> {
        // Interface endpoints answer under the services' own names only with both on.
        let on = || AttributeBooleanValue::builder().value(true).build();
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(on())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:ModifyVpcAttribute", e))?;
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(on())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:ModifyVpcAttribute", e))?;
        Ok(())
    }

    /// The region's first two available zones, in name order.
    async fn two_zones(&self) -> Result<Vec<String>, AwsError> {
        let out = self
            .ec2
            .describe_availability_zones()
            .filters(filter("state", "available"))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeAvailabilityZones", e))?;
        let mut zones: Vec<String> = out
            .availability_zones()
            .iter()
            .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
            .filter_map(|z| z.zone_name().map(str::to_owned))
            .collect();
        zones.sort();
        if zones.len() < 2 {
            return Err(settled_error(
                "ec2:DescribeAvailabilityZones",
                format!(
                    "{} has {} available zone(s); the stack's network needs two",
                    self.region,
                    zones.len()
                ),
            ));
        }
        zones.truncate(2);
        Ok(zones)
    }

    async fn wait_nat_available(&self, id: &str, progress: &Progress) -> Result<(), AwsError> {
        let started = Instant::now();
        loop {
            let out = self
                .ec2
                .describe_nat_gateways()
                .nat_gateway_ids(id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:DescribeNatGateways", e))?;
            let state = out
                .nat_gateways()
                .first()
                .and_then(|n| n.state())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            match state.as_str() {
                "available" => return Ok(()),
                "failed" | "deleted" | "deleting" => {
                    let why = out
                        .nat_gateways()
                        .first()
                        .and_then(|n| n.failure_message())
                        .unwrap_or("no reason given");
                    return Err(settled_error(
                        "ec2:CreateNatGateway",
                        format!("the NAT gateway {id} is {state}: {why}"),
                    ));
                }
                _ if started.elapsed() > SETTLE_TIMEOUT => {
                    return Err(settled_error(
                        "ec2:DescribeNatGateways",
                        format!(
                            "the NAT gateway {id} is still {state} after {} minutes; run deploy \
                             again to go on waiting",
                            SETTLE_TIMEOUT.as_secs() / 60
                        ),
                    ));
                }
                _ => {
                    emit(
                        progress,
                        ProgressEvent::Note {
                            resource: Resource::NatGateway,
                            message: format!(
                                "{id} is {state} ({}s); NAT gateways take one to three minutes",
                                started.elapsed().as_secs()
                            ),
                        },
                    );
                    tokio::time::sleep(SETTLE_POLL).await;
                }
            }
        }
    }

    async fn ensure_route_table(
        &self,
        net: &ObservedNetwork,
        vpc_id: &str,
        stack: &str,
        role: &str,
    ) -> Result<NetworkRouteTable, AwsError> {
        if let Some(t) = net.route_table(role) {
            return Ok(t.clone());
        }
        let name = part_name_of(stack, role);
        let out = self
            .ec2
            .create_route_table()
            .vpc_id(vpc_id)
            .tag_specifications(tagged(ResourceType::RouteTable, &name, stack, &[]))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:CreateRouteTable", e))?;
        Ok(NetworkRouteTable {
            role: role.to_owned(),
            id: out
                .route_table()
                .and_then(|t| t.route_table_id())
                .unwrap_or_default()
                .to_owned(),
            default_target: None,
            subnet_ids: Vec::new(),
        })
    }

    async fn ensure_endpoints(
        &self,
        net: &ObservedNetwork,
        layout: &Layout,
        vpc_id: &str,
        stack: &str,
        _progress: &Progress,
    ) -> Result<String, AwsError> {
        let group = match &net.endpoint_group {
            Some(g) => g.clone(),
            None => {
                let name = part_name_of(stack, "endpoints");
                self.ec2
                    .create_security_group()
                    .group_name(&name)
                    .description(format!(
                        "prefect-tui stack {stack}: HTTPS from the VPC to its endpoints"
                    ))
                    .vpc_id(vpc_id)
                    .tag_specifications(tagged(ResourceType::SecurityGroup, &name, stack, &[]))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:CreateSecurityGroup", e))?
                    .group_id()
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        // Every time: a run killed between the group and its rule left it without one.
        let authorized = self
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(
                        IpRange::builder()
                            .cidr_ip(layout.cidr.to_string())
                            .description("the stack's VPC")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:AuthorizeSecurityGroupIngress", e));
        match authorized {
            Err(AwsError::Call {
                code: Some(code), ..
            }) if code.contains("Duplicate") => {}
            other => {
                other?;
            }
        }
        let private: Vec<String> = layout
            .worker_subnets()
            .filter_map(|s| net.subnet(&s.role).map(|n| n.id.clone()))
            .collect();
        let mut made = Vec::new();
        for service in INTERFACE_ENDPOINTS {
            if net.endpoint(service).is_some() {
                continue;
            }
            let name = part_name_of(stack, service);
            self.ec2
                .create_vpc_endpoint()
                .vpc_id(vpc_id)
                .service_name(format!("com.amazonaws.{}.{service}", self.region))
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .set_subnet_ids(Some(private.clone()))
                .security_group_ids(&group)
                .private_dns_enabled(true)
                .tag_specifications(tagged(ResourceType::VpcEndpoint, &name, stack, &[]))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:CreateVpcEndpoint", e))?;
            made.push(service.to_owned());
        }
        if net.endpoint(GATEWAY_ENDPOINT).is_none() {
            let table = self
                .observe_stack_network(stack)
                .await?
                .route_table("private")
                .map(|t| t.id.clone())
                .unwrap_or_default();
            self.ec2
                .create_vpc_endpoint()
                .vpc_id(vpc_id)
                .service_name(format!("com.amazonaws.{}.{GATEWAY_ENDPOINT}", self.region))
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .route_table_ids(table)
                .tag_specifications(tagged(
                    ResourceType::VpcEndpoint,
                    &part_name_of(stack, GATEWAY_ENDPOINT),
                    stack,
                    &[],
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:CreateVpcEndpoint", e))?;
            made.push(GATEWAY_ENDPOINT.to_owned());
        }
        Ok(if made.is_empty() {
            "security group".to_owned()
        } else {
            made.join(", ")
        })
    }
}

fn part_name_of(stack: &str, part: &str) -> String {
    part_name(&crate::stack::StackNames::new(stack), part)
}

/// A wait that ended badly or ran out of time, as a call error with the words to act on.
fn settled_error(action: &'static str, message: String) -> AwsError {
    AwsError::Call {
        action,
        kind: ErrorKind::Other,
        code: None,
        message: Some(message),
    }
}
