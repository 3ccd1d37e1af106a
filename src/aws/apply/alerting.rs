//! Alerting and scaling, after the service: the topic (tagged, with a policy that lets only
//! the stack's alarms and crash rule publish), its e-mail subscriptions, the alarms, the
//! crash rule with the topic as its one target, the log error filter, then the service's
//! scalable target and its target tracking policy. A part the profile no longer asks for
//! is removed. Each step's call is idempotent, so a run killed half way is finished by the
//! next one.

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic,
};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use aws_sdk_eventbridge::types::{InputTransformer, Target};
use serde_json::Value;

use super::stack_tags;
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::stack::StackSpec;
use crate::stack::alerting::{
    AlarmKind, CRASH_TARGET_ID, LOG_ERROR_PATTERN, crash_input, crash_pattern,
    log_error_transformation, topic_policy,
};
use crate::stack::desired::Desired;
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource};

pub(super) fn invalid(action: &'static str, why: impl ToString) -> AwsError {
    AwsError::Call {
        action,
        kind: ErrorKind::Invalid,
        code: None,
        message: Some(why.to_string()),
    }
}

impl AwsContext {
    pub(super) async fn apply_alerting(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        // Scaling goes first when it is removed, the topic last: nothing points at a
        // removed part for long. Otherwise the topic first: the rest points at it.
        self.apply_topic(spec, observed, plan, desired, progress)
            .await?;
        self.apply_subscriptions(spec, observed, plan, desired, progress)
            .await?;
        self.apply_alarms(spec, observed, plan, desired, progress)
            .await?;
        self.apply_crash_rule(spec, plan, desired, progress).await?;
        self.apply_log_filter(spec, plan, progress).await?;
        self.apply_scaling(spec, plan, progress).await?;
        if plan.action(Resource::AlertsTopic) == Action::Delete {
            // Alarms and the rule are gone by now (their plan rows said delete too).
            self.destroy_alerting_topic(spec, observed, progress)
                .await?;
        }
        Ok(())
    }

