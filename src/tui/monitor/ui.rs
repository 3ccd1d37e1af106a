//! Drawing the monitor from its state. No I/O; snapshot-tested on a `TestBackend`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{MonitorApp, Prompt};
use super::keys;
use crate::aws::logs::TailSource;

const MIN_WIDTH: u16 = 60;
const MIN_HEIGHT: u16 = 16;
const TASK_COLOURS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::Blue,
    Color::LightRed,
];

pub fn draw(frame: &mut Frame, app: &mut MonitorApp) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "The monitor needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}. Make it larger, or press q.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, panes, logs, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(9),
        Constraint::Min(4),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_line(app)), header);
    let [service, tasks, workers] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(36),
        Constraint::Percentage(30),
    ])
    .areas(panes);
    frame.render_widget(service_pane(app), service);
    frame.render_widget(tasks_pane(app), tasks);
    frame.render_widget(workers_pane(app), workers);
    app.page = logs.height.saturating_sub(2) as usize;
    frame.render_widget(logs_pane(app, logs.height.saturating_sub(2) as usize), logs);
    frame.render_widget(Paragraph::new(status_line(app)), status);
    frame.render_widget(
        Paragraph::new(keys::footer()).style(Style::default().fg(Color::DarkGray)),
        footer,
    );
    if let Some(prompt) = &app.prompt {
        draw_prompt(frame, prompt, area);
    } else if app.help {
        draw_help(frame, area);
    }
}

fn header_line(app: &MonitorApp) -> Line<'static> {
    let Some(s) = &app.status else {
        return Line::from("prefect-tui monitor: reading the stack...");
    };
    let online = s.workers.iter().filter(|w| w.status == "ONLINE").count();
    Line::from(vec![
        Span::styled(
            format!("stack {}", s.stack),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "  account {}  {}  cluster {}  pool {} ({online} online)",
            s.account, s.region, s.cluster, s.work_pool
        )),
    ])
}

fn service_pane(app: &MonitorApp) -> Paragraph<'static> {
    let mut lines = Vec::new();
    match app.status.as_ref().and_then(|s| s.service.as_ref()) {
        None => lines.push(Line::from("not deployed")),
        Some(svc) => {
            lines.push(Line::from(format!(
                "{} desired  {} running  {} pending",
                svc.desired, svc.running, svc.pending
            )));
            for d in &svc.deployments {
                let rollout = d.rollout_state.as_deref().unwrap_or("-");
                let style = if rollout == "IN_PROGRESS" {
                    Style::default().fg(Color::Yellow)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(
                    format!("{} {} {rollout}", d.status, d.task_definition),
                    style,
                ));
            }
            for (_, message) in svc.events.iter().take(3) {
                lines.push(Line::styled(
                    message.clone(),
                    Style::default().fg(Color::DarkGray),
                ));
            }
        }
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(" service "))
        .wrap(Wrap { trim: true })
}

fn tasks_pane(app: &MonitorApp) -> Paragraph<'static> {
    let mut lines = Vec::new();
    let tasks = app
        .status
        .as_ref()
        .map(|s| s.tasks.as_slice())
        .unwrap_or_default();
    if tasks.is_empty() {
        lines.push(Line::from("no tasks"));
    }
    for t in tasks {
        let short: String = t.id.chars().take(8).collect();
        let colour = match t.last_status.as_str() {
            "RUNNING" => Color::Green,
            "STOPPED" => Color::Red,
            _ => Color::Yellow,
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{short} ")),
            Span::styled(t.last_status.clone(), Style::default().fg(colour)),
            Span::raw(format!(
                " {} {}",
                t.health.to_lowercase(),
                t.task_definition
            )),
        ]));
        if let Some(reason) = &t.stopped_reason {
            lines.push(Line::styled(
                format!("  {reason}"),
                Style::default().fg(Color::Red),
            ));
        }
        if let Some(advice) = &t.advice {
            lines.push(Line::from(format!("  {advice}")));
        }
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(" tasks "))
        .wrap(Wrap { trim: true })
}

fn workers_pane(app: &MonitorApp) -> Paragraph<'static> {
    let mut lines = Vec::new();
    let (workers, runs) = app
        .status
        .as_ref()
        .map(|s| (s.workers.as_slice(), s.flow_runs.as_slice()))
        .unwrap_or_default();
    if workers.is_empty() {
        lines.push(Line::from("no worker yet"));
    }
    for w in workers {
        let age = w
            .heartbeat_age
            .map(|a| format!("{a}s ago"))
            .unwrap_or_else(|| "never".into());
        let colour = if w.status == "ONLINE" {
            Color::Green
        } else {
            Color::Red
        };
        let short: String = w
            .name
            .chars()
            .rev()
            .take(8)
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        lines.push(Line::from(vec![
            Span::raw(format!("…{short} ")),
            Span::styled(w.status.clone(), Style::default().fg(colour)),
            Span::raw(format!(" beat {age}")),
        ]));
    }
    lines.push(Line::styled(
        "flow runs",
        Style::default().add_modifier(Modifier::BOLD),
    ));
    if runs.is_empty() {
        lines.push(Line::from("none yet"));
    }
    for r in runs.iter().take(4) {
        lines.push(Line::from(format!(
            "{} {}",
            r.name,
            r.state_name.as_deref().unwrap_or("-")
        )));
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(" workers "))
        .wrap(Wrap { trim: true })
}

