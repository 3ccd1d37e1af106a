//! The worker service's CPU and memory over the last hour, from CloudWatch's `AWS/ECS`
//! namespace (one data point a minute, averaged over the service's tasks): what the
//! monitor draws as small charts. An endpoint with no data answers with empty series, which
//! the monitor says in words; nothing here decides how that reads.

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;

use crate::aws::{AwsContext, AwsError};
use crate::stack::StackSpec;

/// How far back the charts reach, and the width of one data point.
pub const WINDOW_SECS: i64 = 60 * 60;
pub const PERIOD_SECS: i32 = 60;

/// Percent values, oldest first, each with its time (seconds since the epoch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceMetrics {
    pub cpu: Vec<(i64, f64)>,
    pub memory: Vec<(i64, f64)>,
}

impl ServiceMetrics {
    pub fn is_empty(&self) -> bool {
        self.cpu.is_empty() && self.memory.is_empty()
    }
}

fn query(id: &str, metric: &str, spec: &StackSpec) -> MetricDataQuery {
    let dimension =
        |name: &str, value: String| Dimension::builder().name(name).value(value).build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/ECS")
                        .metric_name(metric)
                        .dimensions(dimension("ClusterName", spec.cluster.name().to_owned()))
                        .dimensions(dimension("ServiceName", spec.names.service()))
                        .build(),
                )
                .period(PERIOD_SECS)
                .stat("Average")
                .build(),
        )
        .return_data(true)
        .build()
}

impl AwsContext {
    /// CPUUtilization and MemoryUtilization of the stack's service, `now` minus an hour
    /// to `now` (seconds since the epoch).
    pub async fn service_metrics(
        &self,
        spec: &StackSpec,
        now: i64,
    ) -> Result<ServiceMetrics, AwsError> {
        let pages: Vec<_> = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query("cpu", "CPUUtilization", spec))
            .metric_data_queries(query("memory", "MemoryUtilization", spec))
            .start_time(DateTime::from_secs(now - WINDOW_SECS))
            .end_time(DateTime::from_secs(now))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("cloudwatch:GetMetricData", e))?;
        let mut metrics = ServiceMetrics::default();
        for result in pages.iter().flat_map(|p| p.metric_data_results()) {
            let series = match result.id() {
                Some("cpu") => &mut metrics.cpu,
                Some("memory") => &mut metrics.memory,
                _ => continue,
            };
            series.extend(
                result
                    .timestamps()
                    .iter()
                    .map(DateTime::secs)
                    .zip(result.values().iter().copied()),
            );
        }
        // Pages and endpoints differ in order; the charts read oldest first.
        metrics.cpu.sort_by_key(|(t, _)| *t);
        metrics.memory.sort_by_key(|(t, _)| *t);
        Ok(metrics)
    }
}
