//! The worker's security group: no ingress, AWS's default egress; taken over after an
//! interrupted create when it carries the stack's tag.
use super::{stack_tags, tagged_for};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
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
            let mut tags = aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value(&name)
                        .build(),
                );
            for (k, v) in stack_tags(&spec.names.stack) {
                tags = tags.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
            }
            // No ingress rules: nothing connects to a worker. AWS adds allow-all egress.
            let created = self
                .ec2
                .create_security_group()
                .group_name(&name)
                .description(spec.names.security_group_description())
                .vpc_id(&spec.vpc_id)
                .tag_specifications(tags.build())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:CreateSecurityGroup", e));
            let id = match created {
                Ok(out) => out.group_id().unwrap_or_default().to_owned(),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    self.adopt_security_group(&name, &spec.vpc_id, &spec.names.stack, e)
                        .await?
                }
                Err(e) => return Err(e),
            };
            let detail = match (action, &observed.security_group) {
                (Action::Replace, Some(old)) => Some(format!(
                    "{id}; the old group {} in {} is left for destroy or manual removal",
                    old.id, old.vpc_id
                )),
                _ => Some(id.clone()),
            };
            Ok((Some(id), detail))
        })
        .await
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
