//! The task definition (registered when its rendered document changed, with real ARNs of
//! the roles, secret and log group) and the service (created, or updated to the new
//! revision), both retried while IAM propagates a new role.

use aws_sdk_ecs::types::Tag as EcsTag;
use serde_json::json;

use super::{push_tag, retry_for_iam};
use crate::aws::ecs_documents::update_service_document;
use crate::aws::{AwsContext, AwsError};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::desired::{Desired, SPEC_HASH_TAG};
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource};

impl AwsContext {
    /// Registers a new revision unless the live one was made from the same document;
    /// returns the ARN the service should run.
    pub(super) async fn apply_task_definition(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        wanted: &Desired,
        progress: &Progress,
    ) -> Result<String, (Resource, AwsError)> {
        let family = spec.names.task_family();
        match &observed.task_definition {
            // The plan compared the live revision's fields (drift) as well as the spec hash:
            // a revision made by hand with the tags copied has the hash but not the values.
            Some(td)
                if plan.action(Resource::TaskDefinition) == Action::Noop
                    && td.spec_hash.as_deref() == Some(wanted.task_definition_hash.as_str()) =>
            {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource: Resource::TaskDefinition,
                        name: family.clone(),
                    },
                );
                Ok(td.arn.clone())
            }
            existing => {
                let action = if existing.is_some() {
                    Action::Update
                } else {
                    Action::Create
                };
                let mut doc = wanted.rendered.task_definition.clone();
                push_tag(&mut doc, SPEC_HASH_TAG, &wanted.task_definition_hash);
                step(progress, Resource::TaskDefinition, action, &family, async {
                    let td = retry_for_iam(progress, Resource::TaskDefinition, || {
                        self.register_task_definition_document(&doc)
                    })
                    .await?;
                    let arn = td.task_definition_arn().unwrap_or_default().to_owned();
                    let detail = Some(format!("revision {}", td.revision()));
                    Ok((arn, detail))
                })
                .await
            }
        }
    }

    /// Creates the service or moves it to the task definition; returns its ARN.
    pub(super) async fn apply_service(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        wanted: &Desired,
        td_arn: &str,
        progress: &Progress,
    ) -> Result<Option<String>, (Resource, AwsError)> {
        let service_name = spec.names.service();
        let service_action = match &observed.service {
            None => Action::Create,
            Some(s) if s.status == "INACTIVE" => Action::Create,
            Some(s) => {
                // The plan compared the live fields (drift) as well as the spec hash.
                let changed = plan.action(Resource::Service) != Action::Noop
                    || s.spec_hash.as_deref() != Some(wanted.service_hash.as_str())
                    || s.task_definition_arn != td_arn
                    || plan.force_new_deployment;
                if changed {
                    Action::Update
                } else {
                    Action::Noop
                }
            }
        };
        match service_action {
            Action::Noop => {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource: Resource::Service,
                        name: service_name.clone(),
                    },
                );
                Ok(observed.service.as_ref().map(|s| s.arn.clone()))
            }
            action => {
                step(progress, Resource::Service, action, &service_name, async {
                    let service = if action == Action::Create {
                        let mut doc = wanted.rendered.service.clone();
                        doc["taskDefinition"] = json!(td_arn);
                        push_tag(&mut doc, SPEC_HASH_TAG, &wanted.service_hash);
                        retry_for_iam(progress, Resource::Service, || {
                            self.create_service_document(&doc)
                        })
                        .await?
                    } else {
                        let mut doc = update_service_document(
                            &wanted.rendered.service,
                            td_arn,
                            plan.force_new_deployment,
                        );
                        // Scaling's count stays: UpdateService without desiredCount keeps it.
                        let live = observed
                            .service
                            .as_ref()
                            .map(|s| i64::from(s.desired_count));
                        if let (Some(scaling), Some(live)) = (spec.monitoring.scaling, live)
                            && scaling.owns_count(live)
                            && let Some(doc) = doc.as_object_mut()
                        {
                            doc.remove("desiredCount");
                        }
                        let service = retry_for_iam(progress, Resource::Service, || {
                            self.update_service_document(&doc)
                        })
                        .await?;
                        self.ecs
                            .tag_resource()
                            .resource_arn(service.service_arn().unwrap_or_default())
                            .tags(
                                EcsTag::builder()
                                    .key(SPEC_HASH_TAG)
                                    .value(&wanted.service_hash)
                                    .build(),
                            )
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("ecs:TagResource", e))?;
                        service
                    };
                    let detail = (plan.force_new_deployment && action == Action::Update)
                        .then(|| "new deployment started".to_owned());
                    Ok((service.service_arn().map(str::to_owned), detail))
                })
                .await
            }
        }
    }
}
