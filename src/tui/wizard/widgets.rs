//! The wizard's input widgets: a one-line text field (maskable, never shown in `Debug`
//! when masked) and a choice from a fixed list. They hold values and edit them; drawing
//! is `ui`'s.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A one-line text field. A masked one shows bullets unless revealed, and never shows its
/// value in `Debug`.
#[derive(Clone, Default)]
pub struct TextInput {
    pub value: String,
    cursor: usize,
    pub masked: bool,
    pub revealed: bool,
}

impl fmt::Debug for TextInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.masked {
            f.write_str("TextInput(<redacted>)")
        } else {
            write!(f, "TextInput({:?})", self.value)
        }
    }
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            cursor: value.chars().count(),
            ..Self::default()
        }
    }

    pub fn masked() -> Self {
        Self {
            masked: true,
            ..Self::default()
        }
    }

    pub fn set(&mut self, value: &str) {
        self.value = value.to_owned();
        self.cursor = value.chars().count();
    }

    /// What the screen shows: bullets for a hidden secret.
    pub fn shown(&self) -> String {
        if self.masked && !self.revealed {
            "•".repeat(self.value.chars().count())
        } else {
            self.value.clone()
        }
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    /// Applies an editing key; false when the key is not an edit.
    pub(super) fn edit(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.value.clear();
                self.cursor = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Delete if self.cursor < self.value.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.value.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.value.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// Pasted text: line breaks are dropped (a key copied with its newline).
    pub(super) fn paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| *c != '\n' && *c != '\r') {
            let at = self.byte_at(self.cursor);
            self.value.insert(at, c);
            self.cursor += 1;
        }
    }
}

/// One of a fixed list, changed with ←/→.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub options: Vec<String>,
    pub selected: usize,
}

impl Choice {
    pub fn new(options: &[&str], selected: usize) -> Self {
        Self {
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            selected,
        }
    }

    pub fn value(&self) -> &str {
        self.options
            .get(self.selected)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub(super) fn step(&mut self, forward: bool) -> bool {
        if self.options.is_empty() {
            return false;
        }
        let n = self.options.len();
        self.selected = if forward {
            (self.selected + 1) % n
        } else {
            (self.selected + n - 1) % n
        };
        true
    }
}
