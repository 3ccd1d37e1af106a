//! The worker's security group: no ingress, egress narrowed to what `stack::egress` wants
//! (AWS's allow-all revoked); taken over after an interrupted create when it carries the
//! stack's tag.
use super::{stack_tags, tagged_for};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::egress::{self, Destination, EgressRule};
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource};

impl AwsContext {
    pub(super) async fn apply_security_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<Option<String>, (Resource, AwsError)> {
        let name = spec.names.security_group();
        let action = plan.action(Resource::SecurityGroup);
        if action == Action::Noop {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::SecurityGroup,
                    name,
                },
            );
            return Ok(observed.security_group.as_ref().map(|g| g.id.clone()));
        }
        step(progress, Resource::SecurityGroup, action, &name, async {
            let id = match (action, &observed.security_group) {
                (Action::Update, Some(group)) => group.id.clone(),
                _ => self.create_security_group(spec, &name).await?,
            };
            let narrowed = self.converge_egress(spec, &id).await?;
            let detail = match (action, &observed.security_group) {
                (Action::Replace, Some(old)) => format!(
                    "{id}; the old group {} in {} is left for destroy or manual removal",
                    old.id, old.vpc_id
                ),
                _ => id.clone(),
            };
            let detail = match narrowed {
                Some(egress) => format!("{detail}; egress {egress}"),
                None => detail,
            };
            Ok((Some(id), Some(detail)))
        })
        .await
    }

    /// A new group with no ingress (nothing connects to a worker), or the one an
    /// interrupted run made. AWS gives it allow-all egress, which `converge_egress` narrows.
    async fn create_security_group(
        &self,
        spec: &StackSpec,
        name: &str,
    ) -> Result<String, AwsError> {
        let mut tags = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value(name)
                    .build(),
            );
        for (k, v) in stack_tags(&spec.names.stack) {
            tags = tags.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
        }
        let created = self
            .ec2
            .create_security_group()
            .group_name(name)
            .description(spec.names.security_group_description())
            .vpc_id(&spec.vpc_id)
            .tag_specifications(tags.build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:CreateSecurityGroup", e));
        match created {
            Ok(out) => Ok(out.group_id().unwrap_or_default().to_owned()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                self.adopt_security_group(name, &spec.vpc_id, &spec.names.stack, e)
                    .await
            }
            Err(e) => Err(e),
        }
    }

    /// Makes the group's egress exactly `egress::wanted`: authorizes what is missing first
    /// (a running worker never loses HTTPS), then revokes the rest (AWS's allow-all among
    /// them). Reads the rules afresh, so a run killed half-way is finished by the next.
    /// Returns the rules now, in words, when anything changed.
    async fn converge_egress(
        &self,
        spec: &StackSpec,
        id: &str,
    ) -> Result<Option<String>, AwsError> {
        let found = self
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        let live = found
            .security_groups()
            .first()
            .map(|g| egress_rules(g.ip_permissions_egress()))
            .unwrap_or_default();
        let wanted = egress::wanted(spec);
        let change = egress::change(&wanted, &live);
        if change.is_empty() {
            return Ok(None);
        }
        if !change.authorize.is_empty() {
            let authorized = self
                .ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(
                    change
                        .authorize
                        .iter()
                        .map(|(r, why)| ip_permission(r, Some(why)))
                        .collect(),
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:AuthorizeSecurityGroupEgress", e));
            match authorized {
                Err(AwsError::Call {
                    code: Some(code), ..
                }) if code.contains("Duplicate") => {}
                other => {
                    other?;
                }
            }
        }
        if !change.revoke.is_empty() {
            self.ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(
                    change
                        .revoke
                        .iter()
                        .map(|r| ip_permission(r, None))
                        .collect(),
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:RevokeSecurityGroupEgress", e))?;
        }
        let now: Vec<String> = wanted.iter().map(|(r, _)| r.describe()).collect();
        Ok(Some(now.join(", ")))
    }

    async fn adopt_security_group(
        &self,
        name: &str,
        vpc_id: &str,
        stack: &str,
        refused: AwsError,
    ) -> Result<String, AwsError> {
        let filter = |n: &str, v: &str| {
            aws_sdk_ec2::types::Filter::builder()
                .name(n)
                .values(v)
                .build()
        };
        let found = self
            .ec2
            .describe_security_groups()
            .filters(filter("group-name", name))
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        let group = found
            .security_groups()
            .iter()
            .find(|g| tagged_for(stack, g.tags().iter().map(|t| (t.key(), t.value()))));
        match group.and_then(|g| g.group_id()) {
            Some(id) => Ok(id.to_owned()),
            None => Err(refused),
        }
    }
}

/// EC2's egress permissions as rules of one destination each.
pub(crate) fn egress_rules(permissions: &[aws_sdk_ec2::types::IpPermission]) -> Vec<EgressRule> {
    let mut rules = Vec::new();
    for p in permissions {
        let protocol = p.ip_protocol().unwrap_or("-1").to_owned();
        let ports = match (protocol.as_str(), p.from_port(), p.to_port()) {
            ("-1", _, _) => None,
            (_, Some(from), Some(to)) => Some((from, to)),
            _ => None,
        };
        let rule = |to: Destination| EgressRule {
            protocol: protocol.clone(),
            ports,
            to,
        };
        rules.extend(
            p.ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .map(|c| rule(Destination::Ipv4(c.to_owned()))),
        );
        rules.extend(
            p.ipv6_ranges()
                .iter()
                .filter_map(|r| r.cidr_ipv6())
                .map(|c| rule(Destination::Ipv6(c.to_owned()))),
        );
        rules.extend(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(|g| rule(Destination::Group(g.to_owned()))),
        );
        rules.extend(
            p.prefix_list_ids()
                .iter()
                .filter_map(|l| l.prefix_list_id())
                .map(|l| rule(Destination::PrefixList(l.to_owned()))),
        );
    }
    rules
}

/// One rule as EC2's permission, with its description when authorizing.
fn ip_permission(rule: &EgressRule, description: Option<&str>) -> aws_sdk_ec2::types::IpPermission {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if let Some((from, to)) = rule.ports {
        p = p.from_port(from).to_port(to);
    }
    let description = description.map(str::to_owned);
    match &rule.to {
        Destination::Ipv4(c) => p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description)
                .build(),
        ),
        Destination::Ipv6(c) => p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description)
                .build(),
        ),
        Destination::Group(g) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(description)
                .build(),
        ),
        Destination::PrefixList(l) => p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(l)
                .set_description(description)
                .build(),
        ),
    }
    .build()
}
