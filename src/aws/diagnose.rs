//! Gathers what explains a worker that did not come online: the service's stopped tasks,
//! its latest events, and the last log lines of its newest task.

use aws_sdk_ecs::types::DesiredStatus;

use super::{AwsContext, AwsError};
use crate::stack::StackSpec;
use crate::stack::diagnosis::{StoppedTask, advise, quoted_log_lines};
use crate::stack::names::{CONTAINER_NAME, LOG_STREAM_PREFIX};

/// How many log lines a diagnosis quotes.
const QUOTED_LINES: usize = 12;

impl AwsContext {
    /// The service's stopped tasks, newest first.
    pub async fn stopped_tasks(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<StoppedTask>, AwsError> {
        let mut tasks: Vec<_> = self
            .describe_service_tasks(cluster, service, DesiredStatus::Stopped)
            .await?
            .into_iter()
            .filter(|t| t.last_status() == Some("STOPPED"))
            .collect();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at().map(|d| d.secs())));
        Ok(tasks
            .into_iter()
            .map(|t| {
                let container = t.containers().first();
                StoppedTask {
                    task_id: t
                        .task_arn()
                        .and_then(|a| a.rsplit('/').next())
                        .unwrap_or_default()
                        .to_owned(),
                    stopped_reason: t.stopped_reason().unwrap_or_default().to_owned(),
                    container_reason: container.and_then(|c| c.reason()).map(str::to_owned),
                    exit_code: container.and_then(|c| c.exit_code()),
                }
            })
            .collect())
    }

    /// The last lines the worker container of `task_id` wrote to CloudWatch Logs.
    pub async fn last_log_lines(
        &self,
        spec: &StackSpec,
        task_id: &str,
    ) -> Result<Vec<String>, AwsError> {
        let stream = format!("{LOG_STREAM_PREFIX}/{CONTAINER_NAME}/{task_id}");
        let out = self
            .logs
            .get_log_events()
            .log_group_name(spec.names.log_group())
            .log_stream_name(stream)
            .start_from_head(false)
            .limit(QUOTED_LINES as i32)
            .send()
            .await;
        match out {
            Ok(out) => Ok(out
                .events()
                .iter()
                .filter_map(|e| e.message().map(|m| m.trim_end().to_owned()))
                .collect()),
            // A task that never started has no stream.
            Err(e) => match AwsError::from_sdk("logs:GetLogEvents", e) {
                e if e.kind() == super::ErrorKind::NotFound => Ok(Vec::new()),
                e => Err(e),
            },
        }
    }

    /// The newest running task of the service, if any.
    async fn newest_running_task(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<String>, AwsError> {
        Ok(self
            .service_tasks(cluster, service)
            .await?
            .last()
            .and_then(|arn| arn.rsplit('/').next().map(str::to_owned)))
    }

    /// Advice, in order of usefulness, for a worker that did not come online.
    pub async fn diagnose(&self, spec: &StackSpec) -> Result<Vec<String>, AwsError> {
        let cluster = spec.cluster.name();
        let service = spec.names.service();
        let mut advice = Vec::new();
        let stopped = self.stopped_tasks(cluster, &service).await?;
        let quoted_task = match stopped.first() {
            Some(task) => {
                // Several tasks usually stop for the same reason: say each reason once.
                let mut seen = Vec::new();
                for t in stopped.iter().take(3) {
                    let text = advise(t);
                    let key = text.replace(&t.task_id, "");
                    if !seen.contains(&key) {
                        seen.push(key);
                        advice.push(text);
                    }
                }
                Some(task.task_id.clone())
            }
            None => {
                let running = self.newest_running_task(cluster, &service).await?;
                match &running {
                    Some(id) => advice.push(format!(
                        "Task {id} is running, but its worker has not reached the Prefect API: check \
                         prefect.api_url in the profile and that the subnets can reach it."
                    )),
                    None => {
                        advice.push("No task of the service has started yet. The service's latest events:".to_owned());
                        advice.extend(self.service_events(cluster, &service).await?);
                    }
                }
                running
            }
        };
        if let Some(task_id) = quoted_task {
            let lines = self.last_log_lines(spec, &task_id).await?;
            advice.extend(quoted_log_lines(&task_id, &spec.names.log_group(), lines));
        }
        Ok(advice)
    }

    async fn service_events(&self, cluster: &str, service: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeServices", e))?;
        Ok(out
            .services()
            .first()
            .map(|s| {
                s.events()
                    .iter()
                    .take(5)
                    .filter_map(|e| e.message().map(|m| format!("    | {m}")))
                    .collect()
            })
            .unwrap_or_default())
    }
}
