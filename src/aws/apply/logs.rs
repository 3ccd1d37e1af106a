//! The log group the worker's container logs into, with its retention.
use super::stack_tags;
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource};

impl AwsContext {
    pub(super) async fn apply_log_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.log_group();
        let action = plan.action(Resource::LogGroup);
        if action == Action::Noop {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::LogGroup,
                    name,
                },
            );
            return Ok(());
        }
        step(progress, Resource::LogGroup, action, &name, async {
            if observed.log_group.is_none() {
                let mut request = self.logs.create_log_group().log_group_name(&name);
                for (k, v) in stack_tags(&spec.names.stack) {
                    request = request.tags(k, v);
                }
                match request
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", e))
                {
                    Ok(_) => {}
                    // Made by an earlier, interrupted run between its read and its write.
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
            self.logs
                .put_retention_policy()
                .log_group_name(&name)
                .retention_in_days(i32::try_from(spec.log_retention_days).unwrap_or(30))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:PutRetentionPolicy", e))?;
            Ok((
                (),
                Some(format!("keeps logs {} days", spec.log_retention_days)),
            ))
        })
        .await
    }
}
