//! Draws the wizard from its state. Nothing here changes state or does I/O.
//!
//! Every screen: a title line, the step list, the step's form, a status line (problems in
//! words with what to do; work in progress with a spinner) and the keys that work here.
//! Colour always comes with a word or a mark, never alone.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::app::{
    ApplyPhase, Choice, Pane, PrefectField, Step, TextInput, WizardApp, WorkerField, help_text,
};
use crate::network::Egress;
use crate::tui::board::Board;

/// The smallest terminal the wizard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const LABEL: usize = 16;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub fn draw(frame: &mut Frame, app: &WizardApp) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let status_lines = status_text(app);
    let status_height = wrapped_height(&status_lines, area.width).min(4);
    let footer_line = footer_text(app);
    let footer_height = wrapped_height(std::slice::from_ref(&footer_line), area.width).min(2);
    let [title, steps, main, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(status_height),
        Constraint::Length(footer_height),
    ])
    .areas(area);
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
        Step::Aws => draw_aws(frame, inner, app),
        Step::Prefect => draw_prefect(frame, inner, app),
        Step::Network => draw_network(frame, inner, app),
        Step::Worker => draw_worker(frame, inner, app),
        Step::Review => draw_review(frame, inner, app),
        Step::Apply => draw_apply(frame, inner, app),
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
        draw_help(frame, main, app.step);
    }
    if app.confirm_quit {
        draw_confirm_quit(frame, main, &app.profile_name());
    }
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

fn draw_steps(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let current = app.step.index();
    let mut spans = vec![Span::raw(" ")];
    for step in Step::ALL {
        let i = step.index();
        let label = format!("{} {}", i + 1, step.title());
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
        spans.push(span);
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn label(text: &str, focused: bool) -> Span<'static> {
    let marker = if focused { "▸ " } else { "  " };
    let text = format!("{marker}{text:<LABEL$}");
    if focused {
        Span::styled(text, Style::default().add_modifier(Modifier::BOLD))
    } else {
        Span::raw(text)
    }
}

/// A text field: the value in brackets, cut from the left to keep the cursor in view.
fn text_spans(input: &TextInput, focused: bool, width: usize) -> Vec<Span<'static>> {
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

fn choice_spans(choice: &Choice, focused: bool) -> Vec<Span<'static>> {
    let style = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    vec![Span::styled(format!("‹ {} ›", choice.value()), style)]
}

/// Puts the terminal cursor in a focused text field (`row` is the line inside `area`).
fn place_cursor(frame: &mut Frame, area: Rect, row: u16, input: &TextInput, width: usize) {
    let col = input.cursor().min(width.saturating_sub(1)) as u16;
    let x = area.x + (LABEL as u16) + 3 + col;
    frame.set_cursor_position(Position::new(
        x.min(area.right().saturating_sub(1)),
        area.y + row,
    ));
}

fn field_width(area: Rect) -> usize {
    (area.width as usize).saturating_sub(LABEL + 5).min(60)
}