    pub(super) fn unchanged(&self, progress: &Progress, plan: &Plan, resource: Resource) -> bool {
        match plan.change(resource) {
            None => true,
            Some(c) if c.action == Action::Noop => {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource,
                        name: c.name.clone(),
                    },
                );
                true
            }
            Some(_) => false,
        }
    }

    async fn apply_topic(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let action = plan.action(Resource::AlertsTopic);
        if self.unchanged(progress, plan, Resource::AlertsTopic) || action == Action::Delete {
            return Ok(());
        }
        let name = spec.names.alerts_topic();
        step(progress, Resource::AlertsTopic, action, &name, async {
            let tags: Vec<aws_sdk_sns::types::Tag> = stack_tags(&spec.names.stack)
                .into_iter()
                .filter_map(|(k, v)| {
                    aws_sdk_sns::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .ok()
                })
                .collect();
            // CreateTopic returns the topic of that name if it exists with the same tags.
            let made = self
                .sns
                .create_topic()
                .name(&name)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sns:CreateTopic", e))?;
            let arn = made.topic_arn().unwrap_or(&desired.alerts.topic).to_owned();
            let policy = topic_policy(&desired.alerts, &observed.account_id, &observed.partition);
            self.sns
                .set_topic_attributes()
                .topic_arn(&arn)
                .attribute_name("Policy")
                .attribute_value(policy.to_string())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("sns:SetTopicAttributes", e))?;
            Ok((
                (),
                Some("only the stack's alarms and crash rule may publish".to_owned()),
            ))
        })
        .await
    }

    async fn apply_subscriptions(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let Some(change) = plan.change(Resource::EmailSubscriptions) else {
            return Ok(());
        };
        if self.unchanged(progress, plan, Resource::EmailSubscriptions) {
            return Ok(());
        }
        let wanted: Vec<String> = spec
            .monitoring
            .notifications
            .as_ref()
            .map(|n| n.emails.iter().map(|e| e.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        let live = &observed.alerting.emails;
        step(
            progress,
            Resource::EmailSubscriptions,
            change.action,
            &change.name,
            async {
                let mut asked = 0;
                for email in wanted.iter().filter(|e| !live.contains_key(*e)) {
                    self.sns
                        .subscribe()
                        .topic_arn(&desired.alerts.topic)
                        .protocol("email")
                        .endpoint(email)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("sns:Subscribe", e))?;
                    asked += 1;
                }
                for (email, sub) in live {
                    if let (false, Some(arn)) = (wanted.contains(email), &sub.arn) {
                        crate::aws::destroy::ignore_not_found(
                            self.sns
                                .unsubscribe()
                                .subscription_arn(arn)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| AwsError::from_sdk("sns:Unsubscribe", e)),
                        )?;
                    }
                }
                let detail = (asked > 0).then(|| {
                format!(
                    "AWS e-mailed {asked} address(es) a confirmation link: nothing reaches them \
                     until they click it"
                )
            });
                Ok(((), detail))
            },
        )
        .await
    }

    async fn apply_alarms(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let Some(change) = plan.change(Resource::Alarms) else {
            return Ok(());
        };
        if self.unchanged(progress, plan, Resource::Alarms) {
            return Ok(());
        }
        let wanted: Vec<Value> = match (spec.monitoring.alarms, &spec.monitoring.notifications) {
            (Some(settings), Some(_)) => AlarmKind::ALL
                .iter()
                .map(|k| {
                    crate::stack::alerting::alarm(
                        *k,
                        &spec.names,
                        spec.cluster.name(),
                        &spec.work_pool,
                        settings,
                        &desired.alerts.topic,
                    )
                })
                .collect(),
            _ => vec![],
        };
        step(
            progress,
            Resource::Alarms,
            change.action,
            &change.name,
            async {
                for doc in &wanted {
                    let name = doc["AlarmName"].as_str().unwrap_or_default();
                    let same =
                        observed.alerting.alarms.get(name).is_some_and(|have| {
                            crate::stack::alerting_differing(doc, have).is_empty()
                        });
                    if !same {
                        self.put_alarm(spec, doc).await?;
                    }
                }
                let extra: Vec<String> = observed
                    .alerting
                    .alarms
                    .keys()
                    .filter(|n| !wanted.iter().any(|d| d["AlarmName"] == n.as_str()))
                    .cloned()
                    .collect();
                if !extra.is_empty() {
                    self.cloudwatch
                        .delete_alarms()
                        .set_alarm_names(Some(extra))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("cloudwatch:DeleteAlarms", e))?;
                }
                Ok(((), None))
            },
        )
        .await
    }

    async fn put_alarm(&self, spec: &StackSpec, doc: &Value) -> Result<(), AwsError> {
        const ACTION: &str = "cloudwatch:PutMetricAlarm";
        let s = |key: &str| doc[key].as_str().unwrap_or_default().to_owned();
        let n = |key: &str| doc[key].as_i64().and_then(|v| i32::try_from(v).ok());
        let mut request = self
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(s("AlarmName"))
            .alarm_description(s("AlarmDescription"))
            .actions_enabled(true)
            .comparison_operator(ComparisonOperator::from(s("ComparisonOperator").as_str()))
            .threshold(doc["Threshold"].as_f64().unwrap_or_default())
            .set_evaluation_periods(n("EvaluationPeriods"))
            .set_datapoints_to_alarm(n("DatapointsToAlarm"))
            .treat_missing_data(s("TreatMissingData"));
        for key in ["AlarmActions", "OKActions"] {
            for arn in doc[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                request = if key == "AlarmActions" {
                    request.alarm_actions(arn)
                } else {
                    request.ok_actions(arn)
                };
            }
        }
        if let Some(metrics) = doc["Metrics"].as_array() {
            for m in metrics {
                let mut query = MetricDataQuery::builder()
                    .id(m["Id"].as_str().unwrap_or_default())
                    .return_data(m["ReturnData"].as_bool().unwrap_or(false));
                if let Some(e) = m["Expression"].as_str() {
                    query = query.expression(e);
                }
                if let Some(l) = m["Label"].as_str() {
                    query = query.label(l);
                }
                if let Some(stat) = m.get("MetricStat") {
                    let metric = &stat["Metric"];
                    let mut built = Metric::builder()
                        .namespace(metric["Namespace"].as_str().unwrap_or_default())
                        .metric_name(metric["MetricName"].as_str().unwrap_or_default());
                    for d in metric["Dimensions"].as_array().into_iter().flatten() {
                        built = built.dimensions(
                            Dimension::builder()
                                .name(d["Name"].as_str().unwrap_or_default())
                                .value(d["Value"].as_str().unwrap_or_default())
                                .build(),
                        );
                    }
                    query = query.metric_stat(
                        MetricStat::builder()
                            .metric(built.build())
                            .set_period(stat["Period"].as_i64().and_then(|p| i32::try_from(p).ok()))
                            .stat(stat["Stat"].as_str().unwrap_or("Average"))
                            .build(),
                    );
                }
                request = request.metrics(query.build());
            }
        } else {
            request = request
                .namespace(s("Namespace"))
                .metric_name(s("MetricName"))
                .statistic(Statistic::from(s("Statistic").as_str()))
                .set_period(n("Period"));
        }
        for (k, v) in stack_tags(&spec.names.stack) {
            request = request.tags(
                aws_sdk_cloudwatch::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build(),
            );
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ACTION, e))
    }

    async fn apply_crash_rule(
        &self,
        spec: &StackSpec,
        plan: &Plan,
        desired: &Desired,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let Some(change) = plan.change(Resource::CrashRule) else {
            return Ok(());
        };
        if self.unchanged(progress, plan, Resource::CrashRule) {
            return Ok(());
        }
        let name = spec.names.crash_rule();
        if change.action == Action::Delete {
            return step(
                progress,
                Resource::CrashRule,
                Action::Delete,
                &name,
                async {
                    self.remove_rule(&name, &[CRASH_TARGET_ID.to_owned()])
                        .await?;
                    Ok(((), None))
                },
            )
            .await;
        }
        step(progress, Resource::CrashRule, change.action, &name, async {
            let (paths, template) = crash_input(&spec.names, &spec.work_pool);
            let paths: HashMap<String, String> = paths
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let input = InputTransformer::builder()
                .set_input_paths_map(Some(paths))
                .input_template(template)
                .build()
                .map_err(|e| invalid("events:PutTargets", e))?;
            let target = Target::builder()
                .id(CRASH_TARGET_ID)
                .arn(&desired.alerts.topic)
                .input_transformer(input)
                .build()
                .map_err(|e| invalid("events:PutTargets", e))?;
            self.put_rule_with_target(
                spec,
                &name,
                format!(
                    "flow-run tasks of {} that exit non-zero, to the prefect-tui stack {}'s topic",
                    spec.cluster.name(),
                    spec.names.stack
                ),
                crash_pattern(&desired.cluster_arn).to_string(),
                target,
            )
            .await?;
            Ok((
                (),
                Some("a flow run's task that exits non-zero is e-mailed, in words".to_owned()),
            ))
        })
        .await
    }

    async fn apply_log_filter(
        &self,
        spec: &StackSpec,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let Some(change) = plan.change(Resource::LogErrorFilter) else {
            return Ok(());
        };
        if self.unchanged(progress, plan, Resource::LogErrorFilter) {
            return Ok(());
        }
        let name = spec.names.log_error_filter();
        let group = spec.names.log_group();
        step(
            progress,
            Resource::LogErrorFilter,
            change.action,
            &name,
            async {
                if change.action == Action::Delete {
                    crate::aws::destroy::ignore_not_found(
                        self.logs
                            .delete_metric_filter()
                            .log_group_name(&group)
                            .filter_name(&name)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| AwsError::from_sdk("logs:DeleteMetricFilter", e)),
                    )?;
                    return Ok(((), None));
                }
                let t = log_error_transformation(&spec.names);
                let transformation = MetricTransformation::builder()
                    .metric_name(t["metricName"].as_str().unwrap_or_default())
                    .metric_namespace(t["metricNamespace"].as_str().unwrap_or_default())
                    .metric_value(t["metricValue"].as_str().unwrap_or("1"))
                    .build()
                    .map_err(|e| invalid("logs:PutMetricFilter", e))?;
                self.logs
                    .put_metric_filter()
                    .log_group_name(&group)
                    .filter_name(&name)
                    .filter_pattern(LOG_ERROR_PATTERN)
                    .metric_transformations(transformation)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("logs:PutMetricFilter", e))?;
                Ok(((), None))
            },
        )
        .await
    }
}
