//! The account of what exists, in words: one line per resource, then what to do next.

use std::fmt::Write as _;

use crate::ops::exists::{Standing, WhatExists};

/// What the closing line tells the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// After a failed or interrupted deploy: run it again, or destroy.
    Deploy,
    /// After a failed destroy: run it again.
    Destroy,
    /// Before a destroy asks for confirmation: no advice.
    Nothing,
}

pub fn standing(s: Standing) -> &'static str {
    match s {
        Standing::Exists => "exists",
        Standing::NotCreated => "not created",
        Standing::ScheduledForDeletion => "scheduled for deletion",
    }
}

pub fn render(what: &WhatExists, next: Next) -> String {
    let rows = match what {
        WhatExists::Read(rows) => rows,
        WhatExists::Unreadable(e) => {
            return format!(
                "Could not read back what exists ({e}); `prefect-tui plan` shows it.\n"
            );
        }
    };
    let mut out = String::from("What exists now:\n");
    for row in rows {
        let _ = writeln!(
            out,
            "  {:<17} {:<34} {}",
            row.resource.label(),
            row.name,
            standing(row.standing)
        );
    }
    match next {
        Next::Deploy => out.push_str(
            "Run the same deploy again to finish, or `prefect-tui destroy` to remove what exists.\n",
        ),
        Next::Destroy => out.push_str("Run destroy again to remove what is left.\n"),
        Next::Nothing => {}
    }
    out
}
