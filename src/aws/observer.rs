//! The worker's event observer in AWS: its two SQS queues and the EventBridge rule that
//! feeds them, read back by name and tag, and removed on destroy (the rule's target, the
//! rule, then the queues). Applying them is `apply/observer.rs`.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;

use super::destroy::{gone, ignore_not_found, step as destroy_step};
use super::readback::absent_if_not_found;
use super::{AwsContext, AwsError};
use crate::ops::progress::Progress;
use crate::stack::StackSpec;
use crate::stack::names::STACK_TAG;
use crate::stack::observed::{Observed, ObservedQueue, ObservedRule};
use crate::stack::plan::Resource;

impl AwsContext {
    /// A queue by name: its URL, attributes and whether it carries the stack's tag.
    pub(super) async fn observe_queue(
        &self,
        name: &str,
        stack: &str,
    ) -> Result<Option<ObservedQueue>, AwsError> {
        let Some(url) = absent_if_not_found(
            self.sqs
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sqs:GetQueueUrl", e)),
        )?
        .and_then(|found| found.queue_url) else {
            return Ok(None);
        };
        let (attributes, tags) = tokio::try_join!(
            async {
                self.sqs
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(QueueAttributeName::All)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:GetQueueAttributes", e))
            },
            async {
                self.sqs
                    .list_queue_tags()
                    .queue_url(&url)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:ListQueueTags", e))
            },
        )?;
        let attributes: BTreeMap<String, String> = attributes
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        let owned = tags
            .tags
            .unwrap_or_default()
            .get(STACK_TAG)
            .is_some_and(|v| v == stack);
        Ok(Some(ObservedQueue {
            arn: attributes.get("QueueArn").cloned().unwrap_or_default(),
            url,
            owned,
            attributes,
        }))
    }

    pub(super) async fn observe_rule(
        &self,
        name: &str,
        stack: &str,
    ) -> Result<Option<ObservedRule>, AwsError> {
        let Some(rule) = absent_if_not_found(
            self.events
                .describe_rule()
                .name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("events:DescribeRule", e)),
        )?
        else {
            return Ok(None);
        };
        let arn = rule.arn.clone().unwrap_or_default();
        let (tags, targets) = tokio::try_join!(
            async {
                self.events
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("events:ListTagsForResource", e))
            },
            async {
                self.events
                    .list_targets_by_rule()
                    .rule(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("events:ListTargetsByRule", e))
            },
        )?;
        let owned = tags
            .tags
            .unwrap_or_default()
            .iter()
            .any(|t| t.key == STACK_TAG && t.value == stack);
        Ok(Some(ObservedRule {
            owned,
            pattern: rule
                .event_pattern
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
            enabled: rule.state.as_ref().map(|s| s.as_str()) == Some("ENABLED"),
            targets: targets
                .targets
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.id, t.arn))
                .collect(),
            arn,
        }))
    }

    /// The rule first (so nothing more is sent), then both queues.
    pub(super) async fn destroy_observer(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let rule_name = spec.names.events_rule();
        match observed.events_rule.as_ref().filter(|r| r.owned) {
            None => gone(progress, Resource::EventRule, rule_name.clone()),
            Some(rule) => {
                destroy_step(progress, Resource::EventRule, &rule_name, async {
                    if !rule.targets.is_empty() {
                        ignore_not_found(
                            self.events
                                .remove_targets()
                                .rule(&rule_name)
                                .set_ids(Some(rule.targets.keys().cloned().collect()))
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| AwsError::from_sdk("events:RemoveTargets", e)),
                        )?;
                    }
                    ignore_not_found(
                        self.events
                            .delete_rule()
                            .name(&rule_name)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("events:DeleteRule", e)),
                    )?;
                    Ok(None)
                })
                .await?;
            }
        }
        let queues = [
            (
                Resource::EventsQueue,
                spec.names.events_queue(),
                observed.events_queue.as_ref(),
            ),
            (
                Resource::EventsDeadLetterQueue,
                spec.names.events_dead_letter_queue(),
                observed.events_dead_letter_queue.as_ref(),
            ),
        ];
        for (resource, name, queue) in queues {
            match queue.filter(|q| q.owned) {
                None => gone(progress, resource, name),
                Some(q) => {
                    destroy_step(progress, resource, &name, async {
                        ignore_not_found(
                            self.sqs
                                .delete_queue()
                                .queue_url(&q.url)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| AwsError::from_sdk("sqs:DeleteQueue", e)),
                        )?;
                        Ok(None)
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }
}