fn draw_aws(frame: &mut Frame, area: Rect, app: &WizardApp) {
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

fn draw_prefect(frame: &mut Frame, area: Rect, app: &WizardApp) {
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
                    super::checks::PrefectKind::Cloud => "Workspace URL",
                    super::checks::PrefectKind::SelfHosted => "API URL",
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
    match &form.checked {
        Some(text) => lines.push(Line::from(vec![
            Span::styled("✓ ", Style::default().fg(Color::Green)),
            Span::raw(text.clone()),
        ])),
        None => lines.push(Line::from(vec![
            Span::styled("Not checked yet. ", Style::default().fg(Color::DarkGray)),
            Span::raw("Enter checks the URL and the credential against the Prefect API."),
        ])),
    }
    lines.push(Line::default());
    let guide = match form.kind_value() {
        super::checks::PrefectKind::Cloud => {
            "Paste the workspace URL from the browser, or leave it empty to choose from the workspaces your key reaches."
        }
        super::checks::PrefectKind::SelfHosted => {
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

fn egress_style(egress: Egress) -> Style {
    match egress {
        Egress::Public | Egress::Nat => Style::default().fg(Color::Green),
        Egress::Endpoints => Style::default().fg(Color::Yellow),
        Egress::Isolated => Style::default().fg(Color::Red),
    }
}

fn draw_network(frame: &mut Frame, area: Rect, app: &WizardApp) {
    let form = &app.network;
    let Some(report) = &form.report else {
        let text = if app.busy.is_some() {
            "Reading the VPCs, subnets, route tables, gateways and endpoints…"
        } else {
            "The network is not read yet: press r to discover it."
        };
        frame.render_widget(Paragraph::new(text), area);
        return;
    };
    if report.vpcs.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(
                "There is no VPC in account {} in {}. Create one (with subnets that reach the internet \
                 through a NAT or internet gateway), then press r.",
                report.account, report.region
            ))
            .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let vpc_rows = report.vpcs.len().min(4) as u16;
    let subnet_rows = form
        .current_vpc()
        .map(|v| v.subnets.len())
        .unwrap_or(0)
        .max(1) as u16;
    let [vpcs_area, subnets_area, why_area, _] = Layout::vertical([
        Constraint::Length(vpc_rows + 1),
        Constraint::Max(subnet_rows + 2),
        Constraint::Length(4),
        Constraint::Min(0),
    ])
    .areas(area);

    let mut lines = vec![Line::from(Span::styled(
        "VPCs",
        Style::default().add_modifier(if form.pane == Pane::Vpcs {
            Modifier::BOLD | Modifier::UNDERLINED
        } else {
            Modifier::BOLD
        }),
    ))];
    let start = form.vpc.saturating_sub(vpc_rows.saturating_sub(1) as usize);
    for (i, vpc) in report
        .vpcs
        .iter()
        .enumerate()
        .skip(start)
        .take(vpc_rows as usize)
    {
        let text = format!(
            "{} {:<22} {:<18} {:<16} {}{} recommended",
            if i == form.vpc { "▸" } else { " " },
            vpc.id,
            vpc.name.as_deref().unwrap_or("-"),
            vpc.cidr,
            if vpc.is_default { "default, " } else { "" },
            vpc.recommended_subnets.len()
        );
        let style = if i == form.vpc && form.pane == Pane::Vpcs {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if i == form.vpc {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), vpcs_area);

    let Some(vpc) = form.current_vpc() else {
        return;
    };
    let wide = area.width >= 100;
    let header = {
        let mut cells = vec!["", "Subnet", "AZ", "CIDR", "Free", "Egress"];
        if wide {
            cells.push("Name");
        }
        Row::new(cells).style(Style::default().add_modifier(Modifier::BOLD))
    };
    let rows: Vec<Row> = vpc
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let chosen = form.chosen.contains(&s.id);
            let recommended = vpc.recommended_subnets.contains(&s.id);
            let mut cells = vec![
                Cell::from(if chosen { "[x]" } else { "[ ]" }),
                Cell::from(format!("{}{}", s.id, if recommended { " *" } else { "" })),
                Cell::from(s.az.clone()),
                Cell::from(s.cidr.clone()),
                Cell::from(s.available_ips.to_string()),
                Cell::from(Span::styled(s.egress.as_str(), egress_style(s.egress))),
            ];
            if wide {
                cells.push(Cell::from(s.name.clone().unwrap_or_default()));
            }
            let row = Row::new(cells);
            if i == form.cursor && form.pane == Pane::Subnets {
                row.style(Style::default().add_modifier(Modifier::REVERSED))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(3),
        Constraint::Length(27),
        Constraint::Length(11),
        Constraint::Length(15),
        Constraint::Length(5),
        Constraint::Length(9),
    ];
    if wide {
        widths.push(Constraint::Min(10));
    }
    let title = format!(
        "Subnets of {} (* recommended; {} chosen)",
        vpc.id,
        form.chosen.len()
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::default().title(Span::styled(
            title,
            Style::default().add_modifier(if form.pane == Pane::Subnets {
                Modifier::BOLD | Modifier::UNDERLINED
            } else {
                Modifier::BOLD
            }),
        )));
    frame.render_widget(table, subnets_area);

    let why = match vpc.subnets.get(form.cursor) {
        Some(s) => Text::from(vec![
            Line::from(vec![
                Span::styled(
                    format!("{} ", s.id),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::styled(s.egress.as_str(), egress_style(s.egress)),
                Span::raw(format!(": {}", s.reason)),
            ]),
            Line::from(if vpc.recommended_subnets.is_empty() {
                "No subnet here can run a worker: give one a NAT gateway or the VPC endpoints, or choose another VPC.".to_owned()
            } else {
                format!("Recommended: {}", vpc.recommended_subnets.join(", "))
            }),
        ]),
        None => Text::from("This VPC has no subnets."),
    };
    frame.render_widget(Paragraph::new(why).wrap(Wrap { trim: true }), why_area);
}

fn draw_worker(frame: &mut Frame, area: Rect, app: &WizardApp) {
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
                [vec![label("Image", is)], text_spans(&form.image, is, width)].concat()
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

fn draw_review(frame: &mut Frame, area: Rect, app: &WizardApp) {
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

fn board_lines(board: &Board, tick: usize) -> Vec<Line<'static>> {
    board
        .rows()
        .map(|(resource, row)| {
            let (mark, style) = if row.running {
                (
                    SPINNER[tick % SPINNER.len()].to_string(),
                    Style::default().fg(Color::Yellow),
                )
            } else if row.failed() {
                ("✗".to_owned(), Style::default().fg(Color::Red))
            } else if row.state == "skipped" {
                ("-".to_owned(), Style::default().fg(Color::DarkGray))
            } else {
                ("✓".to_owned(), Style::default().fg(Color::Green))
            };
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

fn draw_apply(frame: &mut Frame, area: Rect, app: &WizardApp) {
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
            Line::from("Press Enter to open the live monitor.".bold()),
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

fn footer_text(app: &WizardApp) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, what)) in app.footer().into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", Style::default().fg(Color::DarkGray)));
        }
        spans.push(Span::styled(
            key,
            Style::default().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(frame: &mut Frame, area: Rect, step: Step) {
    let text = help_text(step);
    let mut lines: Vec<Line> = text.iter().map(|l| Line::from(*l)).collect();
    lines.push(Line::default());
    lines.push(Line::from("Any key closes this help.".bold()));
    let popup = centered(area, 86, lines.len() as u16 + 2);
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
    let popup = centered(area, 64, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Leave? ")),
        popup,
    );
}
