//! The stack's task-definition revisions, and pointing the service at one of them: what
//! `history` lists and `rollback` goes back to.

use aws_sdk_ecs::types::{SortOrder, TaskDefinitionField, TaskDefinitionStatus};
use serde_json::Value;

use super::readback::task_definition_summary;
use super::{AwsContext, AwsError};
use crate::stack::StackSpec;
use crate::stack::desired::SPEC_HASH_TAG;

/// One registered revision of the stack's family.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub arn: String,
    pub revision: i32,
    /// RFC 3339, when ECS reports it (the emulator does not).
    pub registered_at: Option<String>,
    /// The fields prefect-tui renders, as read back (`readback::task_definition_summary`).
    pub summary: Value,
    pub spec_hash: Option<String>,
    /// Its rollout failed and ECS rolled the service back (tagged by `upgrade` and
    /// `rollback` when they saw it): `rollback` does not go back to it by default.
    pub failed_rollout: bool,
}

/// The tag on a revision whose rollout ECS's circuit breaker rolled back.
pub const ROLLOUT_TAG: &str = "prefect-tui:rollout";
pub const ROLLOUT_FAILED: &str = "failed";

impl Revision {
    /// The worker container's image.
    pub fn image(&self) -> Option<&str> {
        self.summary["containerDefinitions"][0]["image"].as_str()
    }
    pub fn cpu(&self) -> Option<&str> {
        self.summary["cpu"].as_str()
    }
    pub fn memory(&self) -> Option<&str> {
        self.summary["memory"].as_str()
    }
}

impl AwsContext {
    /// The family's ACTIVE revisions, newest first, at most `limit` of them.
    pub async fn revisions(&self, family: &str, limit: usize) -> Result<Vec<Revision>, AwsError> {
        let mut arns: Vec<String> = self
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .sort(SortOrder::Desc)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:ListTaskDefinitions", e))?;
        // familyPrefix is a prefix: `prod` also lists `prod-2`'s revisions.
        arns.retain(|arn| super::readback::revision_family(arn) == Some(family));
        arns.sort_by_key(|arn| std::cmp::Reverse(revision_number(arn)));
        arns.truncate(limit);
        let mut out = Vec::with_capacity(arns.len());
        for arn in arns {
            let described = self
                .ecs
                .describe_task_definition()
                .task_definition(&arn)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:DescribeTaskDefinition", e))?;
            let Some(td) = described.task_definition() else {
                continue;
            };
            let tag = |key: &str| {
                described
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some(key))
                    .and_then(|t| t.value())
                    .map(str::to_owned)
            };
            out.push(Revision {
                revision: td.revision(),
                failed_rollout: tag(ROLLOUT_TAG).as_deref() == Some(ROLLOUT_FAILED),
                registered_at: td
                    .registered_at()
                    .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
                summary: task_definition_summary(td),
                spec_hash: tag(SPEC_HASH_TAG),
                arn,
            });
        }
        Ok(out)
    }

    /// Marks a revision whose rollout ECS rolled back, so `history` says so and
    /// `rollback` passes over it.
    pub async fn mark_rollout_failed(&self, arn: &str) -> Result<(), AwsError> {
        self.ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key(ROLLOUT_TAG)
                    .value(ROLLOUT_FAILED)
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ecs:TagResource", e))
    }

    /// Points the service at one revision: a new deployment, rolled out as any other.
    pub async fn point_service(&self, spec: &StackSpec, arn: &str) -> Result<(), AwsError> {
        self.ecs
            .update_service()
            .cluster(spec.cluster.name())
            .service(spec.names.service())
            .task_definition(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))
    }
}

/// The revision number at the end of a task definition ARN (`…:7` → 7).
pub fn revision_number(arn: &str) -> i32 {
    arn.rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::readback::revision_family;
    use super::revision_number;

    #[test]
    fn a_revision_arn_names_its_family_and_number() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/prefect-tui-prod-worker:12";
        assert_eq!(revision_family(arn), Some("prefect-tui-prod-worker"));
        assert_eq!(revision_number(arn), 12);
        assert_eq!(
            revision_family("prefect-tui-prod-worker"),
            None,
            "a family alone"
        );
        assert_eq!(revision_number("arn:...:task-definition/f"), 0);
    }
}
