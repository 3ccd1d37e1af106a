//! Drawing the monitor from its state: the layout, the header, the status line, the
//! footer and the overlays (prompt, help, detail). The panes are in `ui_panes`. No I/O;
//! snapshot-tested on a `TestBackend`.
//!
//! Everything must fit at 80x24: the header drops its least useful parts, the footer its
//! hints, and what does not fit in a pane is cut with `…` and readable in full in the
//! detail view (Enter) or by scrolling.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{MonitorApp, Presence, Prompt};
use super::detail::{fields, wrap};
use super::{keys, ui_panes};
use crate::aws::logs::TailSource;

const MIN_WIDTH: u16 = 60;
const MIN_HEIGHT: u16 = 16;
/// The most lines the status line grows to for a long message.
const STATUS_LINES: usize = 3;

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
    let tall = area.height >= 34;
    let status = status_lines(app, area.width as usize);
    let [header, top, middle, logs, status_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(if tall { 9 } else { 6 }),
        Constraint::Length(if tall { 8 } else { 5 }),
        Constraint::Min(4),
        Constraint::Length(status.len() as u16),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(header_line(app, header.width as usize)),
        header,
    );
    ui_panes::draw_top(frame, app, top);
    ui_panes::draw_middle(frame, app, middle);
    ui_panes::draw_logs(frame, app, logs);
    frame.render_widget(Paragraph::new(status), status_area);
    frame.render_widget(
        Paragraph::new(keys::footer(app.focus, footer.width as usize))
            .style(Style::default().fg(Color::DarkGray)),
        footer,
    );
    if let Some(prompt) = &app.prompt {
        draw_prompt(frame, prompt, area);
    } else if app.detail.is_some() {
        draw_detail(frame, app, area);
    } else if app.help {
        draw_help(frame, area);
    }
}

