//! Step 5: what will be deployed in a few lines (size, image, workers, network, Prefect),
//! the plan or the documents (scrolling, with where you are), the customizations, and the
//! profile name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::fields::{field_width, label, place_cursor, text_spans};
use super::wrapped_height;
use crate::profile::Profile;
use crate::tui::wizard::app::WizardApp;

/// CPU units as vCPUs, the way the AWS console writes them (512 -> 0.5).
fn vcpus(cpu: u32) -> String {
    if cpu % 1024 == 0 {
        (cpu / 1024).to_string()
    } else {
        format!("{}", f64::from(cpu) / 1024.0)
    }
}

/// What will run, from the profile about to be saved.
fn summary(profile: &Profile) -> Vec<Line<'static>> {
    let w = &profile.worker;
    let row = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<9}"), Style::default().bold()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        row(
            "Worker",
            format!(
                "{} {} · {} CPU units ({} vCPU) · {} MiB memory",
                w.desired_count,
                if w.desired_count == 1 {
                    "worker"
                } else {
                    "workers"
                },
                w.cpu,
                vcpus(w.cpu),
                w.memory
            ),
        ),
        row("Image", w.image.clone()),
        match profile.network.create {
            Some(shape) => row(
                "Network",
                format!(
                    "made for the stack: {}, {}",
                    crate::network::shape_name(shape),
                    crate::network::cost_line(shape, w.desired_count)
                ),
            ),
            None => row("VPC", profile.network.vpc_id.clone()),
        },
        match profile.network.create {
            Some(_) => row("Subnets", "two zones, made on deploy".to_owned()),
            None => row("Subnets", profile.network.subnet_ids.join(", ")),
        },
        row(
            "Prefect",
            format!(
                "pool {} at {}",
                profile.prefect.work_pool, profile.prefect.api_url
            ),
        ),
    ];
    // Alerts, scaling and Spot, when any is asked for: said once more before the deploy.
    let mut production = Vec::new();
    if let Some(n) = &profile.notifications {
        production.push(format!("alarms e-mail {}", n.emails.join(", ")));
    }
    if let Some(s) = &profile.scaling {
        production.push(format!(
            "scales {} to {} on the {}",
            s.min,
            s.max,
            match s.on {
                crate::profile::ScaleOn::Backlog => "backlog",
                crate::profile::ScaleOn::Cpu => "CPU",
            }
        ));
    }
    if profile.flow_runs.spot {
        production.push("flow runs on Fargate Spot".to_owned());
    }
    if !production.is_empty() {
        lines.push(row("Options", production.join(" · ")));
    }
    lines
}

/// The text cut into rows of `width` characters, so that scrolling counts real rows and
/// a long line is wrapped rather than cut off.
fn rows(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(width) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

/// The review's three parts: the summary, the plan or documents, the profile fields.
struct Parts {
    summary: Vec<Line<'static>>,
    extra: Vec<Line<'static>>,
    areas: [Rect; 3],
}

fn parts(app: &WizardApp, area: Rect) -> Parts {
    let form = &app.review;
    let summary = app
        .built
        .as_ref()
        .map(|(profile, _)| summary(profile))
        .unwrap_or_default();
    let summary_height = if summary.is_empty() {
        0
    } else {
        wrapped_height(&summary, area.width) + 1
    };
    let width = field_width(area).min(40);
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
    let extra_lines = vec![
        Line::from(
            [
                vec![label("Save as profile", true)],
                text_spans(&form.profile_name, true, width),
            ]
            .concat(),
        ),
        Line::from(vec![
            label("Customizations", false),
            Span::raw(customizations),
        ]),
        Line::from(
            "Enter saves the profile (no secret in it) and deploys; `prefect-tui deploy --profile NAME` repeats it."
                .dark_gray(),
        ),
    ];
    let extra_height = wrapped_height(&extra_lines, area.width);
    let areas = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(4),
        Constraint::Length(extra_height),
    ])
    .areas(area);
    Parts {
        summary,
        extra: extra_lines,
        areas,
    }
}

fn text(app: &WizardApp) -> (&'static str, &str) {
    let form = &app.review;
    if form.show_documents {
        (
            "The task definition and service request as sent (Ctrl-T: the plan)",
            form.documents.as_str(),
        )
    } else {
        (
            "What the deploy will do (Ctrl-T: the documents)",
            form.plan_text.as_str(),
        )
    }
}

/// The furthest the text scrolls in `area`: its last row at the bottom.
pub(super) fn max_scroll(app: &WizardApp, area: Rect) -> u16 {
    let [_, body, _] = parts(app, area).areas;
    let all = rows(text(app).1, body.width as usize).len();
    all.saturating_sub(body.height.saturating_sub(1) as usize) as u16
}

pub(super) fn draw_review(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.review;
    let width = field_width(area).min(40);
    let Parts {
        summary,
        extra: extra_lines,
        areas: [summary_area, body, extra],
    } = parts(app, area);
    frame.render_widget(
        Paragraph::new(summary).wrap(Wrap { trim: false }),
        summary_area,
    );

    let (title, text) = text(app);
    let all = rows(text, body.width as usize);
    let visible = body.height.saturating_sub(1) as usize;
    let top = (form.scroll as usize).min(all.len().saturating_sub(visible));
    let mut title_spans = vec![Span::raw(title).bold()];
    if all.len() > visible {
        let last = (top + visible).min(all.len());
        let more = if last < all.len() { " ↓ more" } else { "" };
        title_spans.push(Span::styled(
            format!(" · rows {}-{last} of {}{more}", top + 1, all.len()),
            Style::default().fg(Color::Cyan),
        ));
    }
    let shown: Vec<Line> = all
        .into_iter()
        .skip(top)
        .take(visible)
        .map(Line::from)
        .collect();
    frame.render_widget(
        Paragraph::new(shown).block(Block::default().title(Line::from(title_spans))),
        body,
    );
    frame.render_widget(
        Paragraph::new(extra_lines).wrap(Wrap { trim: false }),
        extra,
    );
    if !app.help {
        place_cursor(frame, extra, 0, &form.profile_name, width);
    }
}
