//! `prefect-tui logs`: the workers' logs, once or followed, for people or scripts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};
use tokio::sync::mpsc::unbounded_channel;

use crate::aws::ErrorKind;
use crate::aws::logs::{Cadence, LogEvent, LogTail, TailSource, TailUpdate, follow};
use crate::cli::{GlobalArgs, LogFormat, LogsArgs};
use crate::ops;

use super::{CommandError, load_profile, print_out};

/// Polling, when live tail is not available: four times a second while lines arrive (a
/// script following logs waits on them), easing to once a second while none do.
const FOLLOW_POLL: Cadence = Cadence {
    busy: Duration::from_millis(250),
    quiet: Duration::from_secs(1),
};

pub async fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<(), CommandError> {
    let age = parse_age(&args.since).ok_or_else(|| {
        CommandError::bad_input(
            format!("'{}' is not an age.", args.since),
            "Use a number and a unit: 30s, 10m, 2h or 1d.",
        )
    })?;
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let aws = ops::connect::aws_for(&global.aws_settings(), spec).await?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut tail = LogTail::new(&spec.names.log_group(), now_ms - age.as_millis() as i64);
    if !args.follow {
        let events = tail.poll(&aws).await?;
        return print_events(&events, args.output);
    }
    let (tx, mut rx) = unbounded_channel();
    let follower = tokio::spawn(follow(aws, tail, FOLLOW_POLL, tx));
    let result = loop {
        match rx.recv().await {
            Some(TailUpdate::Events(events)) => {
                if let Err(e) = print_events(&events, args.output) {
                    break Err(e);
                }
            }
            // Said once, on stderr, so JSON lines on stdout stay clean.
            Some(TailUpdate::Source(TailSource::Polling(why))) => {
                eprintln!("note: live tail is not available ({why}); polling for new events.")
            }
            Some(TailUpdate::Source(TailSource::Live)) => {
                tracing::info!("following the logs by CloudWatch live tail")
            }
            // Throttling passes: the tail slows down and goes on.
            Some(TailUpdate::Failed(e)) if e.kind() == ErrorKind::Throttled => {
                tracing::warn!("{e}")
            }
            Some(TailUpdate::Failed(e)) => break Err(e.into()),
            None => break Ok(()),
        }
    };
    follower.abort();
    result
}

fn print_events(events: &[LogEvent], format: LogFormat) -> Result<(), CommandError> {
    if events.is_empty() {
        return Ok(());
    }
    let text: String = events.iter().map(|e| format_event(e, format)).collect();
    print_out(&text)
}

/// One line per event: JSON for scripts, or `time task message` for people.
pub fn format_event(event: &LogEvent, format: LogFormat) -> String {
    match format {
        LogFormat::Json => {
            let mut line = serde_json::to_string(event).unwrap_or_default();
            line.push('\n');
            line
        }
        LogFormat::Text => {
            let when = DateTime::from_millis(event.timestamp)
                .fmt(Format::DateTime)
                .unwrap_or_default();
            let task: String = event.task.chars().take(8).collect();
            format!("{when} {task} {}\n", event.message)
        }
    }
}

/// `30s`, `10m`, `2h`, `1d`.
pub fn parse_age(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_lines() {
        assert_eq!(parse_age("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_age("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_age("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_age("10"), None);
        assert_eq!(parse_age("m"), None);
        assert_eq!(parse_age("5w"), None);
        let event = LogEvent {
            timestamp: 1_700_000_000_123,
            ingested: 1_700_000_000_456,
            stream: "worker/prefect-worker/0123456789abcdef".into(),
            task: "0123456789abcdef".into(),
            message: "Worker started!".into(),
            event_id: "42".into(),
        };
        assert_eq!(
            format_event(&event, LogFormat::Text),
            "2023-11-14T22:13:20.123Z 01234567 Worker started!\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&format_event(&event, LogFormat::Json)).expect("JSON line");
        let keys: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "timestamp",
                "ingested",
                "stream",
                "task",
                "message",
                "event_id"
            ]
        );
    }
}
