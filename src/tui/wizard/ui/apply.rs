//! Step 6: each resource with a spinner, its state and duration; then the online gate,
//! the worker online, or the failure with what exists and what to do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::board::{Board, Standing};
use crate::tui::wizard::app::WizardApp;
use crate::tui::wizard::forms::ApplyPhase;

/// The verify flow run's progress, and how it ended.
fn verify_lines(app: &WizardApp) -> Vec<Line<'static>> {
    let Some(v) = &app.apply.verify else {
        return vec![];
    };
    let mut lines = vec![Line::from("Verify:".bold())];
    lines.extend(v.lines.iter().map(|l| Line::from(format!("  {l}"))));
    match &v.result {
        None => lines.push(Line::from(Span::styled(
            "  following the flow run…",
            Style::default().fg(Color::Yellow),
        ))),
        Some(Ok(summary)) => lines.push(Line::from(Span::styled(
            format!("✓ {summary}"),
            Style::default().fg(Color::Green).bold(),
        ))),
        Some(Err(problem)) => {
            lines.push(Line::from(Span::styled(
                format!("✗ {}", problem.message),
                Style::default().fg(Color::Red).bold(),
            )));
            if let Some(hint) = &problem.hint {
                lines.push(Line::from(format!("→ {hint}")));
            }
        }
    }
    lines
}

pub(super) fn board_lines(board: &Board, tick: usize) -> Vec<Line<'static>> {
    board
        .rows()
        .map(|(resource, row)| {
            let style = Style::default().fg(match row.standing() {
                Standing::Running => Color::Yellow,
                Standing::Failed => Color::Red,
                Standing::Skipped => Color::DarkGray,
                Standing::Done => Color::Green,
            });
            let mark = row.mark(tick);
            let mut spans = vec![
                Span::styled(format!(" {mark} "), style),
                Span::raw(format!("{:<17} {:<34} ", resource.label(), row.name)),
                Span::styled(row.state.clone(), style),
            ];
            if let Some(note) = &row.note {
                spans.push(Span::styled(
                    format!("  {note}"),
                    Style::default().fg(Color::DarkGray),
                ));
            }
            Line::from(spans)
        })
        .collect()
}

pub(super) fn draw_apply(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let view = &app.apply;
    let rows = board_lines(&view.board, app.tick);
    let [board, outcome] = Layout::vertical([
        Constraint::Length(rows.len().max(1) as u16 + 1),
        Constraint::Min(3),
    ])
    .areas(area);
    let mut lines = rows;
    if lines.is_empty() {
        lines.push(Line::from(" Reading what exists…"));
    }
    frame.render_widget(Paragraph::new(lines), board);
    let text: Vec<Line> = match &view.phase {
        ApplyPhase::Applying => vec![Line::from(
            "Creating and updating the stack. Ctrl-C asks before leaving.",
        )],
        ApplyPhase::Waiting => vec![
            Line::from(
                "AWS accepted everything. Waiting until the worker is online in Prefect, heartbeating…",
            ),
            Line::from(Span::styled(
                view.gate_note.clone().unwrap_or_default(),
                Style::default().fg(Color::DarkGray),
            )),
        ],
        ApplyPhase::Online(workers) => vec![
            Line::from(vec![
                Span::styled(
                    "✓ Worker online: ",
                    Style::default().fg(Color::Green).bold(),
                ),
                Span::raw(workers.join(", ")),
            ]),
            Line::from(format!(
                "Profile {} is saved: `prefect-tui deploy --profile {}` repeats this deploy, `prefect-tui monitor --profile {}` opens the live view.",
                app.profile_name(),
                app.profile_name(),
                app.profile_name()
            )),
            Line::from(
                "Press v to prove it runs flows (one flow run, followed to its end), or Enter to open the live monitor."
                    .bold(),
            ),
        ]
        .into_iter()
        .chain(verify_lines(app))
        .collect(),
        ApplyPhase::Unchecked(note) => vec![
            Line::from(vec![
                Span::styled(
                    "✓ AWS accepted everything. ",
                    Style::default().fg(Color::Green).bold(),
                ),
                Span::styled(
                    "The worker's coming online cannot be checked from here:",
                    Style::default().fg(Color::Yellow),
                ),
            ]),
            Line::from(format!("  {note}.")),
            Line::from(format!(
                "  The worker creates the pool {} when it starts; look for it in Prefect. Deploying again from a machine that reaches the API fills the pool's defaults.",
                app.worker.pool.value.trim()
            )),
            Line::from(format!(
                "Profile {} is saved: `prefect-tui deploy --profile {}` repeats this deploy.",
                app.profile_name(),
                app.profile_name()
            )),
            Line::from(
                "Press Enter to open the live monitor (the tasks and their logs, from AWS).".bold(),
            ),
        ],
        ApplyPhase::Failed { problem, existing } => {
            let mut lines = vec![Line::from(vec![
                Span::styled(
                    "✗ The deploy stopped: ",
                    Style::default().fg(Color::Red).bold(),
                ),
                Span::raw(
                    problem
                        .message
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            ])];
            for line in problem.message.lines().skip(1) {
                lines.push(Line::from(format!("  {line}")));
            }
            if let Some(hint) = &problem.hint {
                lines.push(Line::from(format!("→ {hint}")));
            }
            for line in existing.lines() {
                lines.push(Line::from(line.to_owned()));
            }
            lines.push(Line::from(
                "r runs the deploy again and resumes; q leaves things as they are.".bold(),
            ));
            lines
        }
    };
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), outcome);
}
