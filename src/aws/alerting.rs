//! The stack's alerting and scaling in AWS, read back and removed: the SNS topic and its
//! subscriptions, the CloudWatch alarms under the stack's name prefix, the crash rule and
//! its target, the log error filter, the service's scalable target and its policy.
//! Applying them is `apply/alerting.rs`.
//!
//! Ownership: the topic and the rule carry the stack's tag. Alarms are the stack's by their
//! name (`prefect-tui-<stack>-`), the filter by its log group, the scalable target and its
//! policy by the stack's service, which all carry the stack's name.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::{AlarmType, MetricAlarm};
use serde_json::{Value, json};

use super::destroy::{gone, ignore_not_found, step as destroy_step};
use super::readback::absent_if_not_found;
use super::{AwsContext, AwsError};
use crate::ops::progress::Progress;
use crate::stack::StackSpec;
use crate::stack::alerting::{AlertArns, CRASH_TARGET_ID, scalable_resource_id};
use crate::stack::names::STACK_TAG;
use crate::stack::observed::{
    Observed, ObservedAlerting, ObservedLogFilter, ObservedScalingPolicy, ObservedSubscription,
    ObservedTopic,
};
use crate::stack::plan::Resource;

impl AwsContext {
    pub(super) async fn observe_alerting(
        &self,
        spec: &StackSpec,
        account: &str,
        partition: &str,
    ) -> Result<ObservedAlerting, AwsError> {
        let names = &spec.names;
        let arns = AlertArns::of(names, partition, &spec.region, account);
        let resource_id = scalable_resource_id(spec.cluster.name(), &names.service());
        let (prefix, rule, group, filter, policy) = (
            names.alarm_prefix(),
            names.crash_rule(),
            names.log_group(),
            names.log_error_filter(),
            names.scaling_policy(),
        );
        let (topic, alarms, crash_rule, crash_target, log_filter, scalable_target, scaling_policy) =
            tokio::try_join!(
                self.observe_topic(&arns.topic, &names.stack),
                self.observe_alarms(&prefix),
                self.observe_rule(&rule, &names.stack),
                self.observe_crash_target(&rule),
                self.observe_log_filter(&group, &filter),
                self.observe_scalable_target(&resource_id),
                self.observe_scaling_policy(&resource_id, &policy),
            )?;
        let emails = match &topic {
            Some(t) if t.owned => self.observe_emails(&t.arn).await?,
            _ => BTreeMap::new(),
        };
        Ok(ObservedAlerting {
            topic,
            emails,
            alarms,
            crash_rule,
            crash_target,
            log_filter,
            scalable_target,
            scaling_policy,
        })
    }

    async fn observe_topic(
        &self,
        arn: &str,
        stack: &str,
    ) -> Result<Option<ObservedTopic>, AwsError> {
        let Some(attributes) = absent_if_not_found(
            self.sns
                .get_topic_attributes()
                .topic_arn(arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sns:GetTopicAttributes", e)),
        )?
        else {
            return Ok(None);
        };
        let tags = self
            .sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sns:ListTagsForResource", e))?;
        let policy = attributes
            .attributes()
            .and_then(|a| a.get("Policy"))
            .and_then(|p| serde_json::from_str(p).ok());
        Ok(Some(ObservedTopic {
            arn: arn.to_owned(),
            owned: tags
                .tags()
                .iter()
                .any(|t| t.key() == STACK_TAG && t.value() == stack),
            policy,
        }))
    }

    async fn observe_emails(
        &self,
        topic_arn: &str,
    ) -> Result<BTreeMap<String, ObservedSubscription>, AwsError> {
        let mut out = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(topic_arn)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sns:ListSubscriptionsByTopic", e))?;
            for s in page.subscriptions() {
                if s.protocol() != Some("email") {
                    continue;
                }
                let arn = s.subscription_arn().filter(|a| a.starts_with("arn:"));
                out.insert(
                    s.endpoint().unwrap_or_default().to_ascii_lowercase(),
                    ObservedSubscription {
                        arn: arn.map(str::to_owned),
                    },
                );
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn observe_alarms(&self, prefix: &str) -> Result<BTreeMap<String, Value>, AwsError> {
        let out = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .alarm_types(AlarmType::MetricAlarm)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudwatch:DescribeAlarms", e))?;
        Ok(out
            .metric_alarms()
            .iter()
            .map(|a| {
                (
                    a.alarm_name().unwrap_or_default().to_owned(),
                    alarm_document(a),
                )
            })
            .collect())
    }

    async fn observe_crash_target(
        &self,
        rule: &str,
    ) -> Result<Option<(String, Option<(Value, String)>)>, AwsError> {
        let Some(targets) = absent_if_not_found(
            self.events
                .list_targets_by_rule()
                .rule(rule)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("events:ListTargetsByRule", e)),
        )?
        else {
            return Ok(None);
        };
        Ok(targets
            .targets()
            .iter()
            .find(|t| t.id() == CRASH_TARGET_ID)
            .map(|t| {
                let input = t.input_transformer().map(|i| {
                    let paths: serde_json::Map<String, Value> = i
                        .input_paths_map()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                                .collect()
                        })
                        .unwrap_or_default();
                    (Value::Object(paths), i.input_template().to_owned())
                });
                (t.arn().to_owned(), input)
            }))
    }

