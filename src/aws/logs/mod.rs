//! Reading the workers' CloudWatch logs: every task's stream in the stack's log group,
//! merged in time order, with no event lost or shown twice.
//!
//! Two sources feed one tail. CloudWatch Logs live tail (StartLiveTail) pushes events as
//! they are ingested; polling FilterLogEvents asks again for a window that overlaps the
//! previous one (events can be ingested late, with older timestamps). A followed tail uses
//! live tail where the endpoint offers it and polling where it does not (`follow`), and
//! polls even in live mode to catch up on history and on what a session missed, so the
//! same event can come from both: `seen` decides what is new. What the tail remembers is
//! bounded by the overlap window, so memory stays flat however long it runs.
//!
//! Nothing here prints: events and changes of source go to the caller as values.

mod follow;
mod live;
mod seen;

use aws_sdk_cloudwatchlogs::types::{FilteredLogEvent, LiveTailSessionLogEvent};
use serde::Serialize;

use super::{AwsContext, AwsError};
use crate::stack::names::LOG_STREAM_PREFIX;
use seen::Seen;

pub use follow::{Cadence, TailSource, TailUpdate, follow};

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
    /// CloudWatch's event id for a polled event. Live tail gives events no id, so an event
    /// that arrived that way carries a local one (`live-...`), unique within the run.
    pub event_id: String,
}

impl LogEvent {
    fn new(stream: String, timestamp: i64, ingested: i64, message: &str, event_id: String) -> Self {
        Self {
            timestamp,
            ingested,
            task: stream.rsplit('/').next().unwrap_or_default().to_owned(),
            stream,
            message: message.trim_end_matches('\n').to_owned(),
            event_id,
        }
    }
}

/// A tail of one log group's worker streams.
#[derive(Debug)]
pub struct LogTail {
    group: String,
    /// Start of the next poll's window.
    window_start: i64,
    seen: Seen,
    newest: i64,
}

impl LogTail {
    /// A tail starting at `since_ms`.
    pub fn new(group: &str, since_ms: i64) -> Self {
        Self {
            group: group.to_owned(),
            window_start: since_ms,
            seen: Seen::since(since_ms),
            newest: since_ms,
        }
    }

    pub fn group(&self) -> &str {
        &self.group
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
        Ok(self.admit_polled(found))
    }

    /// The polled events not shown before, oldest first.
    fn admit_polled(&mut self, found: Vec<FilteredLogEvent>) -> Vec<LogEvent> {
        let mut fresh: Vec<LogEvent> = found
            .into_iter()
            .filter_map(|e| {
                let event = LogEvent::new(
                    e.log_stream_name.unwrap_or_default(),
                    e.timestamp.unwrap_or_default(),
                    e.ingestion_time.unwrap_or_default(),
                    e.message.as_deref().unwrap_or_default(),
                    e.event_id?,
                );
                self.seen.admit_polled(&event).then_some(event)
            })
            .collect();
        self.settle(&mut fresh);
        fresh
    }

    /// The events of one live tail update not shown before, oldest first.
    fn admit_live(&mut self, results: &[LiveTailSessionLogEvent]) -> Vec<LogEvent> {
        let mut fresh: Vec<LogEvent> = results
            .iter()
            .filter_map(|e| {
                let mut event = LogEvent::new(
                    e.log_stream_name().unwrap_or_default().to_owned(),
                    e.timestamp().unwrap_or_default(),
                    e.ingestion_time().unwrap_or_default(),
                    e.message().unwrap_or_default(),
                    String::new(),
                );
                event.event_id = self.seen.admit_live(&event)?;
                Some(event)
            })
            .collect();
        self.settle(&mut fresh);
        fresh
    }

    /// Marks the start of a live tail session (each delivers an event once).
    fn new_session(&mut self) {
        self.seen.new_session();
    }

    /// Orders a batch in time and moves the window on; ids older than the window can
    /// never come back, so they are forgotten.
    fn settle(&mut self, fresh: &mut [LogEvent]) {
        fresh.sort_by_key(|e| (e.timestamp, e.ingested));
        if let Some(last) = fresh.iter().map(|e| e.timestamp).max() {
            self.newest = self.newest.max(last);
        }
        self.window_start = self.window_start.max(self.newest - OVERLAP_MS);
        self.seen.forget_before(self.window_start);
    }

