//! Reads back what exists of a stack, by name and tag, into `Observed`. Only reads (every
//! call here is a Describe, Get or List), all of them concurrent.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ClusterField, ServiceField, TaskDefinitionField};
use serde_json::{Value, json};

use super::{AwsContext, AwsError, ErrorKind, Identity};
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::desired::SPEC_HASH_TAG;
use crate::stack::names::STACK_TAG;
use crate::stack::observed::*;
use crate::stack::policies::{EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};

/// `aws` from `arn:aws:sts::...`.
pub fn partition_of(arn: &str) -> String {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_owned()
}

/// The value of `key` among tags given as (key, value) pairs: every service has its own
/// tag type, this reads them all the same way.
fn tag_value<'a>(
    tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    key: &str,
) -> Option<&'a str> {
    tags.into_iter()
        .find(|(k, _)| *k == Some(key))
        .and_then(|(_, v)| v)
}

/// Not-found is an answer here, not an error.
pub(super) fn absent_if_not_found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// IAM hands policy documents back URL-encoded (the emulator sometimes does not).
pub fn parse_policy(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        serde_json::from_str(&decoded).unwrap_or(Value::Null)
    })
}

impl AwsContext {
    /// Everything of the stack that exists. `key` is compared with the stored secret when
    /// given, so a changed key is planned as a new secret version.
    pub async fn observe(
        &self,
        spec: &StackSpec,
        identity: &Identity,
        key: Option<&SecretValue>,
    ) -> Result<Observed, AwsError> {
        let stack = spec.names.stack.as_str();
        let names = &spec.names;
        let partition = partition_of(&identity.arn);
        let (exec_name, task_name, log_name, family, service_name) = (
            names.execution_role(),
            names.task_role(),
            names.log_group(),
            names.task_family(),
            names.service(),
        );
        let (queue_name, dead_letter_name, rule_name) = (
            names.events_queue(),
            names.events_dead_letter_queue(),
            names.events_rule(),
        );
        let (
            secret,
            execution_role,
            task_role,
            log_group,
            cluster,
            security_group,
            (task_definition, service),
            events_queue,
            events_dead_letter_queue,
            events_rule,
            network,
            alerting,
        ) = tokio::try_join!(
            self.observe_secret(spec, key),
            self.observe_role(&exec_name, EXECUTION_INLINE_POLICY, stack),
            self.observe_role(&task_name, WORKER_INLINE_POLICY, stack),
            self.observe_log_group(&log_name, stack),
            self.observe_cluster(spec.cluster.name(), stack),
            self.observe_security_group(spec, stack),
            self.observe_service_and_revision(spec.cluster.name(), &service_name, &family, stack),
            self.observe_queue(&queue_name, stack),
            self.observe_queue(&dead_letter_name, stack),
            self.observe_rule(&rule_name, stack),
            async {
                match &spec.owned_network {
                    Some(_) => Box::pin(self.observe_stack_network(stack)).await.map(Some),
                    None => Ok(None),
                }
            },
            // Boxed, as the network's: its reads would make every caller's future large.
            Box::pin(self.observe_alerting(spec, &identity.account, &partition)),
        )?;
        Ok(Observed {
            account_id: identity.account.clone(),
            partition: partition_of(&identity.arn),
            secret,
            execution_role,
            task_role,
            log_group,
            cluster,
            security_group,
            task_definition,
            service,
            events_queue,
            events_dead_letter_queue,
            events_rule,
            work_pool: None,
            work_pool_note: None,
            network,
            alerting,
        })
    }

