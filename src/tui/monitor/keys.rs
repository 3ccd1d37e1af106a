//! The monitor's keys, in one table: it maps keys to actions and feeds the help overlay
//! and the footer, so the three never disagree. What a key does in a pane (↑ selects a
//! row in the tasks, scrolls in the logs) is the state's business, not the table's.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::Action;
use super::panes::Pane;

/// A footer hint and the panes it applies in.
type FooterHint = (&'static str, fn(Pane) -> bool);

pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
    /// The footer's short form, for the panes where it applies; `None` for help only.
    footer: Option<FooterHint>,
    matches: fn(&KeyEvent) -> bool,
    action: Action,
}

fn char_key(e: &KeyEvent, c: char) -> bool {
    e.code == KeyCode::Char(c) && !e.modifiers.contains(KeyModifiers::CONTROL)
}

fn everywhere(_: Pane) -> bool {
    true
}

fn rows(p: Pane) -> bool {
    p.has_rows()
}

fn logs(p: Pane) -> bool {
    p == Pane::Logs
}

fn tasks(p: Pane) -> bool {
    p == Pane::Tasks
}

fn tasks_or_runs(p: Pane) -> bool {
    matches!(p, Pane::Tasks | Pane::FlowRuns)
}

/// The table, in the order of the help overlay; the footer takes hints in the same order
/// while they fit.
pub fn bindings() -> Vec<Binding> {
    vec![
        Binding {
            keys: "Tab/S-Tab",
            help: "next / previous pane",
            footer: Some(("Tab pane", everywhere)),
            matches: |e| e.code == KeyCode::Tab,
            action: Action::FocusNext,
        },
        Binding {
            keys: "",
            help: "",
            footer: None,
            matches: |e| e.code == KeyCode::BackTab,
            action: Action::FocusPrev,
        },
        Binding {
            keys: "↑/↓ k/j",
            help: "select a row; scroll the logs or a detail",
            footer: Some(("↑/↓ select", rows)),
            matches: |e| e.code == KeyCode::Up || char_key(e, 'k'),
            action: Action::Up,
        },
        Binding {
            keys: "",
            help: "",
            footer: Some(("↑/↓ scroll", logs)),
            matches: |e| e.code == KeyCode::Down || char_key(e, 'j'),
            action: Action::Down,
        },
        Binding {
            keys: "PgUp/PgDn",
            help: "a page up / down",
            footer: None,
            matches: |e| e.code == KeyCode::PageUp,
            action: Action::PageUp,
        },
        Binding {
            keys: "",
            help: "",
            footer: None,
            matches: |e| e.code == KeyCode::PageDown,
            action: Action::PageDown,
        },
        Binding {
            keys: "g/G",
            help: "to the first / last (newest) line",
            footer: None,
            matches: |e| char_key(e, 'g') || e.code == KeyCode::Home,
            action: Action::Top,
        },
        Binding {
            keys: "",
            help: "",
            footer: None,
            matches: |e| char_key(e, 'G') || e.code == KeyCode::End,
            action: Action::Bottom,
        },
        Binding {
            keys: "Enter",
            help: "details of the selected row",
            footer: Some(("Enter details", rows)),
            matches: |e| e.code == KeyCode::Enter,
            action: Action::ToggleDetail,
        },
        Binding {
            keys: "x",
            help: "stop the selected task",
            footer: Some(("x stop", tasks)),
            matches: |e| char_key(e, 'x'),
            action: Action::AskStopTask,
        },
        Binding {
            keys: "l",
            help: "logs of the selected task or run only",
            footer: Some(("l logs", tasks_or_runs)),
            matches: |e| char_key(e, 'l'),
            action: Action::LogsOfSelectedTask,
        },
        Binding {
            keys: "/",
            help: "search the logs",
            footer: Some(("/ search", logs)),
            matches: |e| char_key(e, '/'),
            action: Action::StartSearch,
        },
        Binding {
            keys: "n/N",
            help: "next / previous match",
            footer: Some(("n/N match", logs)),
            matches: |e| char_key(e, 'n'),
            action: Action::NextMatch,
        },
        Binding {
            keys: "",
            help: "",
            footer: None,
            matches: |e| char_key(e, 'N'),
            action: Action::PrevMatch,
        },
        Binding {
            keys: "&",
            help: "filter: only lines containing a text",
            footer: Some(("& filter", logs)),
            matches: |e| char_key(e, '&'),
            action: Action::StartFilter,
        },
        Binding {
            keys: "t",
            help: "logs of one task, the next, then all",
            footer: Some(("t task", logs)),
            matches: |e| char_key(e, 't'),
            action: Action::CycleTaskFilter,
        },
        Binding {
            keys: "f",
            help: "follow the newest line on/off",
            footer: Some(("f follow", logs)),
            matches: |e| char_key(e, 'f'),
            action: Action::ToggleFollow,
        },
        Binding {
            keys: "w",
            help: "wrap long log lines",
            footer: None,
            matches: |e| char_key(e, 'w'),
            action: Action::ToggleWrap,
        },
        Binding {
            keys: "T",
            help: "timestamps on/off",
            footer: None,
            matches: |e| char_key(e, 'T'),
            action: Action::ToggleTimestamps,
        },
        Binding {
            keys: "s",
            help: "scale the service",
            footer: Some(("s scale", everywhere)),
            matches: |e| char_key(e, 's'),
            action: Action::AskScale,
        },
        Binding {
            keys: "v",
            help: "verify: run one flow run to its end",
            footer: Some(("v verify", everywhere)),
            matches: |e| char_key(e, 'v'),
            action: Action::AskVerify,
        },
        Binding {
            keys: "R",
            help: "roll back one revision (diff first)",
            footer: None,
            matches: |e| char_key(e, 'R'),
            action: Action::AskRollback,
        },
        Binding {
            keys: "U",
            help: "upgrade to the pinned image tag",
            footer: None,
            matches: |e| char_key(e, 'U'),
            action: Action::AskUpgrade,
        },
        Binding {
            keys: "d",
            help: "force a new deployment",
            footer: None,
            matches: |e| char_key(e, 'd'),
            action: Action::AskRedeploy,
        },
        Binding {
            keys: "Esc",
            help: "close; clear the search, then the filter",
            footer: None,
            matches: |e| e.code == KeyCode::Esc,
            action: Action::Cancel,
        },
        Binding {
            keys: "?",
            help: "this help",
            footer: None,
            matches: |e| char_key(e, '?'),
            action: Action::ToggleHelp,
        },
        Binding {
            keys: "q",
            help: "quit",
            footer: None,
            matches: |e| char_key(e, 'q'),
            action: Action::Quit,
        },
    ]
}