/// `stack prod  account …  region  cluster …  pool … (n online)`, dropping the account and
/// then the cluster where the line would not fit.
fn header_line(app: &MonitorApp, width: usize) -> Line<'static> {
    let Some(s) = &app.status else {
        return Line::from("prefect-tui monitor: reading the stack...");
    };
    let online = s.workers.iter().filter(|w| w.status == "ONLINE").count();
    let stack = format!("stack {}", s.stack);
    let pool = match &app.presence {
        Presence::Gone { .. } => format!("pool {}", s.work_pool),
        _ => format!("pool {} ({online} online)", s.work_pool),
    };
    let tag = match &app.presence {
        Presence::Gone { .. } => Some("STACK GONE"),
        Presence::Going { .. } => Some("STACK BEING DELETED"),
        _ => None,
    };
    let optional = [
        format!("account {}", s.account),
        s.region.clone(),
        format!("cluster {}", s.cluster),
    ];
    let fixed =
        stack.chars().count() + 2 + pool.chars().count() + tag.map_or(0, |t| t.chars().count() + 2);
    // Keep the region and cluster before the account: they say where to look.
    let mut keep = [false; 3];
    let mut used = fixed;
    for i in [1, 2, 0] {
        let cost = optional[i].chars().count() + 2;
        if used + cost <= width {
            keep[i] = true;
            used += cost;
        }
    }
    let mut middle = String::new();
    for (i, part) in optional.iter().enumerate() {
        if keep[i] {
            middle.push_str("  ");
            middle.push_str(part);
        }
    }
    let mut spans = vec![
        Span::styled(stack, Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!("{middle}  {pool}")),
    ];
    if let Some(tag) = tag {
        spans.push(Span::styled(
            format!("  {tag}"),
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}

/// The status line, wrapped to at most `STATUS_LINES` lines (a long error shows whole).
fn status_lines(app: &MonitorApp, width: usize) -> Vec<Line<'static>> {
    let mut text = format!(
        "refreshed {}  follow {}",
        app.refreshed.as_deref().unwrap_or("never"),
        if app.logs.follow { "on" } else { "off" }
    );
    match &app.log_source {
        Some(TailSource::Live) => text.push_str("  logs live"),
        Some(TailSource::Polling(_)) => text.push_str("  logs polled"),
        None => {}
    }
    // While the stack is gone or going that is the news, ahead of any other message.
    let presence = presence_sentence(&app.presence);
    let Some((is_error, message)) = presence
        .as_ref()
        .map(|p| (&true, p))
        .or(app.message.as_ref().map(|(e, m)| (e, m)))
    else {
        return vec![Line::from(text)];
    };
    let style = if *is_error {
        Style::default().fg(Color::Red)
    } else {
        Style::default().fg(Color::Green)
    };
    let lead = text.chars().count() + 2;
    let mut lines: Vec<Line> = Vec::new();
    if lead + message.chars().count() <= width {
        return vec![Line::from(vec![
            Span::raw(text),
            Span::styled(format!("  {message}"), style),
        ])];
    }
    lines.push(Line::from(text));
    let mut wrapped = wrap(message, width);
    if wrapped.len() > STATUS_LINES - 1 {
        wrapped.truncate(STATUS_LINES - 1);
        if let Some(last) = wrapped.last_mut() {
            *last = ui_panes::fit(&format!("{last} …"), width);
        }
    }
    lines.extend(wrapped.into_iter().map(|l| Line::styled(l, style)));
    lines
}

fn presence_sentence(presence: &Presence) -> Option<String> {
    match presence {
        Presence::Gone { service } => Some(format!(
            "The ECS service {service} is gone: the stack was destroyed. Nothing runs the worker; `prefect-tui deploy` brings it back."
        )),
        Presence::Going { service } => Some(format!(
            "The ECS service {service} is being deleted (DRAINING): its tasks are stopping."
        )),
        Presence::NotDeployed => Some(
            "This stack has no ECS service: it is not deployed. `prefect-tui deploy` creates it."
                .to_owned(),
        ),
        Presence::Deployed | Presence::Unknown => None,
    }
}

fn draw_prompt(frame: &mut Frame, prompt: &Prompt, area: Rect) {
    let (title, mut lines) = match prompt {
        Prompt::Search(t) => (
            " search the logs ",
            vec![Line::from(format!(
                "/{t}_   (Enter: search, then n / N; Esc: close)"
            ))],
        ),
        Prompt::Filter(t) => (
            " filter the logs ",
            vec![Line::from(format!(
                "Only lines containing: {t}_   (Enter; empty shows all; Esc)"
            ))],
        ),
        Prompt::ScaleTo { text, .. } => (
            " scale ",
            vec![Line::from(format!(
                "Desired number of tasks: {text}_   (Enter, Esc)"
            ))],
        ),
        Prompt::Confirm { question, .. } => (
            " confirm ",
            vec![
                Line::from(question.clone()),
                Line::styled(
                    "y: go ahead; any other key: cancel",
                    Style::default().add_modifier(Modifier::BOLD),
                ),
            ],
        ),
    };
    if let Prompt::ScaleTo {
        error: Some(error), ..
    } = prompt
    {
        lines.push(Line::styled(error.clone(), Style::default().fg(Color::Red)));
    }
    // Tall enough for the wrapped text (a rollback's diff can be long), at least 6 rows.
    let width = 70.min(area.width);
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines
        .iter()
        // Words wrap before the edge: a row in eight is spare for that.
        .map(|l| (l.width() + l.width() / 8).div_ceil(inner).max(1))
        .sum();
    let rect = crate::tui::centered(area, width, (rows as u16 + 2).max(6));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title)),
        rect,
    );
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let entries = keys::help_lines();
    let line = |(k, h): &(&str, &str)| format!("{k:>10}  {h}");
    let rows = entries.len() as u16 + 2;
    // Two columns where one would not fit the height.
    let (lines, width): (Vec<Line>, u16) = if rows <= area.height {
        (entries.iter().map(|e| Line::from(line(e))).collect(), 56)
    } else {
        let half = entries.len().div_ceil(2);
        let lines = (0..half)
            .map(|i| {
                let left = line(&entries[i]);
                let right = entries.get(i + half).map(line).unwrap_or_default();
                Line::from(format!("{left:<38}{right}"))
            })
            .collect();
        (lines, area.width)
    };
    let rect = crate::tui::centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" keys (Esc closes) ")),
        rect,
    );
}

/// The selected row in full, each value wrapped under its label, scrolled by ↑/↓.
fn draw_detail(frame: &mut Frame, app: &mut MonitorApp, area: Rect) {
    let Some(detail) = app.detail.clone() else {
        return;
    };
    let rect = crate::tui::centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(4),
    );
    let inner_width = rect.width.saturating_sub(2) as usize;
    let label_width = 14;
    let value_width = inner_width.saturating_sub(label_width).max(10);
    let (title, lines) = match app.status.as_ref().and_then(|s| fields(s, &detail)) {
        Some((title, rows)) => {
            let mut lines = Vec::new();
            for (label, value) in rows {
                for (i, part) in wrap(&value, value_width).into_iter().enumerate() {
                    let label = if i == 0 { label } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(
                            format!("{label:<label_width$}"),
                            Style::default().fg(Color::DarkGray),
                        ),
                        Span::raw(part),
                    ]));
                }
            }
            (title, lines)
        }
        None => (
            "detail".to_owned(),
            vec![Line::from(
                "This row is no longer there (the last refresh dropped it).",
            )],
        ),
    };
    let page = rect.height.saturating_sub(2) as usize;
    app.detail_size = (lines.len(), page);
    app.detail_scroll = app.detail_scroll.min(lines.len().saturating_sub(page));
    let first = app.detail_scroll + 1;
    let last = (app.detail_scroll + page).min(lines.len());
    let position = format!(
        " lines {first}-{last} of {}  ↑/↓ scroll  Esc close ",
        lines.len()
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((app.detail_scroll as u16, 0))
            .block(
                Block::bordered()
                    .title(format!(" {title} "))
                    .title_bottom(position),
            ),
        rect,
    );
}
