//! Flows, deployments and flow runs: what `verify` makes and follows, what the monitor
//! lists, what `destroy` removes.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{PrefectClient, PrefectError};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Flow {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deployment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub flow_id: String,
    #[serde(default)]
    pub work_pool_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct RunState {
    #[serde(rename = "type", default)]
    pub state_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct FlowRun {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub state: Option<RunState>,
    /// For the ECS worker: `<cluster>::<task ARN>`, once the task is started.
    #[serde(default)]
    pub infrastructure_pid: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub total_run_time: Option<f64>,
    #[serde(default)]
    pub deployment_id: Option<String>,
    #[serde(default)]
    pub expected_start_time: Option<String>,
}

impl FlowRun {
    /// `COMPLETED`, `CRASHED`, ... (`SCHEDULED` before the first state arrives).
    pub fn state_type(&self) -> &str {
        self.state
            .as_ref()
            .map(|s| s.state_type.as_str())
            .unwrap_or("SCHEDULED")
    }

    /// `Late`, `Pending`, `Running`, ...
    pub fn state_name(&self) -> &str {
        self.state
            .as_ref()
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
            .unwrap_or("Scheduled")
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self.state_type(),
            "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLED"
        )
    }

    /// How long it ran: Prefect's own count, else from its start to its end.
    pub fn duration_secs(&self) -> Option<f64> {
        if let Some(t) = self.total_run_time.filter(|t| *t > 0.0) {
            return Some(t);
        }
        let start = super::timestamp_secs(self.start_time.as_deref()?)?;
        let end = super::timestamp_secs(self.end_time.as_deref()?)?;
        Some((end - start).max(0.0))
    }

    /// The short id of its ECS task (the last part of the task's ARN).
    pub fn task_id(&self) -> Option<&str> {
        self.task_arn().and_then(|arn| arn.rsplit('/').next())
    }

    /// The ECS task the worker started for it.
    pub fn task_arn(&self) -> Option<&str> {
        let pid = self.infrastructure_pid.as_deref()?;
        let arn = pid.rsplit_once("::").map(|(_, arn)| arn).unwrap_or(pid);
        arn.starts_with("arn:").then_some(arn)
    }
}

/// What a deployment of `verify` is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSpec {
    pub name: String,
    pub work_pool: String,
    pub entrypoint: String,
    pub pull_steps: Value,
    pub tags: Vec<String>,
    pub description: String,
}

impl PrefectClient {
    /// The flow of this name, made if missing (the server returns the existing one).
    pub async fn ensure_flow(&self, name: &str) -> Result<Flow, PrefectError> {
        self.call(
            Method::POST,
            "flows/",
            Some(&json!({ "name": name })),
            false,
        )
        .await?
        .ok_or_else(|| self.empty_answer("flows/"))
    }

    pub async fn flow_by_name(&self, name: &str) -> Result<Option<Flow>, PrefectError> {
        self.call(Method::GET, &format!("flows/name/{name}"), None, true)
            .await
    }

    pub async fn delete_flow(&self, id: &str) -> Result<(), PrefectError> {
        let _: Option<Value> = self
            .call(Method::DELETE, &format!("flows/{id}"), None, true)
            .await?;
        Ok(())
    }

    /// Creates the deployment, or updates the one of that flow and name.
    pub async fn upsert_deployment(
        &self,
        flow_id: &str,
        spec: &DeploymentSpec,
    ) -> Result<Deployment, PrefectError> {
        let body = json!({
            "name": spec.name,
            "flow_id": flow_id,
            "work_pool_name": spec.work_pool,
            "entrypoint": spec.entrypoint,
            "pull_steps": spec.pull_steps,
            "tags": spec.tags,
            "description": spec.description,
            "enforce_parameter_schema": false,
            "parameters": {},
            "job_variables": {},
            "paused": false,
        });
        self.call(Method::POST, "deployments/", Some(&body), false)
            .await?
            .ok_or_else(|| self.empty_answer("deployments/"))
    }

    pub async fn deployment_by_name(
        &self,
        flow: &str,
        name: &str,
    ) -> Result<Option<Deployment>, PrefectError> {
        self.call(
            Method::GET,
            &format!("deployments/name/{flow}/{name}"),
            None,
            true,
        )
        .await
    }

    /// The deployments of one flow.
    pub async fn deployments_of_flow(
        &self,
        flow_id: &str,
    ) -> Result<Vec<Deployment>, PrefectError> {
        let body = json!({ "flows": { "id": { "any_": [flow_id] } }, "limit": 200 });
        Ok(self
            .call(Method::POST, "deployments/filter", Some(&body), false)
            .await?
            .unwrap_or_default())
    }

