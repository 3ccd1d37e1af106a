//! What the monitor says about scaling: the bounds Application Auto Scaling holds the
//! service to, the pool's backlog and online workers as the stack's metrics sidecar last
//! published them, and the latest scaling activity in words. Each part is read on its own,
//! so one that cannot be read (an endpoint without DescribeScalingActivities, a role
//! without cloudwatch:GetMetricStatistics) is said and the others still show.

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::Statistic;
use aws_smithy_types::DateTime;

use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::stack::StackSpec;
use crate::stack::alerting::{
    BACKLOG_METRIC, ONLINE_WORKERS_METRIC, ScalingTarget, scalable_resource_id,
};

/// How far back the latest published figure is looked for: the sidecar publishes every
/// minute, so ten minutes without one means it is not publishing.
const RECENT_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct ScalingView {
    /// What the profile asks for: `(min, max, what it follows)`; `None` without [scaling].
    pub wanted: Option<(u32, u32, String)>,
    /// The registered bounds; `Ok(None)`: no scalable target (someone removed it).
    pub bounds: Result<Option<(i32, i32)>, String>,
    /// The latest published backlog and online workers, each with its time.
    pub backlog: Result<Option<(i64, f64)>, String>,
    pub online: Result<Option<(i64, f64)>, String>,
    /// The latest activity: its time and its words.
    pub last_activity: Result<Option<(i64, String)>, String>,
}

/// The words for a read that failed, short enough for a pane.
fn unreadable(e: &AwsError, call: &str) -> String {
    match e {
        AwsError::Call {
            kind: ErrorKind::AccessDenied,
            ..
        } => format!("not allowed ({call})"),
        AwsError::Call {
            kind: ErrorKind::Unreachable,
            ..
        } => "unreachable".to_owned(),
        _ => "not served by this endpoint".to_owned(),
    }
}

impl AwsContext {
    /// The scaling view of the stack; `None` when the stack neither scales nor publishes.
    pub async fn scaling_view(&self, spec: &StackSpec, now: i64) -> Option<ScalingView> {
        let monitoring = &spec.monitoring;
        if monitoring.scaling.is_none() && !monitoring.sidecar() {
            return None;
        }
        let wanted = monitoring.scaling.map(|s| {
            let on = match s.target {
                ScalingTarget::BacklogPerWorker(n) => format!("backlog, {n} per worker"),
                ScalingTarget::CpuPercent(p) => format!("cpu {p}%"),
            };
            (s.min, s.max, on)
        });
        let resource = scalable_resource_id(spec.cluster.name(), &spec.names.service());
        let (bounds, last_activity, backlog, online) = tokio::join!(
            async {
                if wanted.is_none() {
                    return Ok(None);
                }
                self.observe_scalable_target(&resource)
                    .await
                    .map_err(|e| unreadable(&e, "application-autoscaling:DescribeScalableTargets"))
            },
            async {
                if wanted.is_none() {
                    return Ok(None);
                }
                self.last_scaling_activity(&resource).await.map_err(|e| {
                    unreadable(&e, "application-autoscaling:DescribeScalingActivities")
                })
            },
            self.latest_stack_metric(spec, BACKLOG_METRIC, now),
            self.latest_stack_metric(spec, ONLINE_WORKERS_METRIC, now),
        );
        Some(ScalingView {
            wanted,
            bounds,
            backlog,
            online,
            last_activity,
        })
    }

    async fn last_scaling_activity(
        &self,
        resource: &str,
    ) -> Result<Option<(i64, String)>, AwsError> {
        let out = self
            .autoscaling
            .describe_scaling_activities()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .max_results(1)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk("application-autoscaling:DescribeScalingActivities", e)
            })?;
        Ok(out.scaling_activities().first().map(|a| {
            (
                a.start_time().secs(),
                format!("{} ({})", a.description(), a.status_code().as_str()),
            )
        }))
    }

    /// The newest value of one of the sidecar's metrics in the last ten minutes.
    async fn latest_stack_metric(
        &self,
        spec: &StackSpec,
        metric: &str,
        now: i64,
    ) -> Result<Option<(i64, f64)>, String> {
        let out = self
            .cloudwatch
            .get_metric_statistics()
            .namespace(spec.names.metrics_namespace())
            .metric_name(metric)
            .start_time(DateTime::from_secs(now - RECENT_SECS))
            .end_time(DateTime::from_secs(now + 60))
            .period(60)
            .statistics(Statistic::Maximum)
            .send()
            .await
            .map_err(|e| {
                let e = AwsError::from_sdk("cloudwatch:GetMetricStatistics", e);
                unreadable(&e, "cloudwatch:GetMetricStatistics")
            })?;
        Ok(out
            .datapoints()
            .iter()
            .filter_map(|d| Some((d.timestamp()?.secs(), d.maximum()?)))
            .max_by_key(|(t, _)| *t))
    }
}
