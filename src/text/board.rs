//! The state of each resource while a deploy or destroy runs, built from progress events.
//! The plain commands draw it as lines redrawn in place; the wizard draws it as a list.
//! The words of each state live here, beside the rows they fill.

use std::collections::BTreeMap;

use crate::ops::progress::ProgressEvent;
use crate::stack::plan::{Action, Resource};

pub fn past(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        // A step that changed nothing but waited for something (the online gate).
        Action::Noop => "checked",
    }
}

pub fn present(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::Noop => "checking",
    }
}

/// One resource's line.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub name: String,
    pub state: String,
    pub running: bool,
    pub note: Option<String>,
}

/// The frames of the spinner shown next to work in progress.
pub const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Where a row stands, for its mark and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Running,
    Failed,
    Skipped,
    Done,
}

impl Row {
    pub fn failed(&self) -> bool {
        self.state == "FAILED"
    }

    pub fn standing(&self) -> Standing {
        if self.running {
            Standing::Running
        } else if self.failed() {
            Standing::Failed
        } else if self.state == "skipped" {
            Standing::Skipped
        } else {
            Standing::Done
        }
    }

    /// The mark drawn before the row: a spinner frame while it runs.
    pub fn mark(&self, tick: usize) -> char {
        match self.standing() {
            Standing::Running => SPINNER[tick % SPINNER.len()],
            Standing::Failed => '✗',
            Standing::Skipped => '-',
            Standing::Done => '✓',
        }
    }
}

/// Every resource heard from so far.
#[derive(Debug, Clone, Default)]
pub struct Board {
    rows: BTreeMap<Resource, Row>,
}

impl Board {
    /// The rows in the stack's order (`Resource`'s own: its network first, the work pool
    /// last). Every resource a progress event names has its row: none is left off a list.
    pub fn rows(&self) -> impl Iterator<Item = (Resource, &Row)> {
        self.rows.iter().map(|(r, row)| (*r, row))
    }

    pub fn any_running(&self) -> bool {
        self.rows.values().any(|r| r.running)
    }

    pub fn apply(&mut self, event: &ProgressEvent) {
        let rows = &mut self.rows;
        match event {
            ProgressEvent::Unchanged { resource, name } => {
                rows.insert(
                    *resource,
                    Row {
                        name: name.clone(),
                        state: "unchanged".into(),
                        ..Row::default()
                    },
                );
            }
            ProgressEvent::Absent { resource, name } => {
                rows.insert(
                    *resource,
                    Row {
                        name: name.clone(),
                        state: "does not exist".into(),
                        ..Row::default()
                    },
                );
            }
            ProgressEvent::Started {
                resource,
                action,
                name,
            } => {
                rows.insert(
                    *resource,
                    Row {
                        name: name.clone(),
                        state: present(*action).into(),
                        running: true,
                        note: None,
                    },
                );
            }
            ProgressEvent::Note { resource, message } => {
                let row = rows.entry(*resource).or_default();
                // A note on a row nothing started yet is a wait in its own right (the gate).
                if row.state.is_empty() {
                    row.state = "waiting".into();
                    row.running = true;
                }
                row.note = Some(message.clone());
            }
            ProgressEvent::Done {
                resource,
                action,
                elapsed,
                detail,
            } => {
                let row = rows.entry(*resource).or_default();
                row.running = false;
                row.state = format!("{} in {:.1}s", past(*action), elapsed.as_secs_f64());
                row.note = detail.clone();
            }
            ProgressEvent::Failed {
                resource, error, ..
            } => {
                let row = rows.entry(*resource).or_default();
                row.running = false;
                row.state = "FAILED".into();
                row.note = Some(error.lines().next().unwrap_or_default().to_owned());
            }
            ProgressEvent::Skipped { resource, reason } => {
                let row = rows.entry(*resource).or_default();
                row.state = "skipped".into();
                row.note = Some(reason.clone());
            }
            // A phase of the whole operation, not a row.
            ProgressEvent::Applied { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_s_rows_are_shown_first_and_none_is_left_off() {
        let mut board = Board::default();
        for (resource, name) in [
            (Resource::Service, "svc"),
            (Resource::NatGateway, "nat"),
            (Resource::Secret, "secret"),
            (Resource::Vpc, "vpc"),
        ] {
            board.apply(&ProgressEvent::Started {
                resource,
                action: Action::Create,
                name: name.to_owned(),
            });
        }
        let listed: Vec<Resource> = board.rows().map(|(r, _)| r).collect();
        assert_eq!(
            listed,
            vec![
                Resource::Vpc,
                Resource::NatGateway,
                Resource::Secret,
                Resource::Service
            ]
        );
    }
}