    async fn observe_log_filter(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Option<ObservedLogFilter>, AwsError> {
        let Some(out) = absent_if_not_found(
            self.logs
                .describe_metric_filters()
                .log_group_name(group)
                .filter_name_prefix(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:DescribeMetricFilters", e)),
        )?
        else {
            return Ok(None);
        };
        Ok(out
            .metric_filters()
            .iter()
            .find(|f| f.filter_name() == Some(name))
            .map(|f| ObservedLogFilter {
                pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                transformation: f
                    .metric_transformations()
                    .first()
                    .map(|t| {
                        json!({
                            "metricName": t.metric_name(),
                            "metricNamespace": t.metric_namespace(),
                            "metricValue": t.metric_value(),
                        })
                    })
                    .unwrap_or(Value::Null),
            }))
    }

    /// The service's registered bounds, `(min, max)`; `None`: no scalable target.
    pub(super) async fn observe_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<Option<(i32, i32)>, AwsError> {
        let out = self
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk("application-autoscaling:DescribeScalableTargets", e)
            })?;
        Ok(out
            .scalable_targets()
            .iter()
            .find(|t| t.resource_id() == resource_id)
            .map(|t| (t.min_capacity(), t.max_capacity())))
    }

    async fn observe_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
    ) -> Result<Option<ObservedScalingPolicy>, AwsError> {
        let out = self
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_names(name)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk("application-autoscaling:DescribeScalingPolicies", e)
            })?;
        Ok(out
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name && p.resource_id() == resource_id)
            .map(|p| ObservedScalingPolicy {
                name: name.to_owned(),
                policy_type: p.policy_type().as_str().to_owned(),
                configuration: p
                    .target_tracking_scaling_policy_configuration()
                    .map(tracking_document)
                    .unwrap_or(Value::Null),
            }))
    }

    /// The scaling first (nothing changes the count while the service goes), then the
    /// alarms, the filter, the rule and the topic (its subscriptions go with it).
    pub(super) async fn destroy_alerting(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let live = &observed.alerting;
        let names = &spec.names;
        let resource_id = scalable_resource_id(spec.cluster.name(), &names.service());
        let policy_name = names.scaling_policy();
        match &live.scaling_policy {
            None => gone(progress, Resource::ScalingPolicy, policy_name.clone()),
            Some(_) => {
                destroy_step(progress, Resource::ScalingPolicy, &policy_name, async {
                    self.delete_scaling_policy(&resource_id, &policy_name)
                        .await?;
                    Ok(None)
                })
                .await?;
            }
        }
        match &live.scalable_target {
            None => gone(progress, Resource::ScalableTarget, resource_id.clone()),
            Some(_) => {
                destroy_step(progress, Resource::ScalableTarget, &resource_id, async {
                    self.deregister_scalable_target(&resource_id).await?;
                    Ok(None)
                })
                .await?;
            }
        }
        let alarm_names: Vec<String> = live.alarms.keys().cloned().collect();
        let label = format!("{} alarm(s)", alarm_names.len());
        if alarm_names.is_empty() {
            gone(progress, Resource::Alarms, label);
        } else {
            destroy_step(progress, Resource::Alarms, &label, async {
                self.cloudwatch
                    .delete_alarms()
                    .set_alarm_names(Some(alarm_names.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("cloudwatch:DeleteAlarms", e))?;
                Ok(None)
            })
            .await?;
        }
        let filter = names.log_error_filter();
        match &live.log_filter {
            None => gone(progress, Resource::LogErrorFilter, filter.clone()),
            Some(_) => {
                destroy_step(progress, Resource::LogErrorFilter, &filter, async {
                    ignore_not_found(
                        self.logs
                            .delete_metric_filter()
                            .log_group_name(names.log_group())
                            .filter_name(&filter)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("logs:DeleteMetricFilter", e)),
                    )?;
                    Ok(None)
                })
                .await?;
            }
        }
        let rule = names.crash_rule();
        match live.crash_rule.as_ref().filter(|r| r.owned) {
            None => gone(progress, Resource::CrashRule, rule.clone()),
            Some(r) => {
                destroy_step(progress, Resource::CrashRule, &rule, async {
                    let targets: Vec<String> = r.targets.keys().cloned().collect();
                    self.remove_rule(&rule, &targets).await?;
                    Ok(None)
                })
                .await?;
            }
        }
        self.destroy_alerting_topic(spec, observed, progress).await
    }

    /// The scaling policy; one already gone is done. Apply (a profile that no longer
    /// scales) and destroy both remove it so.
    pub(super) async fn delete_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        ignore_not_found(
            self.autoscaling
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("application-autoscaling:DeleteScalingPolicy", e))
                .or_else(already_gone("No scaling policy found")),
        )
    }

    /// The service's scalable target; the service keeps the count it has.
    pub(super) async fn deregister_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<(), AwsError> {
        ignore_not_found(
            self.autoscaling
                .deregister_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    AwsError::from_sdk("application-autoscaling:DeregisterScalableTarget", e)
                })
                .or_else(already_gone("No scalable target found")),
        )
    }

    /// A rule: its targets first (EventBridge refuses to delete a rule that has some).
    pub(super) async fn remove_rule(&self, name: &str, targets: &[String]) -> Result<(), AwsError> {
        if !targets.is_empty() {
            ignore_not_found(
                self.events
                    .remove_targets()
                    .rule(name)
                    .set_ids(Some(targets.to_vec()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("events:RemoveTargets", e)),
            )?;
        }
        ignore_not_found(
            self.events
                .delete_rule()
                .name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("events:DeleteRule", e)),
        )
    }

    /// The topic, its confirmed subscriptions first (DeleteTopic leaves them behind).
    pub(super) async fn destroy_alerting_topic(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let live = &observed.alerting;
        let topic = spec.names.alerts_topic();
        match live.topic.as_ref().filter(|t| t.owned) {
            None => gone(progress, Resource::AlertsTopic, topic),
            Some(t) => {
                destroy_step(progress, Resource::AlertsTopic, &topic, async {
                    for sub in live.emails.values().filter_map(|s| s.arn.as_deref()) {
                        ignore_not_found(
                            self.sns
                                .unsubscribe()
                                .subscription_arn(sub)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| AwsError::from_sdk("sns:Unsubscribe", e)),
                        )?;
                    }
                    ignore_not_found(
                        self.sns
                            .delete_topic()
                            .topic_arn(&t.arn)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("sns:DeleteTopic", e)),
                    )?;
                    Ok(None)
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// An alarm as the fields PutMetricAlarm takes, in `stack::alerting::alarm`'s shape.
fn alarm_document(a: &MetricAlarm) -> Value {
    let mut doc = json!({
        "AlarmName": a.alarm_name(),
        "AlarmDescription": a.alarm_description(),
        "ActionsEnabled": a.actions_enabled(),
        "AlarmActions": a.alarm_actions(),
        "OKActions": a.ok_actions(),
        "ComparisonOperator": a.comparison_operator().map(|c| c.as_str()),
        "Threshold": a.threshold(),
        "EvaluationPeriods": a.evaluation_periods(),
        "DatapointsToAlarm": a.datapoints_to_alarm(),
        "TreatMissingData": a.treat_missing_data(),
    });
    if a.metrics().is_empty() {
        doc["Namespace"] = json!(a.namespace());
        doc["MetricName"] = json!(a.metric_name());
        doc["Statistic"] = json!(a.statistic().map(|s| s.as_str()));
        doc["Period"] = json!(a.period());
    } else {
        let metrics: Vec<Value> = a
            .metrics()
            .iter()
            .map(|q| {
                let mut m = json!({ "Id": q.id(), "ReturnData": q.return_data().unwrap_or(true) });
                if let Some(e) = q.expression() {
                    m["Expression"] = json!(e);
                }
                if let Some(l) = q.label() {
                    m["Label"] = json!(l);
                }
                if let Some(stat) = q.metric_stat() {
                    let metric = stat.metric();
                    m["MetricStat"] = json!({
                        "Metric": {
                            "Namespace": metric.and_then(|x| x.namespace()),
                            "MetricName": metric.and_then(|x| x.metric_name()),
                            "Dimensions": metric.map(|x| x.dimensions().iter().map(|d| json!({
                                "Name": d.name(), "Value": d.value()
                            })).collect::<Vec<_>>()).unwrap_or_default(),
                        },
                        "Period": stat.period(),
                        "Stat": stat.stat(),
                    });
                }
                m
            })
            .collect();
        doc["Metrics"] = Value::from(metrics);
    }
    doc
}

fn tracking_document(
    c: &aws_sdk_applicationautoscaling::types::TargetTrackingScalingPolicyConfiguration,
) -> Value {
    let mut doc = json!({
        "TargetValue": c.target_value(),
        "ScaleOutCooldown": c.scale_out_cooldown(),
        "ScaleInCooldown": c.scale_in_cooldown(),
        "DisableScaleIn": c.disable_scale_in().unwrap_or(false),
    });
    if let Some(p) = c.predefined_metric_specification() {
        doc["PredefinedMetricSpecification"] =
            json!({ "PredefinedMetricType": p.predefined_metric_type().as_str() });
    }
    if let Some(m) = c.customized_metric_specification() {
        doc["CustomizedMetricSpecification"] = json!({
            "MetricName": m.metric_name(),
            "Namespace": m.namespace(),
            "Statistic": m.statistic().map(|s| s.as_str()),
        });
    }
    doc
}

/// AWS answers a missing policy or target with ObjectNotFoundException; moto (and a delete
/// retried after its first attempt landed) with ValidationException saying so. Either way
/// it is gone, which is what a delete wants.
fn already_gone(words: &'static str) -> impl Fn(AwsError) -> Result<(), AwsError> {
    move |e| {
        if e.to_string().contains(words) {
            Ok(())
        } else {
            Err(e)
        }
    }
}