    pub(crate) async fn observe_secret(
        &self,
        spec: &StackSpec,
        key: Option<&SecretValue>,
    ) -> Result<Option<ObservedSecret>, AwsError> {
        let Some(name) = &spec.secret_name else {
            return Ok(None);
        };
        let described = absent_if_not_found(
            self.secrets
                .describe_secret()
                .secret_id(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("secretsmanager:DescribeSecret", e)),
        )?;
        let Some(d) = described else {
            return Ok(None);
        };
        let owned = tag_value(d.tags().iter().map(|t| (t.key(), t.value())), STACK_TAG)
            == Some(spec.names.stack.as_str());
        let pending_deletion = d.deleted_date().is_some();
        let key = match key {
            None => KeyComparison::NotSupplied,
            Some(_) if pending_deletion || !owned => KeyComparison::Different,
            Some(key) => {
                let stored = self
                    .secrets
                    .get_secret_value()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("secretsmanager:GetSecretValue", e))?;
                if stored.secret_string() == Some(key.expose()) {
                    KeyComparison::Same
                } else {
                    KeyComparison::Different
                }
            }
        };
        Ok(Some(ObservedSecret {
            arn: d.arn().unwrap_or_default().to_owned(),
            owned,
            pending_deletion,
            key,
            changed_at: d.last_changed_date().map(|t| t.as_secs_f64()),
        }))
    }

    async fn observe_role(
        &self,
        name: &str,
        inline_name: &str,
        stack: &str,
    ) -> Result<Option<ObservedRole>, AwsError> {
        let role = absent_if_not_found(
            self.iam
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:GetRole", e)),
        )?;
        let Some(role) = role.and_then(|r| r.role) else {
            return Ok(None);
        };
        let managed = self.attached_policy_arns(name).await?;
        let inline_doc = absent_if_not_found(
            self.iam
                .get_role_policy()
                .role_name(name)
                .policy_name(inline_name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:GetRolePolicy", e)),
        )?;
        let mut inline = BTreeMap::new();
        if let Some(doc) = inline_doc {
            inline.insert(inline_name.to_owned(), parse_policy(doc.policy_document()));
        }
        Ok(Some(ObservedRole {
            owned: tag_value(
                role.tags().iter().map(|t| (Some(t.key()), Some(t.value()))),
                STACK_TAG,
            ) == Some(stack),
            trust: parse_policy(role.assume_role_policy_document().unwrap_or_default()),
            arn: role.arn().to_owned(),
            managed_policy_arns: managed,
            inline,
        }))
    }

    async fn observe_log_group(
        &self,
        name: &str,
        stack: &str,
    ) -> Result<Option<ObservedLogGroup>, AwsError> {
        let groups = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("logs:DescribeLogGroups", e))?;
        let Some(group) = groups
            .into_iter()
            .find(|g| g.log_group_name() == Some(name))
        else {
            return Ok(None);
        };
        let arn = group
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .unwrap_or_default();
        let tags = self
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:ListTagsForResource", e))?;
        Ok(Some(ObservedLogGroup {
            owned: tags
                .tags()
                .and_then(|t| t.get(STACK_TAG))
                .map(String::as_str)
                == Some(stack),
            retention_days: group
                .retention_in_days()
                .and_then(|d| u32::try_from(d).ok()),
            arn,
        }))
    }

    async fn observe_cluster(
        &self,
        name: &str,
        stack: &str,
    ) -> Result<Option<ObservedCluster>, AwsError> {
        let out = self
            .ecs
            .describe_clusters()
            .clusters(name)
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeClusters", e))?;
        Ok(out.clusters().first().map(|c| ObservedCluster {
            arn: c.cluster_arn().unwrap_or_default().to_owned(),
            owned: tag_value(c.tags().iter().map(|t| (t.key(), t.value())), STACK_TAG)
                == Some(stack),
            active: c.status() == Some("ACTIVE"),
            insights: c.settings().iter().any(|s| {
                s.name().map(|n| n.as_str()) == Some("containerInsights")
                    && matches!(s.value(), Some("enabled" | "enhanced"))
            }),
            capacity_providers: c.capacity_providers().to_vec(),
        }))
    }

    async fn observe_security_group(
        &self,
        spec: &StackSpec,
        stack: &str,
    ) -> Result<Option<ObservedSecurityGroup>, AwsError> {
        let groups = self
            .ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values(spec.names.security_group())
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        let observed: Vec<ObservedSecurityGroup> = groups
            .into_iter()
            .map(|g| ObservedSecurityGroup {
                owned: tag_value(g.tags().iter().map(|t| (t.key(), t.value())), STACK_TAG)
                    == Some(stack),
                id: g.group_id().unwrap_or_default().to_owned(),
                vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
                egress: super::apply::egress_rules(g.ip_permissions_egress()),
            })
            .collect();
        // Prefer the one in the profile's VPC; another of ours elsewhere means the VPC
        // changed and the group is replaced.
        let in_vpc = observed.iter().find(|g| g.vpc_id == spec.vpc_id).cloned();
        Ok(in_vpc.or_else(|| observed.into_iter().find(|g| g.owned)))
    }

    /// The service, and the task definition it runs when it is the stack's and runs a
    /// revision of the stack's family (after a rollback, not the family's latest); else
    /// the family's latest revision.
    async fn observe_service_and_revision(
        &self,
        cluster: &str,
        service_name: &str,
        family: &str,
        stack: &str,
    ) -> Result<(Option<ObservedTaskDefinition>, Option<ObservedService>), AwsError> {
        let service = self.observe_service(cluster, service_name, stack).await?;
        let running = service
            .as_ref()
            .filter(|s| s.owned && s.status == "ACTIVE")
            .map(|s| s.task_definition_arn.as_str())
            .filter(|arn| revision_family(arn) == Some(family));
        let td = match running {
            Some(arn) => match self.observe_task_definition(arn, stack).await? {
                Some(td) => Some(td),
                None => self.observe_task_definition(family, stack).await?,
            },
            None => self.observe_task_definition(family, stack).await?,
        };
        Ok((td, service))
    }

    async fn observe_task_definition(
        &self,
        // A family (its latest revision) or one revision's ARN.
        reference: &str,
        stack: &str,
    ) -> Result<Option<ObservedTaskDefinition>, AwsError> {
        let result = self
            .ecs
            .describe_task_definition()
            .task_definition(reference)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeTaskDefinition", e));
        let out = match result {
            Ok(out) => out,
            // ECS answers an unknown family with a generic ClientException.
            Err(AwsError::Call {
                code: Some(code), ..
            }) if code == "ClientException" => {
                return Ok(None);
            }
            Err(e) => return absent_if_not_found(Err(e)),
        };
        let Some(td) = out.task_definition() else {
            return Ok(None);
        };
        let tag = |key: &str| {
            tag_value(out.tags().iter().map(|t| (t.key(), t.value())), key).map(str::to_owned)
        };
        Ok(Some(ObservedTaskDefinition {
            arn: td.task_definition_arn().unwrap_or_default().to_owned(),
            owned: tag(STACK_TAG).as_deref() == Some(stack),
            spec_hash: tag(SPEC_HASH_TAG),
            summary: task_definition_summary(td),
        }))
    }

    async fn observe_service(
        &self,
        cluster: &str,
        name: &str,
        stack: &str,
    ) -> Result<Option<ObservedService>, AwsError> {
        let result = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeServices", e));
        let Some(out) = absent_if_not_found(result)? else {
            return Ok(None);
        };
        let Some(s) = out.services().first() else {
            return Ok(None);
        };
        let tag = |key: &str| {
            tag_value(s.tags().iter().map(|t| (t.key(), t.value())), key).map(str::to_owned)
        };
        Ok(Some(ObservedService {
            arn: s.service_arn().unwrap_or_default().to_owned(),
            owned: tag(STACK_TAG).as_deref() == Some(stack),
            status: s.status().unwrap_or_default().to_owned(),
            spec_hash: tag(SPEC_HASH_TAG),
            task_definition_arn: s.task_definition().unwrap_or_default().to_owned(),
            desired_count: s.desired_count(),
            running_count: s.running_count(),
            summary: service_summary(s),
        }))
    }
}

