//! A flow-run task the worker started: where it ran (subnets, security groups, public
//! address), with which roles, how it stopped, and its log lines, as ECS, EC2 and
//! CloudWatch Logs report them. Only reads.

use serde::Serialize;

use super::{AwsContext, AwsError};

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RunTask {
    pub arn: String,
    pub id: String,
    pub last_status: String,
    pub task_definition_arn: String,
    pub subnets: Vec<String>,
    /// From the task's network interface, where EC2 knows it.
    pub security_groups: Vec<String>,
    pub public_ip: Option<String>,
    pub execution_role: Option<String>,
    pub task_role: Option<String>,
    pub exit_code: Option<i32>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub container_reason: Option<String>,
    /// Where its container logs: group and stream, from the task definition.
    pub log_group: Option<String>,
    pub log_stream: Option<String>,
}

impl AwsContext {
    /// The task, or `None` when ECS does not know it (any more).
    pub async fn run_task(&self, cluster: &str, arn: &str) -> Result<Option<RunTask>, AwsError> {
        let found = self
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .tasks(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeTasks", e))?;
        let Some(t) = found.tasks().first() else {
            return Ok(None);
        };
        let detail = |name: &str| {
            t.attachments()
                .iter()
                .flat_map(|a| a.details())
                .filter(|d| d.name() == Some(name))
                .filter_map(|d| d.value().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let container = t.containers().first();
        let mut task = RunTask {
            arn: t.task_arn().unwrap_or(arn).to_owned(),
            id: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
            last_status: t.last_status().unwrap_or_default().to_owned(),
            task_definition_arn: t.task_definition_arn().unwrap_or_default().to_owned(),
            subnets: detail("subnetId"),
            task_role: t
                .overrides()
                .and_then(|o| o.task_role_arn())
                .map(str::to_owned),
            exit_code: container
                .and_then(|c| c.exit_code())
                .filter(|_| t.last_status() == Some("STOPPED")),
            stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
            stopped_reason: t.stopped_reason().map(str::to_owned),
            container_reason: container
                .and_then(|c| c.reason())
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            ..RunTask::default()
        };
        let container_name = container.and_then(|c| c.name()).map(str::to_owned);
        // The rest is detail: a failure to read it leaves it unknown, never the task.
        if let Ok(td) = self
            .ecs
            .describe_task_definition()
            .task_definition(&task.task_definition_arn)
            .send()
            .await
            && let Some(def) = td.task_definition()
        {
            task.execution_role = def.execution_role_arn().map(str::to_owned);
            if task.task_role.is_none() {
                task.task_role = def.task_role_arn().map(str::to_owned);
            }
            let logged = def
                .container_definitions()
                .iter()
                .find(|c| container_name.is_none() || c.name() == container_name.as_deref());
            if let Some(c) = logged
                && let Some(options) = c.log_configuration().and_then(|l| l.options())
            {
                task.log_group = options.get("awslogs-group").cloned();
                task.log_stream = options
                    .get("awslogs-stream-prefix")
                    .map(|prefix| format!("{prefix}/{}/{}", c.name().unwrap_or_default(), task.id));
            }
        }
        if let Some(eni) = detail("networkInterfaceId").first()
            && let Ok(found) = self
                .ec2
                .describe_network_interfaces()
                .network_interface_ids(eni)
                .send()
                .await
            && let Some(interface) = found.network_interfaces().first()
        {
            task.security_groups = interface
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_owned))
                .collect();
            task.public_ip = interface
                .association()
                .and_then(|a| a.public_ip())
                .map(str::to_owned);
        }
        Ok(Some(task))
    }

    /// The last `limit` lines of a log stream, oldest first; none when it does not exist.
    pub async fn stream_tail(
        &self,
        group: &str,
        stream: &str,
        limit: i32,
    ) -> Result<Vec<String>, AwsError> {
        match self
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(false)
            .limit(limit)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:GetLogEvents", e))
        {
            Ok(found) => Ok(found
                .events()
                .iter()
                .filter_map(|e| e.message().map(str::to_owned))
                .collect()),
            Err(e) if e.kind() == super::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }
}
