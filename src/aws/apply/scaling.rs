//! The worker service's scaling, after the alerting: its scalable target (the profile's
//! bounds) and its target tracking policy (the backlog per worker, or the CPU). A profile
//! that no longer scales has the policy removed, then the target; the service keeps the
//! count it has. Each call is idempotent, so a run killed half way is finished by the next.

use aws_sdk_applicationautoscaling::types::{
    CustomizedMetricSpecification, MetricStatistic, MetricType, PolicyType,
    PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::alerting::invalid;
use crate::aws::{AwsContext, AwsError};
use crate::ops::progress::{Progress, step};
use crate::stack::StackSpec;
use crate::stack::alerting::{ScalingTarget, scalable_resource_id};
use crate::stack::plan::{Action, Plan, Resource};

impl AwsContext {
    pub(super) async fn apply_scaling(
        &self,
        spec: &StackSpec,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let resource_id = scalable_resource_id(spec.cluster.name(), &spec.names.service());
        let policy_name = spec.names.scaling_policy();
        let dimension = ScalableDimension::EcsServiceDesiredCount;
        // Removal: the policy, then the target.
        if plan.action(Resource::ScalingPolicy) == Action::Delete {
            step(
                progress,
                Resource::ScalingPolicy,
                Action::Delete,
                &policy_name,
                async {
                    self.delete_scaling_policy(&resource_id, &policy_name)
                        .await?;
                    Ok(((), None))
                },
            )
            .await?;
        }
        if plan.action(Resource::ScalableTarget) == Action::Delete {
            step(
                progress,
                Resource::ScalableTarget,
                Action::Delete,
                &resource_id,
                async {
                    self.deregister_scalable_target(&resource_id).await?;
                    Ok(((), Some("the service keeps its current count".to_owned())))
                },
            )
            .await?;
        }
        let Some(scaling) = spec.monitoring.scaling else {
            return Ok(());
        };
        if !self.unchanged(progress, plan, Resource::ScalableTarget) {
            let action = plan.action(Resource::ScalableTarget);
            step(
                progress,
                Resource::ScalableTarget,
                action,
                &resource_id,
                async {
                    self.autoscaling
                        .register_scalable_target()
                        .service_namespace(ServiceNamespace::Ecs)
                        .resource_id(&resource_id)
                        .scalable_dimension(dimension.clone())
                        .min_capacity(i32::try_from(scaling.min).unwrap_or(1))
                        .max_capacity(i32::try_from(scaling.max).unwrap_or(1))
                        .send()
                        .await
                        .map_err(|e| {
                            AwsError::from_sdk("application-autoscaling:RegisterScalableTarget", e)
                        })?;
                    Ok((
                        (),
                        Some(format!("{} to {} workers", scaling.min, scaling.max)),
                    ))
                },
            )
            .await?;
        }
        if self.unchanged(progress, plan, Resource::ScalingPolicy) {
            return Ok(());
        }
        let action = plan.action(Resource::ScalingPolicy);
        step(
            progress,
            Resource::ScalingPolicy,
            action,
            &policy_name,
            async {
                let (config, said) = tracking_configuration(spec, scaling.target)?;
                self.autoscaling
                    .put_scaling_policy()
                    .policy_name(&policy_name)
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(&resource_id)
                    .scalable_dimension(dimension.clone())
                    .policy_type(PolicyType::TargetTrackingScaling)
                    .target_tracking_scaling_policy_configuration(config)
                    .send()
                    .await
                    .map_err(|e| {
                        AwsError::from_sdk("application-autoscaling:PutScalingPolicy", e)
                    })?;
                Ok(((), Some(said)))
            },
        )
        .await
    }
}

/// `stack::alerting::scaling_configuration` as the SDK's type, and its words.
fn tracking_configuration(
    spec: &StackSpec,
    target: ScalingTarget,
) -> Result<(TargetTrackingScalingPolicyConfiguration, String), AwsError> {
    const ACTION: &str = "application-autoscaling:PutScalingPolicy";
    let doc = crate::stack::alerting::scaling_configuration(&spec.names, target);
    let int = |key: &str| doc[key].as_i64().and_then(|v| i32::try_from(v).ok());
    let mut config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(doc["TargetValue"].as_f64().unwrap_or_default())
        .set_scale_out_cooldown(int("ScaleOutCooldown"))
        .set_scale_in_cooldown(int("ScaleInCooldown"))
        .disable_scale_in(false);
    let said = match target {
        ScalingTarget::BacklogPerWorker(n) => {
            let m = &doc["CustomizedMetricSpecification"];
            config = config.customized_metric_specification(
                CustomizedMetricSpecification::builder()
                    .metric_name(m["MetricName"].as_str().unwrap_or_default())
                    .namespace(m["Namespace"].as_str().unwrap_or_default())
                    .statistic(MetricStatistic::Average)
                    .build(),
            );
            format!("holds {n} due flow run(s) per online worker")
        }
        ScalingTarget::CpuPercent(p) => {
            config = config.predefined_metric_specification(
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                    .build()
                    .map_err(|e| invalid(ACTION, e))?,
            );
            format!("holds the workers' average CPU at {p}%")
        }
    };
    Ok((config.build().map_err(|e| invalid(ACTION, e))?, said))
}