/// The action for a key. While a prompt is open, keys are text for it.
pub fn action_for(event: &KeyEvent, prompt_open: bool) -> Option<Action> {
    if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::Quit);
    }
    if prompt_open {
        return match event.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) => Some(Action::Input(c)),
            _ => None,
        };
    }
    bindings()
        .into_iter()
        .find(|b| (b.matches)(event))
        .map(|b| b.action)
}

/// The footer for the focused pane, as many hints as fit in `width`: first which pane has
/// the keys, last `? help  q quit` (always), and between them the pane's hints in the
/// table's order while they fit.
pub fn footer(focus: Pane, width: usize) -> String {
    let head = format!("[{}]", focus.name());
    let tail = "? help  q quit";
    let mut hints: Vec<&str> = Vec::new();
    let mut used = head.chars().count() + 2 + tail.chars().count();
    for (hint, applies) in bindings().iter().filter_map(|b| b.footer) {
        let cost = hint.chars().count() + 2;
        if applies(focus) && used + cost <= width {
            hints.push(hint);
            used += cost;
        }
    }
    hints.insert(0, &head);
    hints.push(tail);
    hints.join("  ")
}

/// (keys, what they do) for the help overlay.
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    bindings()
        .iter()
        .filter(|b| !b.keys.is_empty())
        .map(|b| (b.keys, b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_to_actions_and_prompts_take_text() {
        assert_eq!(
            action_for(&key(KeyCode::Char('q')), false),
            Some(Action::Quit)
        );
        assert_eq!(action_for(&key(KeyCode::Up), false), Some(Action::Up));
        assert_eq!(
            action_for(&key(KeyCode::Tab), false),
            Some(Action::FocusNext)
        );
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(action_for(&back_tab, false), Some(Action::FocusPrev));
        assert_eq!(
            action_for(&key(KeyCode::Enter), false),
            Some(Action::ToggleDetail)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('N')), false),
            Some(Action::PrevMatch)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('q')), true),
            Some(Action::Input('q'))
        );
        assert_eq!(action_for(&key(KeyCode::Enter), true), Some(Action::Submit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, true), Some(Action::Quit));
        assert!(
            help_lines()
                .iter()
                .any(|(k, h)| *k == "s" && h.contains("scale"))
        );
    }

    #[test]
    fn every_key_in_the_help_is_one_the_table_maps() {
        // A key named in the help that does nothing would be a lie in the overlay.
        for (keys, _) in help_lines() {
            let first = keys.split(' ').next().unwrap_or_default();
            let first = match first.split_once('/') {
                Some((before, _)) if !before.is_empty() => before,
                _ => first,
            };
            let code = match first {
                "Tab" => KeyCode::Tab,
                "↑" => KeyCode::Up,
                "PgUp" => KeyCode::PageUp,
                "Enter" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                c => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            };
            assert!(action_for(&key(code), false).is_some(), "{keys}");
        }
    }

    #[test]
    fn the_footer_names_the_focused_pane_and_shortens_to_fit() {
        let wide = footer(Pane::Tasks, 120);
        assert!(wide.starts_with("[tasks]"), "{wide}");
        assert!(
            wide.contains("x stop") && wide.contains("Enter details"),
            "{wide}"
        );
        assert!(wide.ends_with("? help  q quit"), "{wide}");
        assert!(
            !wide.contains("/ search"),
            "logs-only hints stay off: {wide}"
        );
        let logs = footer(Pane::Logs, 120);
        assert!(
            logs.contains("/ search") && logs.contains("n/N match"),
            "{logs}"
        );
        for width in [40, 60, 80] {
            let short = footer(Pane::Logs, width);
            assert!(short.chars().count() <= width, "{width}: {short}");
            assert!(short.ends_with("? help  q quit"), "{short}");
        }
        assert!(footer(Pane::Logs, 40).chars().count() < logs.chars().count());
    }
}