/// The fields prefect-tui renders, read back from a registered task definition.
pub(super) fn task_definition_summary(td: &aws_sdk_ecs::types::TaskDefinition) -> Value {
    let containers: Vec<Value> = td
        .container_definitions()
        .iter()
        .map(|c| {
            let mut v = json!({
                "name": c.name(),
                "image": c.image(),
                "essential": c.essential(),
                "cpu": c.cpu(),
                "memory": c.memory(),
                "command": c.command(),
                "environment": c.environment().iter()
                    .map(|e| json!({"name": e.name(), "value": e.value()})).collect::<Vec<_>>(),
            });
            if !c.secrets().is_empty() {
                v["secrets"] = c
                    .secrets()
                    .iter()
                    .map(|s| json!({"name": s.name(), "valueFrom": s.value_from()}))
                    .collect();
            }
            if let Some(h) = c.health_check() {
                v["healthCheck"] = json!({
                    "command": h.command(),
                    "interval": h.interval(),
                    "timeout": h.timeout(),
                    "retries": h.retries(),
                    "startPeriod": h.start_period(),
                });
            }
            if let Some(l) = c.log_configuration() {
                let options: BTreeMap<&String, &String> =
                    l.options().map(|o| o.iter().collect()).unwrap_or_default();
                v["logConfiguration"] = json!({
                    "logDriver": l.log_driver().as_str(),
                    "options": options,
                });
            }
            v
        })
        .collect();
    json!({
        "family": td.family(),
        "taskRoleArn": td.task_role_arn(),
        "executionRoleArn": td.execution_role_arn(),
        "networkMode": td.network_mode().map(|m| m.as_str()),
        "requiresCompatibilities": td.requires_compatibilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "cpu": td.cpu(),
        "memory": td.memory(),
        "runtimePlatform": td.runtime_platform().map(|p| json!({
            "operatingSystemFamily": p.operating_system_family().map(|f| f.as_str()),
            "cpuArchitecture": p.cpu_architecture().map(|a| a.as_str()),
        })),
        "containerDefinitions": containers,
    })
}

