//! The monitor's panes: service, tasks, workers, events, flow runs, the CPU and memory
//! charts, and the logs. The focused pane has a thick border; the selected row of a list
//! is marked `▸` (and reversed while its pane has the keys); a list longer than its pane
//! scrolls with the selection and says where it is (`2/5`) in its title.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Sparkline, Wrap};

use super::app::{Metrics, MonitorApp, Presence};
use super::detail::readable_time;
use super::logview::find_all;
use super::panes::Pane;
use crate::aws::status::metrics::ServiceMetrics;
use crate::aws::status::scaling::ScalingView;

const TASK_COLOURS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::Blue,
    Color::LightRed,
];

/// `text` in at most `width` characters, ending in `…` where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn pane_block(app: &MonitorApp, pane: Option<Pane>, title: String) -> Block<'static> {
    let block = Block::bordered().title(title);
    if pane.is_some_and(|p| p == app.focus) {
        block
            .border_type(BorderType::Thick)
            .border_style(Style::default().fg(Color::Cyan))
    } else {
        block
    }
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

pub fn draw_top(frame: &mut Frame, app: &mut MonitorApp, area: Rect) {
    let [service, tasks, workers] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(36),
        Constraint::Percentage(30),
    ])
    .areas(area);
    frame.render_widget(service_pane(app), service);
    app.list_page = tasks.height.saturating_sub(2) as usize;
    draw_list(frame, app, Pane::Tasks, tasks, task_rows(app, tasks.width));
    draw_list(
        frame,
        app,
        Pane::Workers,
        workers,
        worker_rows(app, workers.width),
    );
}

pub fn draw_middle(frame: &mut Frame, app: &mut MonitorApp, area: Rect) {
    let [events, runs, charts] = Layout::horizontal([
        Constraint::Percentage(45),
        Constraint::Percentage(25),
        Constraint::Percentage(30),
    ])
    .areas(area);
    draw_list(
        frame,
        app,
        Pane::Events,
        events,
        event_rows(app, events.width),
    );
    draw_list(
        frame,
        app,
        Pane::FlowRuns,
        runs,
        flow_run_rows(app, runs.width),
    );
    draw_charts(frame, app, charts);
}

fn service_pane(app: &MonitorApp) -> Paragraph<'static> {
    let mut lines = Vec::new();
    let red = Style::default().fg(Color::Red);
    // The whole sentence is in the status line; here what fits a narrow pane.
    match &app.presence {
        Presence::Gone { service } => {
            lines.push(Line::styled("GONE: no ECS service", red));
            lines.push(Line::styled(service.clone(), red));
        }
        Presence::NotDeployed => lines.push(Line::styled("not deployed", red)),
        _ => {}
    }
    if let Some(svc) = app.status.as_ref().and_then(|s| s.service.as_ref()) {
        if let Presence::Going { .. } = app.presence {
            lines.push(Line::styled(format!("{}: being deleted", svc.status), red));
        }
        lines.push(Line::from(format!(
            "{}/{} running  {} pending",
            svc.running, svc.desired, svc.pending
        )));
        for d in &svc.deployments {
            let rollout = d.rollout_state.as_deref().unwrap_or("-");
            let style = if rollout == "IN_PROGRESS" {
                Style::default().fg(Color::Yellow)
            } else {
                Style::default()
            };
            // The family is the stack's; the revision is what differs between deployments.
            let revision = d.task_definition.rsplit_once(':').map_or("-", |(_, r)| r);
            lines.push(Line::styled(
                format!("{} r{revision} {rollout}", d.status),
                style,
            ));
        }
    }
    if let Some(view) = &app.scaling {
        lines.extend(scaling_lines(view));
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(" service "))
        .wrap(Wrap { trim: true })
}

