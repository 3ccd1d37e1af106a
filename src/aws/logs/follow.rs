//! Following a log group until the receiver hangs up: live tail where the endpoint offers
//! it, polling FilterLogEvents where it does not, told to the caller once, not per event.
//!
//! In live mode a poll still runs after each session starts (the history before it, and
//! what arrived while a session was being replaced) and after an update CloudWatch says
//! it sampled (more than it sends per second): the tail's de-duplication makes that safe.
//! Sessions end after three hours by design; the next one starts at once.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use tokio::sync::mpsc::UnboundedSender;

use super::live::{self, Refused, Session};
use super::{LogEvent, LogTail};
use crate::aws::{AwsContext, AwsError};

/// What a followed tail tells its caller.
#[derive(Debug)]
pub enum TailUpdate {
    /// Events not shown before, oldest first.
    Events(Vec<LogEvent>),
    /// Where the events come from from now on (sent when that changes).
    Source(TailSource),
    /// A read failed; the tail keeps trying, more slowly.
    Failed(AwsError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailSource {
    /// CloudWatch pushes events as they are ingested.
    Live,
    /// Polling FilterLogEvents; the text says why live tail is not used.
    Polling(String),
}

/// How often to poll when polling is all there is.
#[derive(Debug, Clone, Copy)]
pub struct Cadence {
    /// While events arrive.
    pub busy: Duration,
    /// The slowest, reached step by step while nothing arrives.
    pub quiet: Duration,
}

impl Cadence {
    const STEP: Duration = Duration::from_millis(500);
    const FAILING: Duration = Duration::from_secs(30);
}

/// A session that ended this soon after starting counts as broken, not finished.
const SHORT_SESSION: Duration = Duration::from_secs(10);
/// Broken sessions in a row before live tail is given up for polling.
const BROKEN_LIMIT: u32 = 3;

enum Ended {
    /// Start the next session.
    Reconnect,
    /// The session failed; the text says how.
    Broken(String),
    /// The receiver hung up.
    Hungup,
}

/// Follows `tail` and sends what it finds to `tx` until `tx`'s receiver is dropped.
pub async fn follow(
    aws: AwsContext,
    mut tail: LogTail,
    cadence: Cadence,
    tx: UnboundedSender<TailUpdate>,
) {
    let mut broken = 0u32;
    let mut live_told = false;
    let reason = loop {
        match live::open(&aws, tail.group()).await {
            Ok(session) => {
                let started = Instant::now();
                if !live_told && tx.send(TailUpdate::Source(TailSource::Live)).is_err() {
                    return;
                }
                live_told = true;
                tail.new_session();
                match run_session(&aws, &mut tail, session, &tx).await {
                    Ended::Hungup => return,
                    // A session that ends by itself within seconds is not a live tail (an
                    // endpoint that answers with what the group holds and hangs up).
                    Ended::Reconnect if started.elapsed() < SHORT_SESSION => {
                        break format!(
                            "the endpoint ended the live tail session after {:.1} s instead of holding it open",
                            started.elapsed().as_secs_f64()
                        );
                    }
                    Ended::Reconnect => broken = 0,
                    Ended::Broken(why) => {
                        broken = if started.elapsed() < SHORT_SESSION {
                            broken + 1
                        } else {
                            1
                        };
                        if broken >= BROKEN_LIMIT {
                            break format!("live tail sessions keep failing ({why})");
                        }
                    }
                }
            }
            Err(Refused::Unavailable(why)) => break why,
            // No group yet: poll (which shows nothing until it exists) and try again.
            Err(Refused::NoGroup) => {
                if !poll_once(&aws, &mut tail, &tx).await {
                    return;
                }
                if pause(cadence.quiet, &tx).await {
                    return;
                }
            }
        }
    };
    if tx
        .send(TailUpdate::Source(TailSource::Polling(reason)))
        .is_err()
    {
        return;
    }
    poll_forever(&aws, &mut tail, cadence, &tx).await;
}

/// One poll, its result sent; false when the receiver hung up.
async fn poll_once(aws: &AwsContext, tail: &mut LogTail, tx: &UnboundedSender<TailUpdate>) -> bool {
    match tail.poll(aws).await {
        Ok(events) if events.is_empty() => !tx.is_closed(),
        Ok(events) => tx.send(TailUpdate::Events(events)).is_ok(),
        Err(e) => tx.send(TailUpdate::Failed(e)).is_ok(),
    }
}

/// Sleeps, or returns true at once when the receiver hangs up.
async fn pause(wait: Duration, tx: &UnboundedSender<TailUpdate>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => false,
        _ = tx.closed() => true,
    }
}

async fn run_session(
    aws: &AwsContext,
    tail: &mut LogTail,
    session: Session,
    tx: &UnboundedSender<TailUpdate>,
) -> Ended {
    let Session { mut stream, first } = session;
    // The history, and whatever was ingested while no session was open.
    if !poll_once(aws, tail, tx).await {
        return Ended::Hungup;
    }
    let mut next = first;
    loop {
        let update = match next.take() {
            Some(update) => update,
            None => {
                let received = tokio::select! {
                    received = stream.recv() => received,
                    _ = tx.closed() => return Ended::Hungup,
                };
                match received {
                    Ok(Some(update)) => update,
                    Ok(None) => return Ended::Reconnect,
                    Err(e) if live::timed_out(&e) => return Ended::Reconnect,
                    Err(e) => return Ended::Broken(live::describe_stream_error(&e)),
                }
            }
        };
        let StartLiveTailResponseStream::SessionUpdate(update) = update else {
            continue;
        };
        let events = tail.admit_live(update.session_results());
        if !events.is_empty() && tx.send(TailUpdate::Events(events)).is_err() {
            return Ended::Hungup;
        }
        // A sampled update left events out: fetch them.
        if update.session_metadata().is_some_and(|m| m.sampled()) && !poll_once(aws, tail, tx).await
        {
            return Ended::Hungup;
        }
    }
}

async fn poll_forever(
    aws: &AwsContext,
    tail: &mut LogTail,
    cadence: Cadence,
    tx: &UnboundedSender<TailUpdate>,
) {
    let mut wait = cadence.busy;
    loop {
        let sent = match tail.poll(aws).await {
            Ok(events) if events.is_empty() => {
                wait = (wait + Cadence::STEP).min(cadence.quiet.max(cadence.busy));
                !tx.is_closed()
            }
            Ok(events) => {
                wait = cadence.busy;
                tx.send(TailUpdate::Events(events)).is_ok()
            }
            Err(e) => {
                wait = (wait * 2).min(Cadence::FAILING);
                tx.send(TailUpdate::Failed(e)).is_ok()
            }
        };
        if !sent || pause(wait, tx).await {
            return;
        }
    }
}
