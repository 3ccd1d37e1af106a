//! The detail view's content: every field of the selected row, in words, as (label, value)
//! pairs. The drawing wraps them to the width it has, so nothing is cut off; the view
//! scrolls where they do not fit.

use super::app::Detail;
use crate::ops::status::StackStatus;

/// A time as ECS or Prefect gives it (RFC 3339), in a form that reads at a glance.
pub fn readable_time(rfc3339: &str) -> String {
    let (date, rest) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let clock: String = rest.chars().take(8).collect();
    if clock.is_empty() {
        date.to_owned()
    } else {
        format!("{date} {clock} UTC")
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_owned(), str::to_owned)
}

/// The title and fields of the open detail; `None` once its row is gone.
pub fn fields(
    status: &StackStatus,
    detail: &Detail,
) -> Option<(String, Vec<(&'static str, String)>)> {
    match detail {
        Detail::Task(id) => {
            let t = status.tasks.iter().find(|t| &t.id == id)?;
            let revision = t
                .task_definition
                .rsplit_once(':')
                .map_or("-", |(_, r)| r)
                .to_owned();
            let mut rows = vec![
                ("task", t.id.clone()),
                (
                    "status",
                    format!("{} (desired {})", t.last_status, t.desired_status),
                ),
                ("health", t.health.to_lowercase()),
                (
                    "definition",
                    format!("{} (revision {revision})", t.task_definition),
                ),
                ("image", or_dash(t.image.as_deref())),
                ("private IP", or_dash(t.private_ip.as_deref())),
                (
                    "public IP",
                    match (&t.public_ip, &t.network_interface) {
                        (Some(ip), _) => ip.clone(),
                        (None, Some(_)) if t.last_status != "STOPPED" => "none".to_owned(),
                        _ => "-".to_owned(),
                    },
                ),
                ("interface", or_dash(t.network_interface.as_deref())),
                ("zone", or_dash(t.az.as_deref())),
                (
                    "started",
                    t.started_at.as_deref().map_or("-".into(), readable_time),
                ),
                (
                    "stopped",
                    t.stopped_at.as_deref().map_or("-".into(), readable_time),
                ),
            ];
            if let Some(code) = t.exit_code {
                rows.push(("exit code", code.to_string()));
            }
            if let Some(reason) = &t.stopped_reason {
                rows.push(("stop reason", reason.clone()));
            }
            if let Some(reason) = &t.container_reason {
                rows.push(("container", reason.clone()));
            }
            if let Some(advice) = &t.advice {
                rows.push(("what it means", advice.clone()));
            }
            Some((format!("task {}", t.id), rows))
        }
        Detail::Worker(name) => {
            let w = status.workers.iter().find(|w| &w.name == name)?;
            Some((
                "worker".to_owned(),
                vec![
                    ("name", w.name.clone()),
                    ("status", w.status.clone()),
                    (
                        "last beat",
                        w.heartbeat_age
                            .map_or_else(|| "never".to_owned(), |a| format!("{a} s ago")),
                    ),
                    ("work pool", status.work_pool.clone()),
                ],
            ))
        }
        Detail::FlowRun(name) => {
            let r = status.flow_runs.iter().find(|r| &r.name == name)?;
            let mut rows = vec![
                ("name", r.name.clone()),
                ("state", r.state_name().to_owned()),
                (
                    "started",
                    r.start_time.as_deref().map_or("-".into(), readable_time),
                ),
                (
                    "duration",
                    r.duration_secs()
                        .map_or("-".into(), |s| format!("{s:.1} s")),
                ),
                (
                    "ECS task",
                    r.task_id().map_or("not started".into(), |id| {
                        format!("{id} (l: its log lines)")
                    }),
                ),
                ("work pool", status.work_pool.clone()),
            ];
            if let Some(message) = r.state.as_ref().and_then(|s| s.message.clone())
                && !message.is_empty()
            {
                rows.push(("message", message));
            }
            if r.is_final()
                && let Some(failure) = crate::ops::verify::classify(r, None)
            {
                let (what, todo) = crate::text::verify::explain(&failure);
                rows.push(("what it means", what));
                rows.push(("what to do", todo));
            }
            Some((format!("flow run {}", r.name), rows))
        }
        Detail::Event(i) => {
            let (time, message) = status.service.as_ref()?.events.get(*i)?;
            Some((
                "service event".to_owned(),
                vec![("time", readable_time(time)), ("message", message.clone())],
            ))
        }
    }
}

/// Words of `text` in lines of at most `width` characters; a word longer than a line is
/// split across lines rather than cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character() {
        let text = "Essential container in task exited CannotPullContainerError:pull-access-denied-for-a-long-name";
        let lines = wrap(text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        let joined: String = lines.concat().split_whitespace().collect();
        let want: String = text.split_whitespace().collect();
        assert_eq!(joined, want);
        assert_eq!(wrap("", 10), vec![String::new()]);
    }

    #[test]
    fn times_read_as_date_clock_and_zone() {
        assert_eq!(
            readable_time("2026-11-23T12:00:00.123Z"),
            "2026-11-23 12:00:00 UTC"
        );
    }
}
