//! Step 5: the plan or the documents, the customizations, and the profile name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fields::{field_width, label, place_cursor, text_spans};
use crate::tui::wizard::app::WizardApp;

pub(super) fn draw_review(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.review;
    let [body, extra] = Layout::vertical([Constraint::Min(4), Constraint::Length(3)]).areas(area);
    let (title, text) = if form.show_documents {
        (
            "Task definition and service request, as they will be sent (Ctrl-T: the plan)",
            form.documents.as_str(),
        )
    } else {
        (
            "What the deploy will do (Ctrl-T: the documents)",
            form.plan_text.as_str(),
        )
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(Block::default().title(title.bold()))
            .scroll((form.scroll, 0)),
        body,
    );
    let width = field_width(extra).min(40);
    let customizations = match form.customizations.len() {
        0 => "none (Ctrl-E adds one in $EDITOR)".to_owned(),
        n => {
            let ops: Vec<String> = form
                .customizations
                .iter()
                .map(|c| format!("{} {} {}", c.target.as_str(), c.op, c.path))
                .collect();
            format!("{n}: {} (Ctrl-E edits)", ops.join("; "))
        }
    };
    let lines = vec![
        Line::from(vec![label("Customizations", false), Span::raw(customizations)]),
        Line::from([vec![label("Save as profile", true)], text_spans(&form.profile_name, true, width)].concat()),
        Line::from(
            "Enter saves the profile (no secret in it) and deploys; `prefect-tui deploy --profile NAME` repeats it."
                .dark_gray(),
        ),
    ];
    frame.render_widget(Paragraph::new(lines), extra);
    if !app.help {
        place_cursor(frame, extra, 1, &form.profile_name, width);
    }
}
