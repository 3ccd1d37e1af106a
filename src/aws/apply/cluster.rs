//! The ECS cluster, when the stack owns it (a cluster the user brought is never changed).
use aws_sdk_ecs::types::Tag as EcsTag;

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
        step(progress, Resource::Cluster, action, &name, async {
            let mut request = self.ecs.create_cluster().cluster_name(&name);
            for (k, v) in stack_tags(&spec.names.stack) {
                request = request.tags(EcsTag::builder().key(k).value(v).build());
            }
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:CreateCluster", e))?;
            Ok(((), None))
        })
        .await
    }
}
