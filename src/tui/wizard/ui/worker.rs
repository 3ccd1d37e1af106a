//! Step 4: stack name, work pool, size (valid Fargate pairs only), count and image.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::fields::{choice_spans, field_width, label, place_cursor, text_spans};
use crate::stack::image;
use crate::tui::wizard::app::WizardApp;
use crate::tui::wizard::forms::WorkerField;

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
    lines.push(match image::floats(image) {
        None => Line::from(format!("Image: {}, pinned.", image::describe(image)).dark_gray()),
        Some(why) => Line::from(format!("Image floats: {why}.").yellow()),
    });
    lines.push(Line::from(
        format!(
            "Resources are named prefect-tui-{}-… and tagged prefect-tui:stack={}.",
            form.stack.value.trim(),
            form.stack.value.trim()
        )
        .dark_gray(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some((row, input, w)) = cursor
        && !app.help
    {
        place_cursor(frame, area, row as u16, input, w);
    }
}
