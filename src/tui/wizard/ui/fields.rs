//! The pieces every form is drawn from: a label, a text field in brackets (cut to keep
//! the cursor in view, masked when secret), a choice between ‹ ›, and the terminal cursor.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::tui::wizard::widgets::{Choice, TextInput};

pub(super) const LABEL: usize = 16;

pub(super) fn label(text: &str, focused: bool) -> Span<'static> {
    let marker = if focused { "▸ " } else { "  " };
    let text = format!("{marker}{text:<LABEL$}");
    if focused {
        Span::styled(text, Style::default().add_modifier(Modifier::BOLD))
    } else {
        Span::raw(text)
    }
}

/// A text field: the value in brackets, cut from the left to keep the cursor in view.
pub(super) fn text_spans(input: &TextInput, focused: bool, width: usize) -> Vec<Span<'static>> {
    let shown = input.shown();
    let chars: Vec<char> = shown.chars().collect();
    let skip = input.cursor().saturating_sub(width.saturating_sub(1));
    let visible: String = chars.iter().skip(skip).take(width).collect();
    let style = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    vec![
        Span::styled("[", style),
        Span::styled(format!("{visible:<width$}"), style),
        Span::styled("]", style),
    ]
}

pub(super) fn choice_spans(choice: &Choice, focused: bool) -> Vec<Span<'static>> {
    let style = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    vec![Span::styled(format!("‹ {} ›", choice.value()), style)]
}

/// Puts the terminal cursor in a focused text field (`row` is the line inside `area`).
pub(super) fn place_cursor(
    frame: &mut Frame,
    area: Rect,
    row: u16,
    input: &TextInput,
    width: usize,
) {
    let col = input.cursor().min(width.saturating_sub(1)) as u16;
    let x = area.x + (LABEL as u16) + 3 + col;
    frame.set_cursor_position(Position::new(
        x.min(area.right().saturating_sub(1)),
        area.y + row,
    ));
}

pub(super) fn field_width(area: Rect) -> usize {
    (area.width as usize).saturating_sub(LABEL + 5).min(60)
}