    pub async fn delete_deployment(&self, id: &str) -> Result<(), PrefectError> {
        let _: Option<Value> = self
            .call(Method::DELETE, &format!("deployments/{id}"), None, true)
            .await?;
        Ok(())
    }

    /// A new flow run of the deployment, scheduled now.
    pub async fn create_flow_run(&self, deployment_id: &str) -> Result<FlowRun, PrefectError> {
        let path = format!("deployments/{deployment_id}/create_flow_run");
        self.call(Method::POST, &path, Some(&json!({})), false)
            .await?
            .ok_or_else(|| self.empty_answer(&path))
    }

    pub async fn flow_run(&self, id: &str) -> Result<Option<FlowRun>, PrefectError> {
        self.call(Method::GET, &format!("flow_runs/{id}"), None, true)
            .await
    }

    /// Every state the flow run went through, oldest first, as the server recorded them.
    pub async fn flow_run_states(&self, id: &str) -> Result<Vec<RunState>, PrefectError> {
        let mut states: Vec<RunState> = self
            .call(
                Method::GET,
                &format!("flow_run_states/?flow_run_id={id}"),
                None,
                false,
            )
            .await?
            .unwrap_or_default();
        states.sort_by(|a, b| {
            let at = |s: &RunState| s.timestamp.as_deref().and_then(super::timestamp_secs);
            at(a)
                .partial_cmp(&at(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(states)
    }

    /// The newest flow runs of a work pool, newest first.
    pub async fn pool_flow_runs(
        &self,
        pool: &str,
        limit: usize,
    ) -> Result<Vec<FlowRun>, PrefectError> {
        let body = json!({
            "work_pools": { "name": { "any_": [pool] } },
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": limit,
        });
        Ok(self
            .call(Method::POST, "flow_runs/filter", Some(&body), false)
            .await?
            .unwrap_or_default())
    }

    /// The flow run's log messages in Prefect, oldest first.
    pub async fn flow_run_logs(&self, id: &str, limit: usize) -> Result<Vec<String>, PrefectError> {
        #[derive(Deserialize)]
        struct Log {
            message: String,
        }
        let body = json!({
            "logs": { "flow_run_id": { "any_": [id] } },
            "sort": "TIMESTAMP_ASC",
            "limit": limit,
        });
        let logs: Option<Vec<Log>> = self
            .call(Method::POST, "logs/filter", Some(&body), false)
            .await?;
        Ok(logs
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.message)
            .collect())
    }

    fn empty_answer(&self, path: &str) -> PrefectError {
        PrefectError::Decode {
            url: format!("{}/{path}", self.api_url),
            detail: "the server answered with nothing".to_owned(),
        }
    }
}

#[cfg(test)]
impl FlowRun {
    /// A flow run with a state and nothing else known, for the screens' tests.
    pub(crate) fn sample(name: &str, state_type: &str, state: &str, start: Option<&str>) -> Self {
        FlowRun {
            id: format!("id-{name}"),
            name: name.into(),
            state: Some(RunState {
                state_type: state_type.into(),
                name: state.into(),
                ..RunState::default()
            }),
            infrastructure_pid: None,
            start_time: start.map(str::to_owned),
            end_time: None,
            total_run_time: None,
            deployment_id: None,
            expected_start_time: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pid: Option<&str>, state: Option<(&str, &str)>) -> FlowRun {
        let mut r = FlowRun::sample("r", "SCHEDULED", "Scheduled", None);
        r.state = state.map(|(t, n)| RunState {
            state_type: t.into(),
            name: n.into(),
            ..RunState::default()
        });
        r.infrastructure_pid = pid.map(str::to_owned);
        r
    }

    #[test]
    fn the_task_arn_comes_from_the_infrastructure_pid() {
        let arn = "arn:aws:ecs:us-west-2:1:task/c/abc";
        assert_eq!(run(Some(&format!("c::{arn}")), None).task_arn(), Some(arn));
        assert_eq!(run(Some(arn), None).task_arn(), Some(arn));
        assert_eq!(run(Some("12345"), None).task_arn(), None);
        assert_eq!(run(None, None).task_arn(), None);
    }

    #[test]
    fn late_is_not_final_and_crashed_is() {
        assert!(!run(None, Some(("SCHEDULED", "Late"))).is_final());
        assert_eq!(run(None, Some(("SCHEDULED", "Late"))).state_name(), "Late");
        assert!(run(None, Some(("CRASHED", "Crashed"))).is_final());
        assert_eq!(run(None, None).state_type(), "SCHEDULED");
    }
}
