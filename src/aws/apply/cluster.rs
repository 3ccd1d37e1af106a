//! The ECS cluster, when the stack owns it (a cluster the user brought is never changed).
use aws_sdk_ecs::types::{ClusterSetting, ClusterSettingName, Tag as EcsTag};

use super::stack_tags;
use crate::aws::{AwsContext, AwsError};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource};
use crate::stack::{ClusterChoice, StackSpec};

impl AwsContext {
    pub(super) async fn apply_cluster(
        &self,
        spec: &StackSpec,
        _observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.cluster.name().to_owned();
        let action = plan.action(Resource::Cluster);
        if action == Action::Noop || matches!(spec.cluster, ClusterChoice::Existing(_)) {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::Cluster,
                    name,
                },
            );
            return Ok(());
        }
        let insights = spec.monitoring.alarms.is_some();
        let spot = spec.monitoring.spot_flow_runs;
        step(progress, Resource::Cluster, action, &name, async {
            if action == Action::Update {
                if insights {
                    self.ecs
                        .update_cluster_settings()
                        .cluster(&name)
                        .settings(insights_setting())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("ecs:UpdateClusterSettings", e))?;
                }
                if spot {
                    self.put_capacity_providers(&name).await?;
                }
                return Ok(((), None));
            }
            let mut request = self.ecs.create_cluster().cluster_name(&name);
            if insights {
                request = request.settings(insights_setting());
            }
            for (k, v) in stack_tags(&spec.names.stack) {
                request = request.tags(EcsTag::builder().key(k).value(v).build());
            }
            // The providers go with the create: a PutClusterCapacityProviders right after
            // CreateCluster can meet the cluster's attachments still updating.
            if spot {
                request = request
                    .capacity_providers("FARGATE")
                    .capacity_providers("FARGATE_SPOT");
            }
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:CreateCluster", e))?;
            Ok(((), None))
        })
        .await
    }

    /// Fargate and Fargate Spot, so flow runs may ask for either. ECS refuses the call while
    /// the cluster's capacity provider attachments are still updating from the last change
    /// (UpdateInProgressException) or the cluster is not yet ACTIVE: both pass within
    /// seconds, so they are waited out.
    async fn put_capacity_providers(&self, name: &str) -> Result<(), AwsError> {
        let mut attempt = 0u32;
        loop {
            let result = self
                .ecs
                .put_cluster_capacity_providers()
                .cluster(name)
                .capacity_providers("FARGATE")
                .capacity_providers("FARGATE_SPOT")
                .set_default_capacity_provider_strategy(Some(vec![]))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ecs:PutClusterCapacityProviders", e));
            let busy = match &result {
                Err(AwsError::Call { code, message, .. }) => {
                    code.as_deref() == Some("UpdateInProgressException")
                        || message.as_deref().is_some_and(|m| m.contains("not ACTIVE"))
                }
                _ => false,
            };
            if !busy || attempt >= 10 {
                return result;
            }
            attempt += 1;
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    }
}

/// Container Insights: the ECS metrics the workers-below-desired alarm reads.
fn insights_setting() -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value("enabled")
        .build()
}