/// The bounds (red when they are not what the profile asks), the published backlog and
/// online workers, and the last scaling activity: short, for the narrow service pane.
fn scaling_lines(view: &ScalingView) -> Vec<Line<'static>> {
    let grey = Style::default().fg(Color::DarkGray);
    let red = Style::default().fg(Color::Red);
    let mut lines = Vec::new();
    if let Some((min, max, on)) = &view.wanted {
        lines.push(match &view.bounds {
            Ok(Some((lo, hi))) if (*lo, *hi) == (*min as i32, *max as i32) => {
                Line::from(format!("scales {lo}-{hi} on {on}"))
            }
            Ok(Some((lo, hi))) => Line::styled(
                format!("scales {lo}-{hi}, profile says {min}-{max}: plan shows the drift"),
                red,
            ),
            Ok(None) => Line::styled("no scalable target: plan shows the drift", red),
            Err(why) => Line::styled(format!("bounds: {why}"), grey),
        });
    }
    let figure = |r: &Result<Option<(i64, f64)>, String>| match r {
        Ok(Some((_, v))) => format!("{v:.0}"),
        Ok(None) => "-".to_owned(),
        Err(_) => "?".to_owned(),
    };
    let published = match (&view.backlog, &view.online) {
        (Ok(None), Ok(None)) => Line::styled("backlog: nothing published in 10 min", red),
        (Err(why), _) | (_, Err(why)) => Line::styled(format!("backlog: {why}"), grey),
        // The sidecar's figures with their time: a minute old, they may differ from the
        // workers pane, which Prefect answers now.
        (b, o) => {
            let at = [b, o]
                .into_iter()
                .filter_map(|r| r.as_ref().ok().copied().flatten())
                .map(|(t, _)| t)
                .max()
                .map(|t| clock_of(t, 11..16))
                .unwrap_or_default();
            Line::from(format!(
                "published {at}: backlog {}, online {}",
                figure(b),
                figure(o)
            ))
        }
    };
    lines.push(published);
    if view.wanted.is_some() {
        lines.push(match &view.last_activity {
            Ok(Some((time, words))) => {
                Line::from(format!("last scaling {}: {words}", clock_of(*time, 11..16)))
            }
            Ok(None) => Line::styled("last scaling: none yet", grey),
            Err(why) => Line::styled(format!("last scaling: {why}"), grey),
        });
    }
    lines
}

/// A part (`range`) of the readable UTC time of seconds since the epoch: 11..16 is HH:MM.
fn clock_of(secs: i64, range: std::ops::Range<usize>) -> String {
    let iso = aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    let readable = readable_time(&iso);
    readable.get(range).unwrap_or(&readable).to_owned()
}

/// Lines of each row of a list pane, in order, and the selected row's place.
struct Rows {
    rows: Vec<Vec<Line<'static>>>,
    selected: Option<usize>,
    empty: &'static str,
}

fn mark(selected: bool) -> &'static str {
    if selected { "▸ " } else { "  " }
}

fn draw_list(frame: &mut Frame, app: &MonitorApp, pane: Pane, area: Rect, rows: Rows) {
    let height = area.height.saturating_sub(2) as usize;
    let title = match (rows.selected, rows.rows.len()) {
        (_, 0) => format!(" {} ", pane.name()),
        (Some(i), n) => format!(" {} {}/{n} ", pane.name(), i + 1),
        (None, n) => format!(" {} ({n}) ", pane.name()),
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut range = (0, 0);
    for (i, mut row) in rows.rows.into_iter().enumerate() {
        if Some(i) == rows.selected {
            range = (lines.len(), lines.len() + row.len());
            if pane == app.focus
                && let Some(first) = row.first_mut()
            {
                *first = std::mem::take(first)
                    .patch_style(Style::default().add_modifier(Modifier::REVERSED));
            }
        }
        lines.append(&mut row);
    }
    if lines.is_empty() {
        lines.push(Line::from(rows.empty));
    }
    // Scroll so the selected row is whole on screen.
    let offset = range.1.saturating_sub(height).min(range.0);
    let more_below = lines.len() > offset + height;
    let mut block = pane_block(app, Some(pane), title);
    if more_below || offset > 0 {
        block = block.title_bottom(Line::from(match (offset > 0, more_below) {
            (true, true) => " ↑↓ more ",
            (true, false) => " ↑ more ",
            _ => " ↓ more ",
        }));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((offset as u16, 0))
            .block(block),
        area,
    );
}

fn task_rows(app: &MonitorApp, width: u16) -> Rows {
    let width = width.saturating_sub(2) as usize;
    let status = app.status.as_ref();
    let tasks = status.map(|s| s.tasks.as_slice()).unwrap_or_default();
    let selected = app.selection.index(status, Pane::Tasks);
    let rows = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let colour = match t.last_status.as_str() {
                "RUNNING" => Color::Green,
                "STOPPED" => Color::Red,
                _ => Color::Yellow,
            };
            let revision = t.task_definition.rsplit_once(':').map_or("", |(_, r)| r);
            let tail = format!(" {} r{revision}", t.health.to_lowercase());
            let head = format!("{}{} ", mark(Some(i) == selected), short(&t.id));
            let room = width.saturating_sub(head.chars().count());
            let state = fit(&t.last_status, room);
            let tail = fit(&tail, room.saturating_sub(state.chars().count()));
            let mut lines = vec![Line::from(vec![
                Span::raw(head),
                Span::styled(state, Style::default().fg(colour)),
                Span::raw(tail),
            ])];
            if let Some(reason) = &t.stopped_reason {
                lines.push(Line::styled(
                    fit(&format!("  {reason}"), width),
                    Style::default().fg(Color::Red),
                ));
            }
            lines
        })
        .collect();
    Rows {
        rows,
        selected,
        empty: "no tasks",
    }
}

