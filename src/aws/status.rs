//! The service and its tasks as ECS reports them, in batched calls: one DescribeServices,
//! the task lists, and DescribeTasks for up to 100 tasks per call. Shared by `status` and
//! the monitor. `metrics` reads the service's CPU and memory from CloudWatch for the
//! monitor's charts.

pub mod metrics;
pub mod scaling;

use aws_sdk_ecs::types::DesiredStatus;
use serde::Serialize;

use super::{AwsContext, AwsError};
use crate::stack::StackSpec;
use crate::stack::diagnosis::{StoppedTask, advise, explained_by_its_logs, where_its_logs_are};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentStatus {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// `family:revision`.
    pub task_definition: String,
    pub rollout_state: Option<String>,
    /// Why the rollout is in its state (the circuit breaker's words when it FAILED).
    pub rollout_state_reason: Option<String>,
    /// The full ARN of `task_definition`.
    pub task_definition_arn: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub deployments: Vec<DeploymentStatus>,
    /// Newest first: (RFC 3339 time, message).
    pub events: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskStatus {
    pub id: String,
    pub last_status: String,
    pub desired_status: String,
    pub health: String,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    pub az: Option<String>,
    /// The essential container's image, as the task runs it.
    pub image: Option<String>,
    /// From the task's elastic network interface attachment.
    pub private_ip: Option<String>,
    /// The interface's public address (EC2 knows it, ECS does not); `None` without one.
    pub public_ip: Option<String>,
    pub network_interface: Option<String>,
    /// The essential container's exit code and ECS's reason for it, once it stopped.
    pub exit_code: Option<i32>,
    pub container_reason: Option<String>,
    /// `family:revision`.
    pub task_definition: String,
    pub stopped_reason: Option<String>,
    /// For stopped tasks: what the reason means, in words.
    pub advice: Option<String>,
}

#[cfg(test)]
impl TaskStatus {
    /// A healthy task of revision `w:1` with nothing else known, for the screens' tests.
    pub(crate) fn healthy(id: &str, last_status: &str) -> Self {
        Self {
            id: id.into(),
            last_status: last_status.into(),
            desired_status: last_status.into(),
            health: "HEALTHY".into(),
            started_at: None,
            stopped_at: None,
            az: None,
            image: None,
            private_ip: None,
            public_ip: None,
            network_interface: None,
            exit_code: None,
            container_reason: None,
            task_definition: "w:1".into(),
            stopped_reason: None,
            advice: None,
        }
    }
}

fn revision_of(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

/// A value of the task's elastic network interface attachment (awsvpc tasks have one).
fn attachment_detail(task: &aws_sdk_ecs::types::Task, name: &str) -> Option<String> {
    task.attachments()
        .iter()
        .filter(|a| a.r#type() == Some("ElasticNetworkInterface"))
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some(name))
        .and_then(|d| d.value())
        .map(str::to_owned)
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

impl AwsContext {
    /// The service's tasks with the given desired status, described in batches of 100
    /// (DescribeTasks' limit). Filters on the task's group as well, because the emulator's
    /// ListTasks ignores `serviceName`. A missing cluster or service means no tasks.
    pub async fn describe_service_tasks(
        &self,
        cluster: &str,
        service: &str,
        desired: DesiredStatus,
    ) -> Result<Vec<aws_sdk_ecs::types::Task>, AwsError> {
        let group = format!("service:{service}");
        Ok(self
            .describe_cluster_tasks(cluster, Some(service), desired)
            .await?
            .into_iter()
            .filter(|t| t.group() == Some(group.as_str()))
            .collect())
    }

    /// The cluster's tasks of one desired status (only the service's, where ECS honours
    /// `serviceName`; moto does not, so callers filter by group), described.
    async fn describe_cluster_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> Result<Vec<aws_sdk_ecs::types::Task>, AwsError> {
        let listed: Result<Vec<String>, _> = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .set_service_name(service.map(str::to_owned))
            .desired_status(desired)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let arns = match listed.map_err(|e| AwsError::from_sdk("ecs:ListTasks", e)) {
            Ok(arns) => arns,
            Err(e) if e.kind() == super::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut tasks = Vec::new();
        for batch in arns.chunks(100) {
            let out = self
                .ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:DescribeTasks", e))?;
            tasks.extend(out.tasks().iter().cloned());
        }
        Ok(tasks)
    }

    /// ARNs of the flow-run tasks the pool's workers started in `cluster` that have not
    /// stopped: RunTask tasks of the pool's families (`family:prefect_<pool>_...`).
    pub async fn flow_run_tasks(&self, cluster: &str, pool: &str) -> Result<Vec<String>, AwsError> {
        let group = format!("family:prefect_{pool}_");
        Ok(self
            .describe_cluster_tasks(cluster, None, DesiredStatus::Running)
            .await?
            .iter()
            .filter(|t| t.group().is_some_and(|g| g.starts_with(&group)))
            .filter(|t| t.last_status() != Some("STOPPED"))
            .filter_map(|t| t.task_arn().map(str::to_owned))
            .collect())
    }

    /// ARNs of the service's tasks that have not stopped.
    pub async fn service_tasks(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<String>, AwsError> {
        Ok(self
            .describe_service_tasks(cluster, service, DesiredStatus::Running)
            .await?
            .iter()
            .filter(|t| t.last_status() != Some("STOPPED"))
            .filter_map(|t| t.task_arn().map(str::to_owned))
            .collect())
    }

    /// The service, or `None` when it does not exist (or is deleted).
    pub async fn service_status(
        &self,
        spec: &StackSpec,
    ) -> Result<Option<ServiceStatus>, AwsError> {
        let out = self
            .ecs
            .describe_services()
            .cluster(spec.cluster.name())
            .services(spec.names.service())
            .send()
            .await;
        let out = match out.map_err(|e| AwsError::from_sdk("ecs:DescribeServices", e)) {
            Ok(out) => out,
            Err(e) if e.kind() == super::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(s) = out
            .services()
            .first()
            .filter(|s| s.status() != Some("INACTIVE"))
        else {
            return Ok(None);
        };
        Ok(Some(ServiceStatus {
            name: s.service_name().unwrap_or_default().to_owned(),
            status: s.status().unwrap_or_default().to_owned(),
            desired: s.desired_count(),
            running: s.running_count(),
            pending: s.pending_count(),
            deployments: s
                .deployments()
                .iter()
                .map(|d| DeploymentStatus {
                    id: d.id().unwrap_or_default().to_owned(),
                    status: d.status().unwrap_or_default().to_owned(),
                    task_definition: revision_of(d.task_definition().unwrap_or_default()),
                    rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                    rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                    task_definition_arn: d.task_definition().unwrap_or_default().to_owned(),
                    desired: d.desired_count(),
                    running: d.running_count(),
                    pending: d.pending_count(),
                })
                .collect(),
            events: s
                .events()
                .iter()
                .take(10)
                .map(|e| {
                    (
                        time(e.created_at()).unwrap_or_default(),
                        e.message().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        }))
    }

    /// The service's tasks, running ones first, then the most recently stopped.
    pub async fn task_statuses(
        &self,
        spec: &StackSpec,
        stopped_limit: usize,
    ) -> Result<Vec<TaskStatus>, AwsError> {
        let cluster = spec.cluster.name();
        let service = spec.names.service();
        let mut tasks = self
            .describe_service_tasks(cluster, &service, DesiredStatus::Running)
            .await?;
        tasks.extend(
            self.describe_service_tasks(cluster, &service, DesiredStatus::Stopped)
                .await?,
        );
        let mut running: Vec<_> = tasks
            .iter()
            .filter(|t| t.last_status() != Some("STOPPED"))
            .collect();
        running.sort_by_key(|t| t.started_at().map(|d| d.secs()));
        let mut stopped: Vec<_> = tasks
            .iter()
            .filter(|t| t.last_status() == Some("STOPPED"))
            .collect();
        stopped.sort_by_key(|t| std::cmp::Reverse(t.stopped_at().map(|d| d.secs())));
        stopped.truncate(stopped_limit);
        let mut statuses: Vec<TaskStatus> = running
            .into_iter()
            .chain(stopped)
            .map(|t| {
                let id = t
                    .task_arn()
                    .and_then(|a| a.rsplit('/').next())
                    .unwrap_or_default()
                    .to_owned();
                let container = t.containers().first();
                let stopped = t.last_status() == Some("STOPPED");
                let advice = stopped.then(|| {
                    let task = StoppedTask {
                        task_id: id.clone(),
                        stopped_reason: t.stopped_reason().unwrap_or_default().to_owned(),
                        container_reason: container.and_then(|c| c.reason()).map(str::to_owned),
                        exit_code: container.and_then(|c| c.exit_code()),
                    };
                    // Status quotes no log lines: it says where they are instead.
                    if explained_by_its_logs(&task) {
                        format!(
                            "{} {}",
                            advise(&task),
                            where_its_logs_are(&id, &spec.names.log_group())
                        )
                    } else {
                        advise(&task)
                    }
                });
                TaskStatus {
                    last_status: t.last_status().unwrap_or_default().to_owned(),
                    desired_status: t.desired_status().unwrap_or_default().to_owned(),
                    health: t
                        .health_status()
                        .map(|h| h.as_str().to_owned())
                        .unwrap_or_else(|| "UNKNOWN".to_owned()),
                    started_at: time(t.started_at()),
                    stopped_at: time(t.stopped_at()),
                    image: container.and_then(|c| c.image()).map(str::to_owned),
                    private_ip: attachment_detail(t, "privateIPv4Address"),
                    public_ip: None,
                    network_interface: attachment_detail(t, "networkInterfaceId"),
                    // Only a stopped container has an exit code (the emulator says 0 for a
                    // running one); empty reasons are no reasons.
                    exit_code: container.and_then(|c| c.exit_code()).filter(|_| stopped),
                    container_reason: container
                        .and_then(|c| c.reason())
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned),
                    az: t.availability_zone().map(str::to_owned),
                    task_definition: revision_of(t.task_definition_arn().unwrap_or_default()),
                    stopped_reason: t
                        .stopped_reason()
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned),
                    advice,
                    id,
                }
            })
            .collect();
        self.fill_public_ips(&mut statuses).await;
        Ok(statuses)
    }

    /// Public addresses of the running tasks' interfaces, in one DescribeNetworkInterfaces.
    /// Only for the detail view: a failure leaves them unknown and is not an error of the
    /// status (the interfaces of tasks that just stopped may already be gone).
    async fn fill_public_ips(&self, tasks: &mut [TaskStatus]) {
        let enis: Vec<String> = tasks
            .iter()
            .filter(|t| t.last_status != "STOPPED")
            .filter_map(|t| t.network_interface.clone())
            .collect();
        if enis.is_empty() {
            return;
        }
        let found: Result<Vec<_>, _> = self
            .ec2
            .describe_network_interfaces()
            .set_network_interface_ids(Some(enis))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match found {
            Ok(interfaces) => {
                for eni in interfaces {
                    let public = eni
                        .association()
                        .and_then(|a| a.public_ip())
                        .map(str::to_owned);
                    for t in tasks.iter_mut() {
                        if t.network_interface.as_deref() == eni.network_interface_id() {
                            t.public_ip = public.clone();
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(
                "ec2:DescribeNetworkInterfaces for the tasks' public addresses: {}",
                aws_sdk_ec2::error::DisplayErrorContext(&e)
            ),
        }
    }
}

impl AwsContext {
    /// Sets the service's desired count (the monitor's scale action).
    pub async fn scale_service(&self, spec: &StackSpec, desired: u32) -> Result<(), AwsError> {
        self.ecs
            .update_service()
            .cluster(spec.cluster.name())
            .service(spec.names.service())
            .desired_count(i32::try_from(desired).unwrap_or(i32::MAX))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))
    }

    /// Starts new tasks for the current revision (the monitor's redeploy action).
    pub async fn force_new_deployment(&self, spec: &StackSpec) -> Result<(), AwsError> {
        self.ecs
            .update_service()
            .cluster(spec.cluster.name())
            .service(spec.names.service())
            .force_new_deployment(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))
    }

    pub async fn stop_task(&self, spec: &StackSpec, task_id: &str) -> Result<(), AwsError> {
        self.ecs
            .stop_task()
            .cluster(spec.cluster.name())
            .task(task_id)
            .reason("Stopped from the prefect-tui monitor")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ecs:StopTask", e))
    }
}
