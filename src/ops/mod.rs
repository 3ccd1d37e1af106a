//! One file per whole operation: `connect` (a stack's context), `deploy` (plan to online
//! gate), `destroy`, `status`, and the parts they share (`pool`, `gate`, `exists`,
//! `progress`). Every front end (the plain commands, the full-screen wizard, the line
//! prompts, the monitor) calls these; none strings their steps together itself, so two
//! front ends cannot drift apart.
//!
//! Typed options in, typed reports and progress events out. No terminal code and no
//! sentences for people (those are made in `text` and at the edge); the only words here
//! are the messages of errors, which carry what to do.

pub mod connect;
pub mod deploy;
pub mod destroy;
pub mod exists;
pub mod gate;
pub mod history;
pub mod pool;
pub mod progress;
pub mod rollback;
pub mod rollout;
pub mod rotate;
pub mod status;
pub mod upgrade;
pub mod verify;

use crate::aws::AwsError;
use crate::prefect::PrefectError;
use crate::stack::RenderError;
use crate::stack::plan::PlanConflicts;

/// Why an operation could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The profile asks for something the account cannot give (exit 2).
    #[error("{message}")]
    BadInput { message: String, hint: String },
    #[error("{0}")]
    Conflicts(#[from] PlanConflicts),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Prefect(#[from] PrefectError),
}

impl progress::StepError for OpsError {
    fn hint(&self) -> Option<String> {
        match self {
            OpsError::Aws(e) => e.hint(),
            OpsError::BadInput { hint, .. } => Some(hint.clone()),
            OpsError::Prefect(e) => e.hint(),
            OpsError::Conflicts(_) | OpsError::Render(_) => None,
        }
    }
}