    /// How many events the tail remembers (bounded by the overlap window).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polled(id: &str, stream: &str, ts: i64, message: &str) -> FilteredLogEvent {
        FilteredLogEvent::builder()
            .event_id(id)
            .log_stream_name(stream)
            .timestamp(ts)
            .ingestion_time(ts + 5)
            .message(format!("{message}\n"))
            .build()
    }

    fn live(stream: &str, ts: i64, message: &str) -> LiveTailSessionLogEvent {
        LiveTailSessionLogEvent::builder()
            .log_group_identifier("arn:aws:logs:us-east-1:123456789012:log-group:/ecs/x")
            .log_stream_name(stream)
            .timestamp(ts)
            .ingestion_time(ts + 5)
            .message(message)
            .build()
    }

    const A: &str = "worker/prefect-worker/aaaa";
    const B: &str = "worker/prefect-worker/bbbb";

    #[test]
    fn a_poll_merges_streams_in_time_order_and_a_repeat_poll_adds_nothing() {
        let mut tail = LogTail::new("/ecs/x", 0);
        let page = vec![
            polled("3", B, 1_030, "b late"),
            polled("1", A, 1_000, "a first"),
            polled("2", B, 1_010, "b first"),
        ];
        let got = tail.admit_polled(page.clone());
        let order: Vec<&str> = got.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["a first", "b first", "b late"]);
        assert_eq!(got[0].task, "aaaa");
        assert!(
            tail.admit_polled(page).is_empty(),
            "the overlap brings nothing twice"
        );
    }

    #[test]
    fn live_events_and_their_polled_echoes_show_once() {
        let mut tail = LogTail::new("/ecs/x", 0);
        let first = tail.admit_live(&[live(A, 1_000, "hello\n"), live(B, 1_001, "there")]);
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|e| e.event_id.starts_with("live-")));
        assert_eq!(
            first[0].message, "hello",
            "the newline is trimmed as for polls"
        );
        // A catch-up poll returns the same two, plus one live tail had not delivered.
        let caught = tail.admit_polled(vec![
            polled("10", A, 1_000, "hello"),
            polled("11", B, 1_001, "there"),
            polled("12", B, 1_002, "missed by live tail"),
        ]);
        let messages: Vec<&str> = caught.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["missed by live tail"]);
        // And live tail echoing a polled event adds nothing either.
        assert!(
            tail.admit_live(&[live(B, 1_002, "missed by live tail")])
                .is_empty()
        );
    }

    #[test]
    fn a_session_replaying_what_an_earlier_one_delivered_adds_nothing() {
        let mut tail = LogTail::new("/ecs/x", 0);
        tail.new_session();
        assert_eq!(tail.admit_live(&[live(A, 1_000, "one")]).len(), 1);
        tail.new_session();
        let replay = tail.admit_live(&[live(A, 1_000, "one"), live(A, 1_001, "two")]);
        let messages: Vec<&str> = replay.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["two"]);
    }

    #[test]
    fn a_session_opening_with_history_the_poll_already_forgot_adds_nothing() {
        // The group holds a minute of events when the tail starts. The catch-up poll shows
        // them all and forgets those older than the overlap window; then the live tail
        // session opens with the whole history again (as moto's does), without ids.
        let mut tail = LogTail::new("/ecs/x", 0);
        let history = [(1_000, "first"), (2_000, "second"), (61_000, "last")];
        let shown = tail.admit_polled(
            history
                .iter()
                .enumerate()
                .map(|(i, (ts, m))| polled(&i.to_string(), A, *ts, m))
                .collect(),
        );
        assert_eq!(shown.len(), 3);
        tail.new_session();
        let replay: Vec<_> = history.iter().map(|(ts, m)| live(A, *ts, m)).collect();
        assert!(tail.admit_live(&replay).is_empty(), "each event once");
        // What comes after the hand-over is new, from either source.
        assert_eq!(tail.admit_live(&[live(A, 62_000, "next")]).len(), 1);
        assert_eq!(
            tail.admit_polled(vec![polled("9", A, 63_000, "later")])
                .len(),
            1
        );
    }

    #[test]
    fn nothing_older_than_the_start_shows_from_live_tail() {
        let mut tail = LogTail::new("/ecs/x", 10_000);
        let got = tail.admit_live(&[live(A, 9_999, "before"), live(A, 10_000, "at")]);
        let messages: Vec<&str> = got.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["at"]);
    }

    #[test]
    fn identical_lines_in_one_millisecond_are_each_shown_once() {
        // Two real events with the same stream, time and text: both must show, and their
        // echoes from the other source must not add a third.
        let mut tail = LogTail::new("/ecs/x", 0);
        let twice = [live(A, 1_000, "tick"), live(A, 1_000, "tick")];
        let got = tail.admit_live(&twice);
        assert_eq!(got.len(), 2);
        assert_ne!(got[0].event_id, got[1].event_id);
        let echoes = tail.admit_polled(vec![
            polled("1", A, 1_000, "tick"),
            polled("2", A, 1_000, "tick"),
        ]);
        assert!(echoes.is_empty());
        // A third one only polling saw is new.
        let third = tail.admit_polled(vec![polled("3", A, 1_000, "tick")]);
        assert_eq!(third.len(), 1);
    }

    #[test]
    fn memory_is_bounded_by_the_overlap_window() {
        let mut tail = LogTail::new("/ecs/x", 0);
        for batch in 0..100i64 {
            let events: Vec<_> = (0..50i64)
                .map(|i| {
                    let ts = batch * 10_000 + i;
                    if i % 2 == 0 {
                        live(A, ts, &format!("l{ts}"))
                    } else {
                        live(B, ts, &format!("l{ts}"))
                    }
                })
                .collect();
            assert_eq!(tail.admit_live(&events).len(), 50);
            let polled_batch: Vec<_> = (0..50i64)
                .map(|i| {
                    let ts = batch * 10_000 + 5_000 + i;
                    polled(&ts.to_string(), A, ts, &format!("p{ts}"))
                })
                .collect();
            assert_eq!(tail.admit_polled(polled_batch).len(), 50);
        }
        // 10 s of time per batch and a 30 s window: about four batches are remembered.
        assert!(tail.remembered() <= 4 * 100, "{}", tail.remembered());
        assert!(tail.remembered() >= 3 * 100, "{}", tail.remembered());
    }
}
