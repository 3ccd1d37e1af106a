//! Step 1: the AWS profile and region, and the identity they resolve to.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::fields::{LABEL, choice_spans, field_width, label, place_cursor, text_spans};
use crate::tui::wizard::app::WizardApp;

pub(super) fn draw_aws(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.aws;
    let width = field_width(area);
    let mut lines = vec![
        Line::from(
            [
                vec![label("AWS profile", form.focus == 0)],
                choice_spans(&form.profile, form.focus == 0),
            ]
            .concat(),
        ),
        Line::from(
            [
                vec![label("Region", form.focus == 1)],
                text_spans(&form.region, form.focus == 1, width.min(20)),
            ]
            .concat(),
        ),
        Line::default(),
    ];
    match &form.identity {
        Some(identity) => {
            lines.push(Line::from(vec![
                label("Identity", false),
                Span::styled("✓ ", Style::default().fg(Color::Green)),
                Span::raw(format!("account {}", identity.account)),
            ]));
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(LABEL + 4)),
                Span::raw(identity.arn.clone()),
            ]));
        }
        None => lines.push(Line::from(vec![
            label("Identity", false),
            Span::styled("not checked yet", Style::default().fg(Color::DarkGray)),
        ])),
    }
    lines.push(Line::default());
    lines.push(Line::from(
        "Enter checks these credentials and shows who they are; Enter again continues.",
    ));
    lines.push(Line::from(
        "Nothing is created in the account until the Deploy step.".dark_gray(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if form.focus == 1 && !app.help {
        place_cursor(frame, area, 1, &form.region, width.min(20));
    }
}
