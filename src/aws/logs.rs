//! Reading the workers' CloudWatch logs: every task's stream in the stack's log group,
//! merged in time order, with no event lost or shown twice.
//!
//! Polling FilterLogEvents: each poll asks again for a window that overlaps the previous
//! one (events can be ingested late, with older timestamps), and drops the events already
//! seen by their id. The ids kept are bounded by the window, so memory stays flat however
//! long the tail runs. (CloudWatch's live tail is not used yet: polling works everywhere,
//! the emulator included.)

use std::collections::{HashSet, VecDeque};

use serde::Serialize;

use super::{AwsContext, AwsError};
use crate::stack::names::LOG_STREAM_PREFIX;

/// How far back each poll looks again for late events.
pub const OVERLAP_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    /// When the line was written, in milliseconds since the epoch.
    pub timestamp: i64,
    /// When CloudWatch received it.
    pub ingested: i64,
    pub stream: String,
    /// The ECS task id, the last part of an awslogs stream name.
    pub task: String,
    pub message: String,
    pub event_id: String,
}

/// A tail of one log group's worker streams.
#[derive(Debug)]
pub struct LogTail {
    group: String,
    /// Start of the next poll's window.
    window_start: i64,
    seen: HashSet<String>,
    /// (timestamp, id) in arrival order, to forget ids that fell out of the window.
    seen_order: VecDeque<(i64, String)>,
    newest: i64,
}

impl LogTail {
    /// A tail starting at `since_ms`.
    pub fn new(group: &str, since_ms: i64) -> Self {
        Self {
            group: group.to_owned(),
            window_start: since_ms,
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            newest: since_ms,
        }
    }

    /// The events that arrived since the last poll, oldest first.
    pub async fn poll(&mut self, aws: &AwsContext) -> Result<Vec<LogEvent>, AwsError> {
        let found = aws
            .logs
            .filter_log_events()
            .log_group_name(&self.group)
            .log_stream_name_prefix(format!("{LOG_STREAM_PREFIX}/"))
            .start_time(self.window_start)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let found: Vec<_> = match found {
            Ok(pages) => pages
                .into_iter()
                .flat_map(|p| p.events.unwrap_or_default())
                .collect(),
            // No log group yet (nothing deployed, or not yet): nothing to show.
            Err(e) => match AwsError::from_sdk("logs:FilterLogEvents", e) {
                e if e.kind() == super::ErrorKind::NotFound => Vec::new(),
                e => return Err(e),
            },
        };
        let mut fresh: Vec<LogEvent> = found
            .into_iter()
            .filter_map(|e| {
                let event_id = e.event_id?;
                if self.seen.contains(&event_id) {
                    return None;
                }
                let stream = e.log_stream_name.unwrap_or_default();
                Some(LogEvent {
                    timestamp: e.timestamp.unwrap_or_default(),
                    ingested: e.ingestion_time.unwrap_or_default(),
                    task: stream.rsplit('/').next().unwrap_or_default().to_owned(),
                    stream,
                    message: e
                        .message
                        .unwrap_or_default()
                        .trim_end_matches('\n')
                        .to_owned(),
                    event_id,
                })
            })
            .collect();
        fresh.sort_by_key(|e| (e.timestamp, e.ingested));
        for event in &fresh {
            self.seen.insert(event.event_id.clone());
            self.seen_order
                .push_back((event.timestamp, event.event_id.clone()));
            self.newest = self.newest.max(event.timestamp);
        }
        self.window_start = self.window_start.max(self.newest - OVERLAP_MS);
        // Ids older than the window can never come back: forget them.
        while let Some((ts, _)) = self.seen_order.front() {
            if *ts >= self.window_start {
                break;
            }
            if let Some((_, id)) = self.seen_order.pop_front() {
                self.seen.remove(&id);
            }
        }
        Ok(fresh)
    }

    /// How many event ids the tail remembers (bounded by the overlap window).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}
