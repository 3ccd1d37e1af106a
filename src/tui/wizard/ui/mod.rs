//! Draws the wizard from its state. Nothing here changes state or does I/O.
//!
//! Every screen: a title line, the step list, the step's form, a status line (problems in
//! words with what to do; work in progress with a spinner) and the keys that work here.
//! Colour always comes with a word or a mark, never alone.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{Step, WizardApp};
use super::footer::FooterKey;
use super::help::help_text;
use crate::tui::board::SPINNER;

mod apply;
mod aws;
mod fields;
mod network;
mod prefect;
mod review;
mod worker;

/// The smallest terminal the wizard draws in.
pub const MIN_WIDTH: u16 = 80;

pub const MIN_HEIGHT: u16 = 24;

pub fn draw(frame: &mut Frame, app: &WizardApp) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let [title, steps, main, status, footer] = screen_areas(app, area);
    let status_lines = status_text(app);
    let footer_line = footer_text(app, area.width);
    draw_title(frame, title, app);
    draw_steps(frame, steps, app);
    let block = Block::default().borders(Borders::ALL).title(format!(
        " {} · {} ",
        app.step.index() + 1,
        app.step.title()
    ));
    let inner = block.inner(main);
    frame.render_widget(block, main);
    match app.step {
        Step::Aws => aws::draw_aws(frame, inner, app),
        Step::Prefect => prefect::draw_prefect(frame, inner, app),
        Step::Network => network::draw_network(frame, inner, app),
        Step::Worker => worker::draw_worker(frame, inner, app),
        Step::Review => review::draw_review(frame, inner, app),
        Step::Apply => apply::draw_apply(frame, inner, app),
    }
    frame.render_widget(
        Paragraph::new(status_lines).wrap(Wrap { trim: false }),
        status,
    );
    frame.render_widget(
        Paragraph::new(footer_line).wrap(Wrap { trim: false }),
        footer,
    );
    if app.help {
        draw_help(frame, main, app);
    }
    if app.confirm_quit {
        draw_confirm_quit(frame, main, &app.profile_name());
    }
}

/// The title, step list, main pane, status and footer rows for this state.
fn screen_areas(app: &WizardApp, area: Rect) -> [Rect; 5] {
    let status_height = wrapped_height(&status_text(app), area.width).min(4);
    let footer_line = footer_text(app, area.width);
    let footer_height = wrapped_height(std::slice::from_ref(&footer_line), area.width).min(2);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(status_height),
        Constraint::Length(footer_height),
    ])
    .areas(area)
}

/// How far the review's text scrolls on the terminal the wizard has now (the same layout
/// as drawn), so that ↓ stops at the end and ↑ moves at once.
pub(super) fn review_max_scroll(app: &WizardApp) -> u16 {
    let (width, height) = app.screen;
    let area = Rect::new(0, 0, width.max(MIN_WIDTH), height.max(MIN_HEIGHT));
    let [_, _, main, _, _] = screen_areas(app, area);
    let inner = Block::default().borders(Borders::ALL).inner(main);
    review::max_scroll(app, inner)
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("The terminal is too small for the setup wizard.".bold()),
        Line::from(format!(
            "It needs {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or run `prefect-tui init --plain`."),
        Line::from("Ctrl-C quits."),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn draw_title(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let left = Line::from(" prefect-tui setup".bold());
    frame.render_widget(Paragraph::new(left), area);
    if let Some(identity) = &app.aws.identity {
        let right = format!(
            "account {} · {} ",
            identity.account,
            app.aws.region.value.trim()
        );
        frame.render_widget(Paragraph::new(right).alignment(Alignment::Right), area);
    }
}

/// The step list: "✓ 1 AWS account  ▸ 2 Prefect ..." on a wide terminal, else shorter
/// titles, else the current step's title alone between the numbers.
fn draw_steps(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let current = app.step.index();
    let line = |title: &dyn Fn(Step) -> &'static str, gap: &'static str| {
        let mut spans = vec![Span::raw(" ")];
        for step in Step::ALL {
            let i = step.index();
            let name = title(step);
            let label = if name.is_empty() {
                format!("{}", i + 1)
            } else {
                format!("{} {name}", i + 1)
            };
            let span = if i < current {
                Span::styled(format!("✓ {label}"), Style::default().fg(Color::Green))
            } else if i == current {
                Span::styled(
                    format!("▸ {label}"),
                    Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                )
            } else {
                Span::styled(format!("  {label}"), Style::default().fg(Color::DarkGray))
            };
            if i > 0 {
                spans.push(Span::raw(gap));
            }
            spans.push(span);
        }
        Line::from(spans)
    };
    let full = |s: Step| s.title();
    let short = |s: Step| s.short_title();
    let only_current = |s: Step| if s == app.step { s.title() } else { "" };
    let candidates = [
        line(&full, "  "),
        line(&short, "  "),
        line(&only_current, " "),
    ];
    let width = area.width as usize;
    let [a, b, c] = candidates;
    // Below 100 columns the long titles crowd the line even where they fit.
    let chosen = if a.width() <= width && width >= 100 {
        a
    } else if b.width() <= width {
        b
    } else {
        c
    };
    frame.render_widget(Paragraph::new(chosen), area);
}

/// Rows the lines take when wrapped at `width` (at least one).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = width.max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    rows.max(1) as u16
}

/// The status line: work in progress, else the last problem with its hint, else a note.
fn status_text(app: &WizardApp) -> Vec<Line<'static>> {
    if let Some(busy) = &app.busy {
        vec![Line::from(Span::styled(
            format!(" {} {busy}", SPINNER[app.tick % SPINNER.len()]),
            Style::default().fg(Color::Yellow),
        ))]
    } else if let Some(problem) = &app.problem {
        let mut lines = vec![Line::from(vec![
            Span::styled(" ✗ ", Style::default().fg(Color::Red).bold()),
            Span::styled(
                problem.message.replace('\n', " "),
                Style::default().fg(Color::Red),
            ),
        ])];
        if let Some(hint) = &problem.hint {
            lines.push(Line::from(format!("   → {hint}")));
        }
        lines
    } else if let Some(info) = &app.info {
        vec![Line::from(Span::styled(
            format!(" {info}"),
            Style::default().fg(Color::Cyan),
        ))]
    } else {
        vec![Line::default()]
    }
}

