//! Removing the stack's own network, in the order AWS allows. Several deletions finish
//! after the call returns (VPC endpoints and NAT gateways are `deleting` for a while, and
//! their network interfaces stay in their subnets and security groups until they are
//! gone): each is waited for before what depends on it is deleted, and a DependencyViolation
//! that still comes is waited out, so a first destroy finishes instead of failing half-way.

use std::time::Instant;

use super::{SETTLE_POLL, SETTLE_TIMEOUT, settled_error};
use crate::aws::{AwsContext, AwsError};
use crate::ops::progress::{Progress, ProgressEvent, emit};
use crate::stack::StackSpec;
use crate::stack::network::{ObservedNetwork, part_name, part_of, parts};
use crate::stack::plan::Resource;

impl AwsContext {
    /// Removes the stack's network, in the order AWS allows: endpoints, NAT gateway (waited
    /// for) and its address, internet gateway, route tables, the endpoints' group, subnets,
    /// VPC. Only parts carrying the stack's tag are found, so nothing else is touched.
    pub async fn destroy_network(
        &self,
        spec: &StackSpec,
        net: &ObservedNetwork,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let stack = spec.names.stack.as_str();
        let names = &spec.names;
        let shape = spec
            .owned_network
            .as_ref()
            .map(|o| o.shape)
            .or(net.vpc.as_ref().and_then(|v| v.shape))
            .unwrap_or(crate::profile::NetworkShape::Nat);
        let shown = parts(names, shape);
        // A part the shape does not have is said only if one was found anyway.
        let gone = |resource: Resource, name: String| {
            if shown.iter().any(|(r, _)| *r == resource) {
                crate::aws::destroy::gone(progress, resource, name);
            }
        };
        let delete = |resource: Resource, _: String| (resource, part_of(names, shape, resource));

        let (r, name) = delete(Resource::VpcEndpoints, part_name(names, "endpoints"));
        if net.endpoints.is_empty() {
            gone(r, name);
        } else {
            let ids: Vec<String> = net.endpoints.iter().map(|(_, id)| id.clone()).collect();
            crate::aws::destroy::step(progress, r, &name, async {
                self.ec2
                    .delete_vpc_endpoints()
                    .set_vpc_endpoint_ids(Some(ids.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ec2:DeleteVpcEndpoints", e))?;
                // Deletion goes on after the call: until each endpoint is gone its network
                // interfaces hold the endpoints' security group and the subnets.
                self.wait_endpoints_deleted(&ids, progress).await?;
                Ok(Some(format!("{} endpoint(s)", ids.len())))
            })
            .await?;
        }

        let (r, name) = delete(Resource::NatGateway, part_name(names, "nat"));
        if net.nat_gateway.is_none() && net.addresses.is_empty() {
            gone(r, name);
        } else {
            crate::aws::destroy::step(progress, r, &name, async {
                if let Some(id) = &net.nat_gateway {
                    self.ec2
                        .delete_nat_gateway()
                        .nat_gateway_id(id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:DeleteNatGateway", e))?;
                    self.wait_nat_deleted(id, progress).await?;
                }
                for a in &net.addresses {
                    self.ec2
                        .release_address()
                        .allocation_id(&a.allocation_id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:ReleaseAddress", e))?;
                }
                Ok(Some(format!(
                    "{} address(es) released",
                    net.addresses.len()
                )))
            })
            .await?;
        }

        let (r, name) = delete(Resource::InternetGateway, part_name(names, "igw"));
        match &net.internet_gateway {
            None => gone(r, name),
            Some(g) => {
                crate::aws::destroy::step(progress, r, &name, async {
                    if let (true, Some(vpc)) = (g.attached, &net.vpc) {
                        // A NAT gateway's public address can stay mapped a little after
                        // the gateway reads deleted.
                        until_free(Resource::InternetGateway, &g.id, progress, || async {
                            self.ec2
                                .detach_internet_gateway()
                                .internet_gateway_id(&g.id)
                                .vpc_id(&vpc.id)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| AwsError::from_sdk("ec2:DetachInternetGateway", e))
                        })
                        .await?;
                    }
                    self.ec2
                        .delete_internet_gateway()
                        .internet_gateway_id(&g.id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:DeleteInternetGateway", e))?;
                    Ok(Some(g.id.clone()))
                })
                .await?;
            }
        }

        let (r, name) = delete(Resource::RouteTables, part_name(names, "{public,private}"));
        if net.route_tables.is_empty() {
            gone(r, name);
        } else {
            crate::aws::destroy::step(progress, r, &name, async {
                for t in &net.route_tables {
                    let described = self
                        .ec2
                        .describe_route_tables()
                        .route_table_ids(&t.id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:DescribeRouteTables", e))?;
                    for table in described.route_tables() {
                        for a in table.associations() {
                            if let (Some(id), false) =
                                (a.route_table_association_id(), a.main().unwrap_or(false))
                            {
                                self.ec2
                                    .disassociate_route_table()
                                    .association_id(id)
                                    .send()
                                    .await
                                    .map_err(|e| {
                                        AwsError::from_sdk("ec2:DisassociateRouteTable", e)
                                    })?;
                            }
                        }
                    }
                    self.ec2
                        .delete_route_table()
                        .route_table_id(&t.id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:DeleteRouteTable", e))?;
                }
                Ok(Some(format!("{} table(s)", net.route_tables.len())))
            })
            .await?;
        }

        if let Some(group) = &net.endpoint_group {
            until_free(Resource::VpcEndpoints, group, progress, || async {
                self.ec2
                    .delete_security_group()
                    .group_id(group)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("ec2:DeleteSecurityGroup", e))
            })
            .await
            .map_err(|e| (Resource::VpcEndpoints, e))?;
        }

        let (r, name) = delete(Resource::Subnets, part_name(names, "subnets"));
        if net.subnets.is_empty() {
            gone(r, name);
        } else {
            crate::aws::destroy::step(progress, r, &name, async {
                for s in &net.subnets {
                    until_free(Resource::Subnets, &s.id, progress, || async {
                        self.ec2
                            .delete_subnet()
                            .subnet_id(&s.id)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("ec2:DeleteSubnet", e))
                    })
                    .await?;
                }
                Ok(Some(format!("{} subnet(s)", net.subnets.len())))
            })
            .await?;
        }

        let (r, name) = delete(Resource::Vpc, part_name(names, "vpc"));
        match &net.vpc {
            None => gone(r, name),
            Some(v) => {
                crate::aws::destroy::step(progress, r, &name, async {
                    self.ec2
                        .delete_vpc()
                        .vpc_id(&v.id)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ec2:DeleteVpc", e))?;
                    Ok(Some(v.id.clone()))
                })
                .await?;
            }
        }
        let _ = stack;
        Ok(())
    }

    /// Until every one of `ids` is gone (or reads `deleted`): DeleteVpcEndpoints only starts
    /// the deletion.
    async fn wait_endpoints_deleted(
        &self,
        ids: &[String],
        progress: &Progress,
    ) -> Result<(), AwsError> {
        let started = Instant::now();
        loop {
            let out = self
                .ec2
                .describe_vpc_endpoints()
                .set_vpc_endpoint_ids(Some(ids.to_vec()))
                .send()
                .await;
            let left: Vec<String> = match out {
                Ok(out) => out
                    .vpc_endpoints()
                    .iter()
                    .filter(|e| {
                        e.state()
                            .is_some_and(|s| !s.as_str().eq_ignore_ascii_case("deleted"))
                    })
                    .map(|e| {
                        format!(
                            "{} {}",
                            e.vpc_endpoint_id().unwrap_or_default(),
                            e.state().map(|s| s.as_str()).unwrap_or_default()
                        )
                    })
                    .collect(),
                Err(e) => match AwsError::from_sdk("ec2:DescribeVpcEndpoints", e) {
                    // Naming an endpoint that is already gone is an error; gone is done.
                    AwsError::Call {
                        code: Some(code), ..
                    } if code.starts_with("InvalidVpcEndpointId") => Vec::new(),
                    other => return Err(other),
                },
            };
            if left.is_empty() {
                return Ok(());
            }
            if started.elapsed() > SETTLE_TIMEOUT {
                return Err(settled_error(
                    "ec2:DescribeVpcEndpoints",
                    format!(
                        "the VPC endpoints are still being deleted ({}); run destroy again to go on",
                        left.join(", ")
                    ),
                ));
            }
            emit(
                progress,
                ProgressEvent::Note {
                    resource: Resource::VpcEndpoints,
                    message: format!(
                        "{} endpoint(s) still deleting ({}s); their network interfaces go with them",
                        left.len(),
                        started.elapsed().as_secs()
                    ),
                },
            );
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }

    async fn wait_nat_deleted(&self, id: &str, progress: &Progress) -> Result<(), AwsError> {
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
                .unwrap_or_else(|| "deleted".to_owned());
            if state == "deleted" {
                return Ok(());
            }
            if started.elapsed() > SETTLE_TIMEOUT {
                return Err(settled_error(
                    "ec2:DescribeNatGateways",
                    format!("the NAT gateway {id} is still {state}; run destroy again to go on"),
                ));
            }
            emit(
                progress,
                ProgressEvent::Note {
                    resource: Resource::NatGateway,
                    message: format!("{id} is {state}; its address is released once it is gone"),
                },
            );
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }
}

/// Runs `call` until it stops failing with DependencyViolation: an interface of something
/// deleted a moment ago (an endpoint, a NAT gateway, a stopped task) can hold a subnet, a
/// security group or a gateway's mapped address a little longer than its owner reads gone.
/// Any other error, or the same one after SETTLE_TIMEOUT, is returned.
async fn until_free<F, Fut>(
    resource: Resource,
    id: &str,
    progress: &Progress,
    mut call: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    let started = Instant::now();
    loop {
        match call().await {
            Err(AwsError::Call {
                code: Some(code), ..
            }) if code == "DependencyViolation" && started.elapsed() < SETTLE_TIMEOUT => {
                emit(
                    progress,
                    ProgressEvent::Note {
                        resource,
                        message: format!(
                            "{id} is still in use by a network interface that is going ({}s)",
                            started.elapsed().as_secs()
                        ),
                    },
                );
                tokio::time::sleep(SETTLE_POLL).await;
            }
            other => return other,
        }
    }
}
