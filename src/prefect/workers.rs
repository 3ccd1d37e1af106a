//! The workers of a pool, with their heartbeats: what the online gate and the monitor read.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{PrefectClient, PrefectError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WorkerStatus {
    Online,
    Offline,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Worker {
    pub name: String,
    /// RFC 3339, in UTC.
    pub last_heartbeat_time: Option<String>,
    pub status: WorkerStatus,
}

impl PrefectClient {
    /// Every worker the pool knows (`POST /work_pools/<name>/workers/filter`).
    pub async fn workers(&self, pool: &str) -> Result<Vec<Worker>, PrefectError> {
        let found: Option<Vec<Worker>> = self
            .call(
                Method::POST,
                &format!("work_pools/{pool}/workers/filter"),
                Some(&json!({ "limit": 200 })),
                true,
            )
            .await?;
        Ok(found.unwrap_or_default())
    }
}

/// A flow run the pool's workers picked up (or will).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct FlowRun {
    pub name: String,
    #[serde(default)]
    pub state_name: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
}

impl PrefectClient {
    /// The latest flow runs of the pool, newest first.
    pub async fn flow_runs(&self, pool: &str, limit: usize) -> Result<Vec<FlowRun>, PrefectError> {
        let body = json!({
            "work_pools": { "name": { "any_": [pool] } },
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": limit,
        });
        let found: Option<Vec<FlowRun>> = self
            .call(Method::POST, "flow_runs/filter", Some(&body), true)
            .await?;
        Ok(found.unwrap_or_default())
    }
}

/// Seconds since the epoch of a Prefect timestamp (RFC 3339, `Z` or `+00:00`).
pub fn timestamp_secs(text: &str) -> Option<f64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let normalized = text.replace("+00:00", "Z");
    DateTime::from_str(&normalized, Format::DateTime)
        .ok()
        .map(|d| d.as_secs_f64())
}
