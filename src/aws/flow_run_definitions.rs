//! The task definitions the worker registered for the pool's flow runs: one family per
//! deployment, `prefect_<pool>_<id>` (`stack::pool::is_flow_run_family`). They are not the
//! stack's (prefect-aws registers them, untagged), so destroy lists them and removes them
//! only when asked; a later worker of the same pool registers them again when it needs
//! them.

use aws_sdk_ecs::types::TaskDefinitionFamilyStatus;

use super::{AwsContext, AwsError};
use crate::stack::pool::{flow_run_family_prefix, is_flow_run_family};

/// The pool's flow-run families and every revision in them (ACTIVE and INACTIVE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowRunDefinitions {
    pub families: Vec<String>,
    pub active: Vec<String>,
    pub inactive: Vec<String>,
}

impl FlowRunDefinitions {
    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }

    pub fn revisions(&self) -> usize {
        self.active.len() + self.inactive.len()
    }

    /// `3 revisions in 2 flow-run task definition families (prefect_<pool>_<id>)`.
    pub fn describe(&self, pool: &str) -> String {
        format!(
            "{} revision(s) in {} flow-run task definition famil{} ({}<deployment id>)",
            self.revisions(),
            self.families.len(),
            if self.families.len() == 1 { "y" } else { "ies" },
            flow_run_family_prefix(pool)
        )
    }
}

impl AwsContext {
    pub async fn flow_run_definitions(&self, pool: &str) -> Result<FlowRunDefinitions, AwsError> {
        let families: Vec<String> = self
            .ecs
            .list_task_definition_families()
            .family_prefix(flow_run_family_prefix(pool))
            .status(TaskDefinitionFamilyStatus::All)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:ListTaskDefinitionFamilies", e))?;
        let mut found = FlowRunDefinitions::default();
        for family in families.into_iter().filter(|f| is_flow_run_family(pool, f)) {
            let (active, inactive) = self.family_revisions(&family).await?;
            if active.is_empty() && inactive.is_empty() {
                continue;
            }
            found.active.extend(active);
            found.inactive.extend(inactive);
            found.families.push(family);
        }
        Ok(found)
    }

    /// Deregisters each ACTIVE revision and deletes them all (ECS deletes only INACTIVE
    /// revisions). Returns how many revisions are gone.
    pub async fn remove_flow_run_definitions(
        &self,
        found: &FlowRunDefinitions,
    ) -> Result<usize, AwsError> {
        self.remove_revisions(&found.active, &found.inactive).await
    }
}
