//! Shows apply and destroy progress. On a terminal: a live list of the stack's resources
//! with spinners and durations, redrawn in place. Otherwise: one line per event, stable
//! enough for scripts and tests to read (`created security_group prefect-tui-x-worker`).

use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::board::{Board, past, present};
use crate::ops::progress::ProgressEvent;

/// One line per event.
pub fn event_line(event: &ProgressEvent) -> String {
    match event {
        ProgressEvent::Unchanged { resource, name } => {
            format!("unchanged  {:<16} {name}", resource.as_str())
        }
        ProgressEvent::Absent { resource, name } => {
            format!("absent     {:<16} {name}", resource.as_str())
        }
        ProgressEvent::Started {
            resource,
            action,
            name,
        } => {
            format!("{:<10} {:<16} {name}", present(*action), resource.as_str())
        }
        ProgressEvent::Note { resource, message } => {
            format!("note       {:<16} {message}", resource.as_str())
        }
        ProgressEvent::Done {
            resource,
            action,
            elapsed,
            detail,
        } => {
            let detail = detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            format!(
                "{:<10} {:<16} in {:.1}s{detail}",
                past(*action),
                resource.as_str(),
                elapsed.as_secs_f64()
            )
        }
        ProgressEvent::Failed {
            resource,
            error,
            hint,
        } => {
            let hint = hint
                .as_deref()
                .map(|h| format!("\n           hint: {h}"))
                .unwrap_or_default();
            format!("FAILED     {:<16} {error}{hint}", resource.as_str())
        }
        ProgressEvent::Skipped { resource, reason } => {
            format!("skipped    {:<16} {reason}", resource.as_str())
        }
        ProgressEvent::Applied { .. } => {
            "applied    AWS and Prefect accepted every change".to_owned()
        }
    }
}

/// Consumes events until the sender is dropped; returns them all.
pub async fn show(mut events: UnboundedReceiver<ProgressEvent>, live: bool) -> Vec<ProgressEvent> {
    let mut history = Vec::new();
    let mut board = Board::default();
    let mut drawn = 0usize;
    let mut tick = 0usize;
    let mut out = std::io::stdout();
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                if live {
                    board.apply(&event);
                } else if !matches!(event, ProgressEvent::Applied { .. }) {
                    let _ = writeln!(out, "{}", event_line(&event));
                    let _ = out.flush();
                }
                history.push(event);
            }
            _ = interval.tick(), if live => {}
        }
        if live {
            tick += 1;
            drawn = redraw(&mut out, &board, drawn, tick);
        }
    }
    if live {
        redraw(&mut out, &board, drawn, tick);
        // Failures in full below the list: the list has room for one line each.
        for event in &history {
            if let ProgressEvent::Failed { .. } = event {
                let _ = writeln!(out, "{}", event_line(event));
            }
        }
    }
    history
}

fn redraw(out: &mut std::io::Stdout, board: &Board, drawn: usize, tick: usize) -> usize {
    if drawn > 0 {
        let _ = write!(out, "\x1b[{drawn}A");
    }
    // A row wider than the terminal would wrap and break the redraw-in-place: cut it.
    let width = crossterm::terminal::size()
        .map(|(w, _)| w as usize)
        .unwrap_or(120)
        .max(20)
        - 1;
    let mut lines = 0;
    for (resource, row) in board.rows() {
        let mark = row.mark(tick);
        let note = row
            .note
            .as_deref()
            .map(|n| format!("  {n}"))
            .unwrap_or_default();
        let line = format!(
            " {mark} {:<17} {:<32} {}{note}",
            resource.label(),
            row.name,
            row.state
        );
        let line: String = line.chars().take(width).collect();
        let _ = writeln!(out, "\x1b[2K{line}");
        lines += 1;
    }
    let _ = out.flush();
    lines
}