/// The footer that fits `width`: every key with its words; else shorter words; else the
/// most used keys and "all keys" on the help key, which lists them. Never cut.
fn footer_text(app: &WizardApp, width: u16) -> Line<'static> {
    let keys = app.footer();
    let width = width as usize;
    let line = |keys: &[FooterKey], short: bool, more: bool| {
        let mut spans = vec![Span::raw(" ")];
        if let Some(focus) = app.focus_label() {
            spans.push(Span::styled(
                format!("[{focus}]"),
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::raw(" "));
        }
        let last = keys.len().saturating_sub(2);
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", Style::default().fg(Color::DarkGray)));
            }
            spans.push(Span::styled(
                key.key,
                Style::default().add_modifier(Modifier::BOLD),
            ));
            let what = match (more && i == last, short) {
                (true, _) => "all keys",
                (false, true) => key.short,
                (false, false) => key.what,
            };
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    };
    for short in [false, true] {
        let full = line(&keys, short, false);
        if full.width() <= width {
            return full;
        }
    }
    // Drop the least used keys (from the end, before help and quit) until the rest fit.
    let mut kept = keys.clone();
    while kept.len() > 2 {
        kept.remove(kept.len() - 3);
        let fitted = line(&kept, true, true);
        if fitted.width() <= width {
            return fitted;
        }
    }
    line(&kept, true, true)
}

fn draw_help(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let step = app.step;
    let mut lines: Vec<Line> = help_text(step).iter().map(|l| Line::from(*l)).collect();
    lines.push(Line::default());
    let keys: Vec<String> = app
        .footer()
        .iter()
        .map(|k| format!("{} {}", k.key, k.what))
        .collect();
    lines.push(Line::from(format!("Keys: {}", keys.join(" · "))));
    lines.push(Line::from("Any key closes this help.".bold()));
    let width = area.width.min(86);
    let height = wrapped_height(&lines, width.saturating_sub(2)) + 2;
    let popup = crate::tui::centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Help: {} ", step.title())),
        ),
        popup,
    );
}

fn draw_confirm_quit(frame: &mut Frame, area: Rect, profile: &str) {
    let lines = vec![
        Line::from("A deploy is in progress. Leave now?".bold()),
        Line::from("What exists so far stays, and is listed when you leave;"),
        Line::from(format!(
            "`prefect-tui deploy --profile {profile}` resumes it later."
        )),
        Line::default(),
        Line::from("y leaves · any other key stays"),
    ];
    let popup = crate::tui::centered(area, 64, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Leave? ")),
        popup,
    );
}