fn task_colour(task: &str) -> Color {
    // A stable colour per task without remembering tasks: a small hash of the id.
    let hash = task
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    TASK_COLOURS[hash % TASK_COLOURS.len()]
}

fn logs_pane(app: &MonitorApp, height: usize) -> Paragraph<'static> {
    // Only the lines on screen are looked at: from the newest back, past the scroll.
    let mut window: Vec<&crate::aws::logs::LogEvent> = app
        .logs
        .iter()
        .rev()
        .filter(|e| app.task_filter.as_ref().is_none_or(|t| &e.task == t))
        .skip(app.scroll)
        .take(height)
        .collect();
    window.reverse();
    let lines: Vec<Line> = window
        .iter()
        .map(|e| {
            let short: String = e.task.chars().take(8).collect();
            let mut spans = Vec::new();
            if app.timestamps {
                let time = aws_smithy_types::DateTime::from_millis(e.timestamp)
                    .fmt(aws_smithy_types::date_time::Format::DateTime)
                    .ok()
                    .and_then(|t| t.get(11..19).map(str::to_owned))
                    .unwrap_or_default();
                spans.push(Span::styled(
                    format!("{time} "),
                    Style::default().fg(Color::DarkGray),
                ));
            }
            spans.push(Span::styled(
                format!("{short} "),
                Style::default().fg(task_colour(&e.task)),
            ));
            spans.extend(highlight(&e.message, app.search.as_deref()));
            Line::from(spans)
        })
        .collect();
    let title = match &app.task_filter {
        Some(t) => format!(" logs: task {} ", t.chars().take(8).collect::<String>()),
        None => format!(" logs ({} lines) ", app.logs.len()),
    };
    let mut p = Paragraph::new(lines).block(Block::bordered().title(title));
    if app.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    p
}

/// The message with every match of the search reversed.
fn highlight(message: &str, search: Option<&str>) -> Vec<Span<'static>> {
    let Some(needle) = search.filter(|s| !s.is_empty()) else {
        return vec![Span::raw(message.to_owned())];
    };
    let mut spans = Vec::new();
    let mut rest = message;
    while let Some(i) = rest.find(needle) {
        spans.push(Span::raw(rest[..i].to_owned()));
        spans.push(Span::styled(
            needle.to_owned(),
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        rest = &rest[i + needle.len()..];
    }
    spans.push(Span::raw(rest.to_owned()));
    spans
}

fn status_line(app: &MonitorApp) -> Line<'static> {
    let mut spans = vec![Span::raw(format!(
        "refreshed {}  follow {}",
        app.refreshed.as_deref().unwrap_or("never"),
        if app.follow { "on" } else { "off" }
    ))];
    match &app.log_source {
        Some(TailSource::Live) => spans.push(Span::raw("  logs live")),
        Some(TailSource::Polling(_)) => spans.push(Span::raw("  logs polled")),
        None => {}
    }
    if let Some(search) = &app.search {
        spans.push(Span::raw(format!("  search \"{search}\"")));
    }
    if let Some((is_error, text)) = &app.message {
        let style = if *is_error {
            Style::default().fg(Color::Red)
        } else {
            Style::default().fg(Color::Green)
        };
        spans.push(Span::styled(format!("  {text}"), style));
    }
    Line::from(spans)
}

fn draw_prompt(frame: &mut Frame, prompt: &Prompt, area: Rect) {
    let (title, text) = match prompt {
        Prompt::Search(t) => (
            " search ",
            format!("/{t}_   (Enter to search, Esc to close)"),
        ),
        Prompt::ScaleTo(t) => (
            " scale ",
            format!("Desired number of tasks: {t}_   (Enter, Esc)"),
        ),
        Prompt::Confirm { question, .. } => (" confirm ", format!("{question}  [y/N]")),
    };
    let rect = crate::tui::centered(area, 70, 5);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title)),
        rect,
    );
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = keys::help_lines()
        .into_iter()
        .map(|(k, h)| Line::from(format!("{k:>10}  {h}")))
        .collect();
    let rect = crate::tui::centered(area, 50, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" keys ")),
        rect,
    );
}