fn worker_rows(app: &MonitorApp, width: u16) -> Rows {
    let width = width.saturating_sub(2) as usize;
    let status = app.status.as_ref();
    let workers = status.map(|s| s.workers.as_slice()).unwrap_or_default();
    let selected = app.selection.index(status, Pane::Workers);
    let rows = workers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let age = w
                .heartbeat_age
                .map(|a| format!("{a}s ago"))
                .unwrap_or_else(|| "never".into());
            let colour = if w.status == "ONLINE" {
                Color::Green
            } else {
                Color::Red
            };
            // The end of a worker's name is what tells workers apart (a uuid).
            let tail: String = {
                let chars: Vec<char> = w.name.chars().collect();
                chars[chars.len().saturating_sub(8)..].iter().collect()
            };
            let text = format!(" beat {age}");
            let head = format!("{}…{tail} ", mark(Some(i) == selected));
            let room = width.saturating_sub(head.chars().count() + w.status.len());
            vec![Line::from(vec![
                Span::raw(head),
                Span::styled(w.status.clone(), Style::default().fg(colour)),
                Span::raw(fit(&text, room)),
            ])]
        })
        .collect();
    Rows {
        rows,
        selected,
        empty: "no worker yet",
    }
}

fn flow_run_rows(app: &MonitorApp, width: u16) -> Rows {
    let width = width.saturating_sub(2) as usize;
    let status = app.status.as_ref();
    let runs = status.map(|s| s.flow_runs.as_slice()).unwrap_or_default();
    let selected = app.selection.index(status, Pane::FlowRuns);
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let took = r
                .duration_secs()
                .map(|s| format!(" {s:.0}s"))
                .unwrap_or_default();
            let task = r
                .task_id()
                .map(|id| format!(" task {}", &id[..id.len().min(8)]))
                .unwrap_or_default();
            let text = format!(
                "{}{} {}{took}{task}",
                mark(Some(i) == selected),
                r.name,
                r.state_name()
            );
            vec![Line::from(fit(&text, width))]
        })
        .collect();
    Rows {
        rows,
        selected,
        empty: "none yet",
    }
}

fn event_rows(app: &MonitorApp, width: u16) -> Rows {
    let width = width.saturating_sub(2) as usize;
    let status = app.status.as_ref();
    let events = status
        .and_then(|s| s.service.as_ref())
        .map(|s| s.events.as_slice())
        .unwrap_or_default();
    let selected = app.selection.index(status, Pane::Events);
    // ECS gives them newest first; so they stay.
    let rows = events
        .iter()
        .enumerate()
        .map(|(i, (time, message))| {
            let clock = readable_time(time);
            let clock = clock.get(11..19).unwrap_or(&clock).to_owned();
            let head = format!("{}{clock} ", mark(Some(i) == selected));
            let room = width.saturating_sub(head.chars().count());
            vec![Line::from(vec![
                Span::styled(head, Style::default().fg(Color::DarkGray)),
                Span::raw(fit(message, room)),
            ])]
        })
        .collect();
    Rows {
        rows,
        selected,
        empty: "no service events",
    }
}

