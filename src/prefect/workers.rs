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
    /// How often the worker said it heartbeats; `None` for workers that did not say.
    #[serde(default)]
    pub heartbeat_interval_seconds: Option<u64>,
}

/// Prefect's own rule for an offline worker, from the server's foreman service
/// (`_mark_online_workers_without_recent_heartbeat_as_offline`): an ONLINE worker is marked
/// OFFLINE once its last heartbeat is older than its heartbeat interval times
/// `inactivity_heartbeat_multiple` (default 3), the interval being
/// `fallback_heartbeat_interval_seconds` (default 30) where the worker sent none. The
/// foreman applies it only on its loop (and Prefect Cloud on its own schedule), so a
/// worker whose heartbeats stopped can still read ONLINE for a while; this threshold says
/// what the server is about to say.
pub const INACTIVITY_HEARTBEAT_MULTIPLE: u64 = 3;
pub const FALLBACK_HEARTBEAT_INTERVAL_SECS: u64 = 30;

/// Seconds without a heartbeat after which Prefect counts a worker as offline.
pub fn offline_after_secs(heartbeat_interval: Option<u64>) -> u64 {
    heartbeat_interval
        .filter(|i| *i > 0)
        .unwrap_or(FALLBACK_HEARTBEAT_INTERVAL_SECS)
        * INACTIVITY_HEARTBEAT_MULTIPLE
}

impl Worker {
    /// Seconds since its last heartbeat, at `now` (seconds since the epoch).
    pub fn heartbeat_age_at(&self, now: f64) -> Option<u64> {
        self.last_heartbeat_time
            .as_deref()
            .and_then(timestamp_secs)
            .map(|t| (now - t).max(0.0) as u64)
    }

    /// The status the server reports, or OFFLINE where the last heartbeat (`heartbeat_age`
    /// seconds ago) is past Prefect's offline threshold while the server still says ONLINE.
    pub fn status_given(&self, heartbeat_age: Option<u64>) -> WorkerStatus {
        match (self.status, heartbeat_age) {
            (WorkerStatus::Online, Some(age))
                if age > offline_after_secs(self.heartbeat_interval_seconds) =>
            {
                WorkerStatus::Offline
            }
            (status, _) => status,
        }
    }
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

/// Seconds since the epoch of a Prefect timestamp (RFC 3339, `Z` or `+00:00`).
pub fn timestamp_secs(text: &str) -> Option<f64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let normalized = text.replace("+00:00", "Z");
    DateTime::from_str(&normalized, Format::DateTime)
        .ok()
        .map(|d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(status: WorkerStatus, interval: Option<u64>) -> Worker {
        Worker {
            name: "w".into(),
            last_heartbeat_time: None,
            status,
            heartbeat_interval_seconds: interval,
        }
    }

    #[test]
    fn a_worker_past_prefects_offline_threshold_is_offline_whatever_the_server_says() {
        let online = worker(WorkerStatus::Online, None);
        assert_eq!(online.status_given(Some(90)), WorkerStatus::Online);
        assert_eq!(online.status_given(Some(91)), WorkerStatus::Offline);
        assert_eq!(online.status_given(None), WorkerStatus::Online);
        let slow = worker(WorkerStatus::Online, Some(60));
        assert_eq!(slow.status_given(Some(150)), WorkerStatus::Online);
        assert_eq!(slow.status_given(Some(181)), WorkerStatus::Offline);
        let offline = worker(WorkerStatus::Offline, None);
        assert_eq!(offline.status_given(Some(1)), WorkerStatus::Offline);
        let json = r#"{"name":"w","last_heartbeat_time":null,"status":"ONLINE","heartbeat_interval_seconds":15}"#;
        let parsed: Worker = serde_json::from_str(json).expect("a worker");
        assert_eq!(parsed.heartbeat_interval_seconds, Some(15));
    }
}
