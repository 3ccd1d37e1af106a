//! The worker's event observer: the dead-letter queue, the queue (encrypted, its redrive
//! policy and a policy that lets only the stack's rule send), then the EventBridge rule
//! for the cluster's task state changes with the queue as its one target. One chain: each
//! needs the one before it to exist.

use std::time::Duration;

use aws_sdk_eventbridge::types::{RuleState, Tag, Target};
use aws_sdk_sqs::types::QueueAttributeName;

use super::stack_tags;
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::desired::Desired;
use crate::stack::observed::{Observed, ObservedQueue};
use crate::stack::observer::{
    RULE_TARGET_ID, dead_letter_attributes, event_pattern, queue_attributes,
};
use crate::stack::plan::{Action, Plan, Resource};

/// SQS refuses a queue name for 60 seconds after a queue of that name was deleted.
const DELETED_RECENTLY_WAIT: Duration = Duration::from_secs(75);

fn deleted_recently(e: &AwsError) -> bool {
    matches!(e, AwsError::Call { code: Some(code), .. } if code.ends_with("QueueDeletedRecently"))
}

impl AwsContext {
    /// An enabled rule of the stack, created or updated by name (PutRule), tagged (tags
    /// given to an existing rule are ignored, so they are put again), with its one target.
    pub(super) async fn put_rule_with_target(
        &self,
        spec: &StackSpec,
        name: &str,
        description: String,
        pattern: String,
        target: Target,
    ) -> Result<(), AwsError> {
        let tags: Vec<Tag> = stack_tags(&spec.names.stack)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let put = self
            .events
            .put_rule()
            .name(name)
            .description(description)
            .event_pattern(pattern)
            .state(RuleState::Enabled)
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:PutRule", e))?;
        if let Some(arn) = put.rule_arn() {
            self.events
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("events:TagResource", e))?;
        }
        let answer = self
            .events
            .put_targets()
            .rule(name)
            .targets(target)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:PutTargets", e))?;
        if answer.failed_entry_count > 0 {
            let why = answer
                .failed_entries()
                .first()
                .and_then(|f| f.error_message())
                .unwrap_or("no reason given")
                .to_owned();
            return Err(AwsError::Call {
                action: "events:PutTargets",
                kind: ErrorKind::Other,
                code: None,
                message: Some(why),
            });
        }
        Ok(())
    }

    pub(super) async fn apply_observer(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        self.apply_queue(
            spec,
            Resource::EventsDeadLetterQueue,
            spec.names.events_dead_letter_queue(),
            observed.events_dead_letter_queue.as_ref(),
            plan,
            &dead_letter_attributes(),
            progress,
        )
        .await
        .inspect_err(|_| {
            self.skip_rest(progress, &[Resource::EventsQueue, Resource::EventRule]);
        })?;
        self.apply_queue(
            spec,
            Resource::EventsQueue,
            spec.names.events_queue(),
            observed.events_queue.as_ref(),
            plan,
            &queue_attributes(&desired.observer),
            progress,
        )
        .await
        .inspect_err(|_| self.skip_rest(progress, &[Resource::EventRule]))?;
        self.apply_rule(spec, plan, desired, progress).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_queue(
        &self,
        spec: &StackSpec,
        resource: Resource,
        name: String,
        live: Option<&ObservedQueue>,
        plan: &Plan,
        attributes: &[(&'static str, String)],
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let action = plan.action(resource);
        if action == Action::Noop {
            emit(progress, ProgressEvent::Unchanged { resource, name });
            return Ok(());
        }
        step(progress, resource, action, &name, async {
            let url = match live {
                Some(q) => q.url.clone(),
                None => self.create_queue(spec, resource, &name, progress).await?,
            };
            // Attributes are set apart from the create, so a queue made by an interrupted
            // run (or by hand, then tagged) is brought to the same state.
            let mut request = self.sqs.set_queue_attributes().queue_url(&url);
            for (attribute, value) in attributes {
                request = request.attributes(QueueAttributeName::from(*attribute), value);
            }
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sqs:SetQueueAttributes", e))?;
            Ok(((), Some("encrypted (SQS-managed keys)".to_owned())))
        })
        .await
    }

    /// Creates the queue (tagged), or finds the one an interrupted run made; waits out
    /// SQS's minute of refusing a name that was just deleted, saying so.
    async fn create_queue(
        &self,
        spec: &StackSpec,
        resource: Resource,
        name: &str,
        progress: &Progress,
    ) -> Result<String, AwsError> {
        let started = std::time::Instant::now();
        loop {
            let mut request = self.sqs.create_queue().queue_name(name);
            for (k, v) in stack_tags(&spec.names.stack) {
                request = request.tags(k, v);
            }
            match request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sqs:CreateQueue", e))
            {
                Ok(made) => return Ok(made.queue_url.unwrap_or_default()),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return self.adopt_queue(spec, name).await.map_err(|_| e);
                }
                Err(e) if deleted_recently(&e) && started.elapsed() < DELETED_RECENTLY_WAIT => {
                    emit(
                        progress,
                        ProgressEvent::Note {
                            resource,
                            message: "SQS keeps a deleted queue's name for 60 seconds; waiting \
                                      to make it again"
                                .to_owned(),
                        },
                    );
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A queue that exists with other attributes is the stack's only if tagged so.
    async fn adopt_queue(&self, spec: &StackSpec, name: &str) -> Result<String, AwsError> {
        match self.observe_queue(name, &spec.names.stack).await? {
            Some(q) if q.owned => Ok(q.url),
            _ => Err(AwsError::Call {
                action: "sqs:CreateQueue",
                kind: ErrorKind::AlreadyExists,
                code: None,
                message: Some(format!(
                    "a queue named {name} exists and is not the stack's"
                )),
            }),
        }
    }

    async fn apply_rule(
        &self,
        spec: &StackSpec,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.events_rule();
        let action = plan.action(Resource::EventRule);
        if action == Action::Noop {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::EventRule,
                    name,
                },
            );
            return Ok(());
        }
        step(progress, Resource::EventRule, action, &name, async {
            let target = Target::builder()
                .id(RULE_TARGET_ID)
                .arn(&desired.observer.queue)
                .build()
                .map_err(|e| AwsError::Call {
                    action: "events:PutTargets",
                    kind: ErrorKind::Invalid,
                    code: None,
                    message: Some(e.to_string()),
                })?;
            self.put_rule_with_target(
                spec,
                &name,
                format!(
                    "ECS task state changes of {} for the prefect-tui stack {}",
                    spec.cluster.name(),
                    spec.names.stack
                ),
                event_pattern(&desired.cluster_arn).to_string(),
                target,
            )
            .await?;
            Ok(((), Some("sends task state changes to the queue".to_owned())))
        })
        .await
    }
}