fn draw_charts(frame: &mut Frame, app: &MonitorApp, area: Rect) {
    let block = pane_block(app, None, " cpu / memory, 1 h ".to_owned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let words = |text: String| Paragraph::new(text).wrap(Wrap { trim: true });
    match &app.metrics {
        Metrics::Waiting => frame.render_widget(words("reading CloudWatch...".into()), inner),
        Metrics::Unavailable(why) => frame.render_widget(
            words(format!("no metrics here: {why}")).style(Style::default().fg(Color::DarkGray)),
            inner,
        ),
        Metrics::Loaded(m) if m.is_empty() => frame.render_widget(
            words("no metrics here: CloudWatch has none for the last hour.".into())
                .style(Style::default().fg(Color::DarkGray)),
            inner,
        ),
        Metrics::Loaded(m) => draw_sparklines(frame, m, inner),
    }
}

fn draw_sparklines(frame: &mut Frame, m: &ServiceMetrics, area: Rect) {
    let halves = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(area);
    for ((name, series, colour), half) in [
        ("cpu", &m.cpu, Color::Cyan),
        ("mem", &m.memory, Color::Magenta),
    ]
    .into_iter()
    .zip(halves.iter())
    {
        let [label, chart] =
            Layout::horizontal([Constraint::Length(9), Constraint::Min(1)]).areas(*half);
        let now = series
            .last()
            .map_or_else(|| "-".to_owned(), |(_, v)| format!("{v:.0}%"));
        let max = series.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let mut text = vec![Line::from(format!("{name} {now}"))];
        if half.height > 1 {
            text.push(Line::styled(
                format!("max {max:.0}%"),
                Style::default().fg(Color::DarkGray),
            ));
        }
        frame.render_widget(Paragraph::new(text), label);
        // The newest points that fit, one a minute; 100% is the top of the chart.
        let points: Vec<u64> = series
            .iter()
            .map(|(_, v)| v.clamp(0.0, 100.0).round() as u64)
            .collect();
        let shown = &points[points.len().saturating_sub(chart.width as usize)..];
        frame.render_widget(
            Sparkline::default()
                .data(shown)
                .max(100)
                .style(Style::default().fg(colour)),
            chart,
        );
    }
}

fn task_colour(task: &str) -> Color {
    // A stable colour per task without remembering tasks: a small hash of the id.
    let hash = task
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    TASK_COLOURS[hash % TASK_COLOURS.len()]
}

pub fn draw_logs(frame: &mut Frame, app: &mut MonitorApp, area: Rect) {
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    app.logs.page = height;
    let search = app.logs.search.clone();
    let lines: Vec<Line> = app
        .logs
        .window(height)
        .into_iter()
        .map(|(seq, e)| {
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
                format!("{} ", short(&e.task)),
                Style::default().fg(task_colour(&e.task)),
            ));
            let current = app.logs.is_current_match(seq);
            // Cut lines end in `…` (w wraps them instead).
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            let message = if app.wrap {
                e.message.clone()
            } else {
                fit(&e.message, width.saturating_sub(used))
            };
            spans.extend(highlight(&message, search.as_deref(), current));
            Line::from(spans)
        })
        .collect();
    let mut title = String::from(" logs");
    if let Some(t) = &app.logs.task_filter {
        title.push_str(&format!(" · task {}", short(t)));
    }
    if let Some(f) = &app.logs.text_filter {
        title.push_str(&format!(" · only \"{f}\""));
    }
    title.push(' ');
    let (line, total) = app.logs.position();
    let mut bottom = match app.logs.match_position() {
        Some(p) if p.total == 0 => format!(" /{} no match ", search.unwrap_or_default()),
        Some(p) if p.current == 0 => {
            format!(" /{} {} matches ", search.unwrap_or_default(), p.total)
        }
        Some(p) => format!(
            " /{} {} of {} ",
            search.unwrap_or_default(),
            p.current,
            p.total
        ),
        None => String::new(),
    };
    bottom.push_str(&format!(" line {line} of {total} "));
    if !app.logs.follow {
        bottom.push_str(" (not following: f or G) ");
    }
    let block =
        pane_block(app, Some(Pane::Logs), title).title_bottom(Line::from(bottom).right_aligned());
    let mut p = Paragraph::new(lines).block(block);
    if app.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    frame.render_widget(p, area);
}

/// The message with every match of the search reversed, the current one in yellow.
fn highlight(message: &str, search: Option<&str>, current: bool) -> Vec<Span<'static>> {
    let Some(needle) = search.filter(|s| !s.is_empty()) else {
        return vec![Span::raw(message.to_owned())];
    };
    let style = if current {
        Style::default().fg(Color::Black).bg(Color::Yellow)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let mut spans = Vec::new();
    let mut from = 0;
    for (start, end) in find_all(message, needle) {
        spans.push(Span::raw(message[from..start].to_owned()));
        spans.push(Span::styled(message[start..end].to_owned(), style));
        from = end;
    }
    spans.push(Span::raw(message[from..].to_owned()));
    spans
}
