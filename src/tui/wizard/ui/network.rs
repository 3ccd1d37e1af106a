//! Step 3: the VPCs, the chosen VPC's subnets with their verdicts (a word and a colour),
//! and why the highlighted subnet got its verdict.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Paragraph, Row, Table, Wrap};

use crate::network::{COST_BASIS, Egress, cost_line, shape_name};
use crate::profile::NetworkShape;
use crate::tui::wizard::app::WizardApp;
use crate::tui::wizard::forms::Pane;

pub(super) fn egress_style(egress: Egress) -> Style {
    match egress {
        Egress::Public | Egress::Nat => Style::default().fg(Color::Green),
        Egress::Endpoints => Style::default().fg(Color::Yellow),
        Egress::Isolated => Style::default().fg(Color::Red),
    }
}

/// A pane's top line: the pane with the focus has a thick, coloured line and says so in
/// its title; the other a thin grey one, so which pane takes ↑/↓ is never in doubt.
fn pane_block(title: String, focused: bool) -> Block<'static> {
    if focused {
        let style = Style::default().fg(Color::Cyan);
        Block::default()
            .borders(Borders::TOP)
            .border_type(BorderType::Thick)
            .border_style(style)
            .title(Line::from(vec![
                Span::styled(format!("▶ {title}"), style.add_modifier(Modifier::BOLD)),
                Span::styled(" · focus ", style),
            ]))
    } else {
        Block::default()
            .borders(Borders::TOP)
            .border_style(Style::default().fg(Color::DarkGray))
            .title(Span::styled(
                format!("{title} "),
                Style::default().add_modifier(Modifier::BOLD),
            ))
    }
}

pub(super) fn draw_network(frame: &mut Frame, area: Rect, app: &WizardApp) {
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
    let fits = report
        .vpcs
        .iter()
        .any(|v| !v.recommended_subnets.is_empty());
    if report.vpcs.is_empty() || form.create.is_some() {
        let [top, offer] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        let said = if report.vpcs.is_empty() {
            format!(
                "There is no VPC in account {} in {}: make one for the stack below, or create \
                 one yourself and press r.",
                report.account, report.region
            )
        } else {
            "The VPCs discovered here are not used: the stack makes its own network.".to_owned()
        };
        frame.render_widget(Paragraph::new(said).wrap(Wrap { trim: true }), top);
        draw_offer(frame, offer, app, true);
        return;
    }
    let vpc_rows = report.vpcs.len().min(4) as u16;
    let subnet_rows = form
        .current_vpc()
        .map(|v| v.subnets.len())
        .unwrap_or(0)
        .max(1) as u16;
    let [vpcs_area, subnets_area, why_area, offer_area] = Layout::vertical([
        Constraint::Length(vpc_rows + 1),
        Constraint::Max(subnet_rows + 2),
        Constraint::Length(5),
        Constraint::Min(0),
    ])
    .areas(area);

    let mut lines = Vec::new();
    let start = form.vpc.saturating_sub(vpc_rows.saturating_sub(1) as usize);
    for (i, vpc) in report
        .vpcs
        .iter()
        .enumerate()
        .skip(start)
        .take(vpc_rows as usize)
    {
        let mut text = format!(
            "{} {:<22} {:<18} {:<16} {}{} recommended",
            if i == form.vpc { "▸" } else { " " },
            vpc.id,
            vpc.name.as_deref().unwrap_or("-"),
            vpc.cidr,
            if vpc.is_default { "default, " } else { "" },
            vpc.recommended_subnets.len()
        );
        if text.chars().count() > area.width as usize {
            // Narrow: the CIDR gives way (the subnets' CIDRs are in the table below).
            text = format!(
                "{} {:<22} {:<18} {}{} recommended",
                if i == form.vpc { "▸" } else { " " },
                vpc.id,
                vpc.name.as_deref().unwrap_or("-"),
                if vpc.is_default { "default, " } else { "" },
                vpc.recommended_subnets.len()
            );
        }
        let style = if i == form.vpc && form.pane == Pane::Vpcs {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if i == form.vpc {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(
        Paragraph::new(lines).block(pane_block("VPCs".to_owned(), form.pane == Pane::Vpcs)),
        vpcs_area,
    );

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
        .block(pane_block(title, form.pane == Pane::Subnets));
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
                let listed = format!("Recommended: {}", vpc.recommended_subnets.join(", "));
                if listed.chars().count() <= area.width as usize {
                    listed
                } else {
                    // Too many to list in the room left: the table marks each with *.
                    format!(
                        "Recommended: the {} subnets marked * in the list.",
                        vpc.recommended_subnets.len()
                    )
                }
            }),
        ]),
        None => Text::from("This VPC has no subnets."),
    };
    frame.render_widget(Paragraph::new(why).wrap(Wrap { trim: true }), why_area);
    draw_offer(frame, offer_area, app, !fits);
}

/// The three networks the stack can make, with their monthly cost: in full when nothing
/// discovered fits (or one is chosen), else as one line naming the key.
fn draw_offer(frame: &mut Frame, area: Rect, app: &WizardApp, full: bool) {
    if area.height == 0 {
        return;
    }
    let chosen = app.network.create;
    if !full {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                "n: make a network for the stack instead (public, nat or endpoints, cost shown)",
                Style::default().fg(Color::DarkGray),
            ))),
            area,
        );
        return;
    }
    let workers = app
        .worker
        .answers()
        .desired_count
        .trim()
        .parse()
        .unwrap_or(1);
    let mut lines = vec![Line::from(Span::styled(
        match chosen {
            None => {
                "No subnet fits: press n to make a network for the stack (made on deploy, removed by destroy):"
            }
            Some(_) => "A network for the stack (n: next shape, then back to the VPCs):",
        },
        Style::default().add_modifier(Modifier::BOLD),
    ))];
    for shape in [
        NetworkShape::Public,
        NetworkShape::Nat,
        NetworkShape::Endpoints,
    ] {
        let on = chosen == Some(shape);
        let style = if on {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {:<10}", if on { "▸" } else { " " }, shape_name(shape)),
                style.add_modifier(Modifier::BOLD),
            ),
            Span::styled(cost_line(shape, workers), style),
        ]));
    }
    lines.push(Line::from(Span::styled(
        format!("Prices: {COST_BASIS}. Two zones; a range clear of the account's VPCs."),
        Style::default().fg(Color::DarkGray),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
