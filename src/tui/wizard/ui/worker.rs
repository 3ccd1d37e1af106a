//! Step 4: stack name, work pool, size (valid Fargate pairs only), count and image; who the
//! alarms e-mail, how far the service scales, and whether flow runs go to Fargate Spot.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::fields::{choice_spans, field_width, label, place_cursor, text_spans};
use crate::stack::image;
use crate::tui::wizard::app::WizardApp;
use crate::tui::wizard::forms::WorkerField;
use crate::tui::wizard::production::one_zone_warning;
use crate::tui::wizard::widgets::Choice;

pub(super) fn draw_worker(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.worker;
    let width = field_width(area).min(40);
    let focused = form.focused();
    let mut lines = Vec::new();
    let mut cursor = None;
    for (row, field) in WorkerField::ALL.iter().enumerate() {
        let is = *field == focused;
        let spans = match field {
            WorkerField::Stack => [
                vec![label("Stack name", is)],
                text_spans(&form.stack, is, width),
            ]
            .concat(),
            WorkerField::Pool => [
                vec![label("Work pool", is)],
                text_spans(&form.pool, is, width),
            ]
            .concat(),
            WorkerField::Cpu => {
                let cpu = form.cpu_value();
                let mut s = vec![label("CPU", is)];
                s.extend(choice_spans(&form.cpu, is));
                s.push(Span::raw(format!("  = {} vCPU", cpu as f64 / 1024.0)));
                s
            }
            WorkerField::Memory => {
                let mut s = vec![label("Memory (MiB)", is)];
                s.extend(choice_spans(&form.memory, is));
                s.push(Span::styled(
                    format!("  valid with cpu {}", form.cpu_value()),
                    Style::default().fg(Color::DarkGray),
                ));
                s
            }
            WorkerField::Count => {
                [vec![label("Workers", is)], text_spans(&form.count, is, 4)].concat()
            }
            WorkerField::Emails => [
                vec![label("Alert e-mails", is)],
                text_spans(&form.emails, is, width),
            ]
            .concat(),
            WorkerField::ScaleMax => {
                let mut s = [
                    vec![label("Scale up to", is)],
                    text_spans(&form.scale_max, is, 4),
                ]
                .concat();
                s.push(Span::styled(
                    "  workers (empty: a fixed count)",
                    Style::default().fg(Color::DarkGray),
                ));
                s
            }
            WorkerField::Spot => {
                let mut s = vec![label("Spot flow runs", is)];
                s.extend(choice_spans(
                    &Choice::new(&["no", "yes"], usize::from(form.spot)),
                    is,
                ));
                s
            }
            WorkerField::Image => {
                let mut s = [vec![label("Image", is)], text_spans(&form.image, is, width)].concat();
                let image = form.image.value.trim();
                s.push(match image::floats(image) {
                    None => Span::styled(
                        format!(
                            "  {}",
                            image::prefect_version(image)
                                .map_or("pinned".to_owned(), |v| format!("Prefect {v}"))
                        ),
                        Style::default().fg(Color::DarkGray),
                    ),
                    Some(_) => Span::styled("  floats", Style::default().fg(Color::Yellow)),
                });
                s
            }
        };
        if is {
            cursor = match field {
                WorkerField::Stack => Some((row, &form.stack, width)),
                WorkerField::Pool => Some((row, &form.pool, width)),
                WorkerField::Count => Some((row, &form.count, 4)),
                WorkerField::Image => Some((row, &form.image, width)),
                WorkerField::Emails => Some((row, &form.emails, width)),
                WorkerField::ScaleMax => Some((row, &form.scale_max, 4)),
                _ => None,
            };
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let pools = match &form.pools {
        None => "Work pools: not read yet.".to_owned(),
        Some(pools) if pools.is_empty() => {
            "Work pools: none yet; the name above makes a new ECS pool.".to_owned()
        }
        Some(pools) => {
            let listed: Vec<String> = pools
                .iter()
                .map(|(name, kind)| format!("{name} ({kind})"))
                .collect();
            let new_or_existing = if pools.iter().any(|(n, _)| *n == form.pool.value.trim()) {
                "uses the existing pool"
            } else {
                "makes a new ECS pool"
            };
            format!(
                "Work pools: {}. The name above {new_or_existing}.",
                listed.join(", ")
            )
        }
    };
    lines.push(Line::from(pools));
    let image = form.image.value.trim();
    let production = production_lines(app);
    match image::floats(image) {
        None if production.is_empty() => lines.push(Line::from(
            format!("Image: {}, pinned.", image::describe(image)).dark_gray(),
        )),
        None => {}
        Some(why) => lines.push(Line::from(format!("Image floats: {why}.").yellow())),
    }
    let roomy = production.is_empty();
    lines.extend(production);
    // With the production lines, the naming line gives way: an 80x24 screen cuts nothing.
    if roomy {
        lines.push(Line::from(
            format!(
                "Resources are named prefect-tui-{}-… and tagged prefect-tui:stack={}.",
                form.stack.value.trim(),
                form.stack.value.trim()
            )
            .dark_gray(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some((row, input, w)) = cursor
        && !app.help
    {
        place_cursor(frame, area, row as u16, input, w);
    }
}

/// What the alert, scaling and Spot answers mean, said under the fields; and the warning
/// when more than one worker would run in one zone.
fn production_lines(app: &WizardApp) -> Vec<Line<'static>> {
    let form = &app.worker;
    let mut lines = Vec::new();
    if !form.emails.value.trim().is_empty() {
        lines.push(Line::from(
            "Alerts: each address must confirm AWS's e-mail before alerts reach it.".dark_gray(),
        ));
    }
    let count: u32 = form.count.value.trim().parse().unwrap_or(1);
    let max: Option<u32> = form.scale_max.value.trim().parse().ok();
    if let Some(max) = max.filter(|m| *m > count) {
        lines.push(Line::from(
            format!(
                "Scaling: {count} to {max} workers on the backlog, 10 late or due runs per worker."
            )
            .dark_gray(),
        ));
    }
    if form.spot {
        lines.push(Line::from(
            "Spot: flow runs ~70% cheaper; AWS may stop one with two minutes' notice.".yellow(),
        ));
    }
    let most = max.unwrap_or(count).max(count);
    if app.network.create.is_none()
        && let Some(warning) =
            one_zone_warning(app.network.current_vpc(), &app.network.chosen, most)
    {
        lines.push(Line::from(warning.yellow()));
    }
    lines
}
