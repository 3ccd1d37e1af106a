//! Step 2: Cloud or self-hosted, the URL, the masked credential, and the check's result
//! in words; or the list of workspaces the key reaches.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::fields::{choice_spans, field_width, label, place_cursor, text_spans};
use crate::tui::wizard::app::WizardApp;
use crate::tui::wizard::forms::PrefectField;

pub(super) fn draw_prefect(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.prefect;
    if let Some(list) = &form.workspaces {
        let mut lines = vec![
            Line::from("Workspaces this key reaches (account/workspace):".bold()),
            Line::default(),
        ];
        for (i, ws) in list.iter().enumerate() {
            let text = format!("{}  {}", ws.label(), ws.workspace_id);
            lines.push(if i == form.workspace_cursor {
                Line::from(Span::styled(
                    format!("▸ {text}"),
                    Style::default().add_modifier(Modifier::REVERSED),
                ))
            } else {
                Line::from(format!("  {text}"))
            });
        }
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let width = field_width(area);
    let focused = form.focused();
    let mut lines = Vec::new();
    let mut cursor_row = None;
    for field in form.fields() {
        let is = field == focused;
        let line = match field {
            PrefectField::Kind => [vec![label("Where", is)], choice_spans(&form.kind, is)].concat(),
            PrefectField::Url => {
                if is {
                    cursor_row = Some((lines.len() as u16, &form.url));
                }
                let name = match form.kind_value() {
                    crate::tui::wizard::checks::PrefectKind::Cloud => "Workspace URL",
                    crate::tui::wizard::checks::PrefectKind::SelfHosted => "API URL",
                };
                [vec![label(name, is)], text_spans(&form.url, is, width)].concat()
            }
            PrefectField::Credential => [
                vec![label("Credential", is)],
                choice_spans(&form.credential, is),
            ]
            .concat(),
            PrefectField::Secret => {
                if is {
                    cursor_row = Some((lines.len() as u16, &form.secret));
                }
                let mut spans = vec![label(form.secret_label(), is)];
                spans.extend(text_spans(&form.secret, is, width.min(40)));
                spans.push(Span::styled(
                    if form.secret.revealed {
                        "  (Ctrl-R hides)"
                    } else {
                        "  (Ctrl-R shows)"
                    },
                    Style::default().fg(Color::DarkGray),
                ));
                spans
            }
        };
        lines.push(Line::from(line));
    }
    lines.push(Line::default());
    match (&form.checked, &form.unreachable) {
        (Some(text), _) => lines.push(Line::from(vec![
            Span::styled("✓ ", Style::default().fg(Color::Green)),
            Span::raw(text.clone()),
        ])),
        (None, Some(url)) => {
            let warn = Style::default().fg(Color::Yellow);
            lines.push(Line::from(Span::styled(
                format!("! {url} does not answer from this machine."),
                warn.add_modifier(Modifier::BOLD),
            )));
            lines.push(Line::from(
                "  Reachable only from inside the VPC? Press Enter again to go on: the deploy makes \
                 the AWS part, but cannot check the credential, the work pool or the worker from here.",
            ));
            lines.push(Line::from(
                "  Otherwise correct the URL (or start the server) and press Enter.",
            ));
        }
        (None, None) => lines.push(Line::from(vec![
            Span::styled("Not checked yet. ", Style::default().fg(Color::DarkGray)),
            Span::raw("Enter checks the URL and the credential against the Prefect API."),
        ])),
    }
    lines.push(Line::default());
    let guide = match form.kind_value() {
        crate::tui::wizard::checks::PrefectKind::Cloud => {
            "Paste the workspace URL from the browser, or leave it empty to choose from the workspaces your key reaches."
        }
        crate::tui::wizard::checks::PrefectKind::SelfHosted => {
            "The API URL as the worker will reach it from the VPC, e.g. https://prefect.internal.example.com/api."
        }
    };
    lines.push(Line::from(guide.dark_gray()));
    lines.push(Line::from(
        "The credential is stored only in AWS Secrets Manager: never in the profile or on disk."
            .dark_gray(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some((row, input)) = cursor_row
        && !app.help
    {
        let w = if input.masked { width.min(40) } else { width };
        place_cursor(frame, area, row, input, w);
    }
}
