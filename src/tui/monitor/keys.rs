//! The monitor's keys, in one table: it maps keys to actions and feeds the help overlay
//! and the footer, so the three never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::Action;

pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
    /// Shown in the footer (the most used ones).
    pub footer: bool,
    matches: fn(&KeyEvent) -> bool,
    action: Action,
}

fn char_key(e: &KeyEvent, c: char) -> bool {
    e.code == KeyCode::Char(c) && !e.modifiers.contains(KeyModifiers::CONTROL)
}

pub fn bindings() -> Vec<Binding> {
    vec![
        Binding {
            keys: "q",
            help: "quit",
            footer: true,
            matches: |e| char_key(e, 'q'),
            action: Action::Quit,
        },
        Binding {
            keys: "?",
            help: "help",
            footer: true,
            matches: |e| char_key(e, '?'),
            action: Action::ToggleHelp,
        },
        Binding {
            keys: "f",
            help: "follow on/off",
            footer: true,
            matches: |e| char_key(e, 'f'),
            action: Action::ToggleFollow,
        },
        Binding {
            keys: "↑/↓",
            help: "scroll logs",
            footer: true,
            matches: |e| e.code == KeyCode::Up || char_key(e, 'k'),
            action: Action::ScrollUp,
        },
        Binding {
            keys: "",
            help: "",
            footer: false,
            matches: |e| e.code == KeyCode::Down || char_key(e, 'j'),
            action: Action::ScrollDown,
        },
        Binding {
            keys: "PgUp/PgDn",
            help: "scroll a page",
            footer: false,
            matches: |e| e.code == KeyCode::PageUp,
            action: Action::PageUp,
        },
        Binding {
            keys: "",
            help: "",
            footer: false,
            matches: |e| e.code == KeyCode::PageDown,
            action: Action::PageDown,
        },
        Binding {
            keys: "/",
            help: "search (highlighted)",
            footer: true,
            matches: |e| char_key(e, '/'),
            action: Action::StartSearch,
        },
        Binding {
            keys: "t",
            help: "filter by task",
            footer: true,
            matches: |e| char_key(e, 't'),
            action: Action::CycleTaskFilter,
        },
        Binding {
            keys: "w",
            help: "wrap lines",
            footer: false,
            matches: |e| char_key(e, 'w'),
            action: Action::ToggleWrap,
        },
        Binding {
            keys: "T",
            help: "timestamps on/off",
            footer: false,
            matches: |e| char_key(e, 'T'),
            action: Action::ToggleTimestamps,
        },
        Binding {
            keys: "s",
            help: "scale the service",
            footer: true,
            matches: |e| char_key(e, 's'),
            action: Action::AskScale,
        },
        Binding {
            keys: "d",
            help: "force a new deployment",
            footer: false,
            matches: |e| char_key(e, 'd'),
            action: Action::AskRedeploy,
        },
        Binding {
            keys: "x",
            help: "stop the newest task",
            footer: false,
            matches: |e| char_key(e, 'x'),
            action: Action::AskStopTask,
        },
        Binding {
            keys: "Esc",
            help: "close",
            footer: false,
            matches: |e| e.code == KeyCode::Esc,
            action: Action::Cancel,
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

/// `q quit  ? help  ...` for the footer.
pub fn footer() -> String {
    bindings()
        .iter()
        .filter(|b| b.footer)
        .map(|b| format!("{} {}", b.keys, b.help))
        .collect::<Vec<_>>()
        .join("  ")
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
        assert_eq!(action_for(&key(KeyCode::Up), false), Some(Action::ScrollUp));
        assert_eq!(
            action_for(&key(KeyCode::Char('q')), true),
            Some(Action::Input('q'))
        );
        assert_eq!(action_for(&key(KeyCode::Enter), true), Some(Action::Submit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, true), Some(Action::Quit));
        assert!(footer().starts_with("q quit  ? help"));
        assert!(
            help_lines()
                .iter()
                .any(|(k, h)| *k == "s" && h.contains("scale"))
        );
    }
}
