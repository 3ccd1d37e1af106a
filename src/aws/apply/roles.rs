//! The two IAM roles: trust for ECS tasks, the managed execution policy, and the inline
//! policies (the execution role's secret read, the worker's permissions).
use serde_json::Value;

use super::{stack_tags, tagged_for};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{self, Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::observed::{Observed, ObservedRole};
use crate::stack::plan::{Action, Plan, Resource};
use crate::stack::policies::{self, EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};

impl AwsContext {
    /// Creates a role (trust for ECS tasks, tags) or fixes its trust; attaches the managed
    /// execution policy when `execution_partition` is given. Inline policies are separate steps.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn apply_role_base(
        &self,
        name: String,
        resource: Resource,
        observed: Option<&ObservedRole>,
        plan: &Plan,
        execution_partition: Option<&str>,
        trust: &Value,
        stack: &str,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let action = plan.action(resource);
        if action == Action::Noop {
            emit(progress, ProgressEvent::Unchanged { resource, name });
            return Ok(());
        }
        step(progress, resource, action, &name, async {
            let wanted_trust = trust;
            let trust = trust.to_string();
            match observed {
                None => {
                    let mut request = self
                        .iam
                        .create_role()
                        .role_name(&name)
                        .assume_role_policy_document(&trust)
                        .description(crate::stack::StackNames::new(stack).role_description());
                    for (k, v) in stack_tags(stack) {
                        request = request.tags(
                            aws_sdk_iam::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build()
                                .map_err(|e| AwsError::Call {
                                    action: "iam:CreateRole",
                                    kind: ErrorKind::Invalid,
                                    code: None,
                                    message: Some(e.to_string()),
                                })?,
                        );
                    }
                    match request
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:CreateRole", e))
                    {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                            self.adopt_role(&name, stack, &trust, e).await?;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Some(role) if !policies::same_policy(&role.trust, wanted_trust) => {
                    self.iam
                        .update_assume_role_policy()
                        .role_name(&name)
                        .policy_document(&trust)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", e))?;
                }
                Some(_) => {}
            }
            if let Some(partition) = execution_partition {
                let managed =
                    policies::managed_policy_arn(partition, policies::EXECUTION_MANAGED_POLICY);
                let attached = observed.is_some_and(|r| r.managed_policy_arns.contains(&managed));
                if !attached {
                    self.iam
                        .attach_role_policy()
                        .role_name(&name)
                        .policy_arn(managed)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:AttachRolePolicy", e))?;
                }
            }
            Ok(((), None))
        })
        .await
    }

    pub(super) async fn apply_task_role(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        worker_inline: &Value,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.task_role();
        let role = observed.task_role.as_ref();
        self.apply_role_base(
            name.clone(),
            Resource::TaskRole,
            role,
            plan,
            None,
            &policies::ecs_tasks_trust(&observed.account_id),
            &spec.names.stack,
            progress,
        )
        .await?;
        let current = role.and_then(|r| r.inline.get(WORKER_INLINE_POLICY));
        if current.is_some_and(|c| policies::same_policy(c, worker_inline)) {
            return Ok(());
        }
        self.iam
            .put_role_policy()
            .role_name(&name)
            .policy_name(WORKER_INLINE_POLICY)
            .policy_document(worker_inline.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let e = AwsError::from_sdk("iam:PutRolePolicy", e);
                progress::failed(progress, Resource::TaskRole, &e);
                (Resource::TaskRole, e)
            })
    }

    pub(super) async fn apply_execution_inline(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        wanted: Option<&Value>,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.execution_role();
        let current = observed
            .execution_role
            .as_ref()
            .and_then(|r| r.inline.get(EXECUTION_INLINE_POLICY));
        let result = match (wanted, current) {
            (Some(want), Some(have)) if policies::same_policy(have, want) => return Ok(()),
            (None, None) => return Ok(()),
            (Some(want), _) => self
                .iam
                .put_role_policy()
                .role_name(&name)
                .policy_name(EXECUTION_INLINE_POLICY)
                .policy_document(want.to_string())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", e)),
            (None, Some(_)) => self
                .iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(EXECUTION_INLINE_POLICY)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:DeleteRolePolicy", e)),
        };
        result.map_err(|e| {
            progress::failed(progress, Resource::ExecutionRole, &e);
            (Resource::ExecutionRole, e)
        })
    }

    async fn adopt_role(
        &self,
        name: &str,
        stack: &str,
        trust: &str,
        refused: AwsError,
    ) -> Result<(), AwsError> {
        let found = self
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:GetRole", e))?;
        let tags = found
            .role()
            .map(|r| r.tags())
            .unwrap_or_default()
            .iter()
            .map(|t| (Some(t.key()), Some(t.value())));
        if !tagged_for(stack, tags) {
            return Err(refused);
        }
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", e))?;
        Ok(())
    }
}