/// The fields prefect-tui renders, read back from a service.
fn service_summary(s: &aws_sdk_ecs::types::Service) -> Value {
    let cluster = s
        .cluster_arn()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let deployment = s.deployment_configuration();
    json!({
        "cluster": cluster,
        "serviceName": s.service_name(),
        "desiredCount": s.desired_count(),
        "launchType": s.launch_type().map(|l| l.as_str()),
        "platformVersion": s.platform_version(),
        "networkConfiguration": { "awsvpcConfiguration": {
            "subnets": vpc.map(|v| v.subnets()),
            "securityGroups": vpc.map(|v| v.security_groups()),
            "assignPublicIp": vpc.and_then(|v| v.assign_public_ip()).map(|a| a.as_str()),
        }},
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": deployment.and_then(|d| d.deployment_circuit_breaker()).map(|b| json!({
                "enable": b.enable(), "rollback": b.rollback(),
            })),
            "maximumPercent": deployment.and_then(|d| d.maximum_percent()),
            "minimumHealthyPercent": deployment.and_then(|d| d.minimum_healthy_percent()),
        },
        "enableECSManagedTags": s.enable_ecs_managed_tags(),
        "propagateTags": s.propagate_tags().map(|p| p.as_str()),
    })
}

impl AwsContext {
    /// The stored credential, for talking to Prefect when the user did not supply it.
    pub async fn read_secret(&self, arn: &str) -> Result<Option<SecretValue>, AwsError> {
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("secretsmanager:GetSecretValue", e))?;
        Ok(out.secret_string().and_then(|s| SecretValue::parse(s).ok()))
    }
}

impl AwsContext {
    /// ARNs of the managed policies attached to a role (readback and destroy both need them).
    pub(super) async fn attached_policy_arns(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let attached = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("iam:ListAttachedRolePolicies", e))?;
        Ok(attached.into_iter().filter_map(|p| p.policy_arn).collect())
    }
}

/// The family of a task definition ARN (`…:task-definition/<family>:<revision>`).
pub fn revision_family(arn: &str) -> Option<&str> {
    let (_, tail) = arn.split_once(":task-definition/")?;
    Some(tail.rsplit_once(':').map_or(tail, |(family, _)| family))
}
