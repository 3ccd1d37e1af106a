//! The error every front end ends with: the plain commands print it, the full screens show
//! it as a problem, and `main` picks the exit code from it. It lives apart from `commands`
//! and `tui` so both can use it without importing each other.
//!
//! Operations return typed errors (`ops::OpsError`, `ops::deploy::DeployError`); they become
//! a `CommandError` here, in one place, so a failure reads the same from `deploy`, the
//! wizard and `init --plain`.

use crate::aws::{ApplyError, AwsError};
use crate::ops::OpsError;
use crate::ops::deploy::DeployError;
use crate::profile::ProfileError;
use crate::stack::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Prefect(#[from] crate::prefect::PrefectError),
    /// A failure with lines that explain it (a diagnosis), printed under the error.
    #[error("{message}")]
    Explained {
        message: String,
        details: Vec<String>,
        hint: Option<String>,
    },
    /// A failure that has already been shown (on a full screen), ended with its own code.
    #[error("{message}")]
    Reported {
        message: String,
        details: Vec<String>,
        hint: Option<String>,
        exit_code: u8,
    },
    /// Another error, with the account of what exists after it printed under it.
    #[error("{error}")]
    WithAccount {
        error: Box<CommandError>,
        account: Vec<String>,
    },
    /// The user said no, or pressed Ctrl-C at a question (exit 130).
    #[error("cancelled")]
    Cancelled,
    /// Something the user passed is wrong; they can fix it and run again (exit 2).
    #[error("{message}")]
    BadInput {
        message: String,
        hint: Option<String>,
    },
    #[error("could not write output: {0}")]
    Output(#[from] std::io::Error),
}

impl From<OpsError> for CommandError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Aws(e) => CommandError::Aws(e),
            OpsError::BadInput { message, hint } => CommandError::BadInput {
                message,
                hint: Some(hint),
            },
            OpsError::Conflicts(c) => CommandError::BadInput {
                message: c.to_string(),
                hint: None,
            },
            OpsError::Render(e) => CommandError::Render(e),
            OpsError::Prefect(e) => CommandError::Prefect(e),
        }
    }
}

impl From<DeployError> for CommandError {
    /// A failed deploy: its first failure, with what exists after it.
    fn from(e: DeployError) -> Self {
        let (error, existing) = match e {
            DeployError::MissingKey { secret, var } => (
                CommandError::bad_input(
                    format!(
                        "The secret {secret} does not exist yet, and no API key was given to put in it."
                    ),
                    format!(
                        "Set {var}, or pipe the key in with --api-key-stdin. It is stored only in Secrets Manager."
                    ),
                ),
                None,
            ),
            DeployError::Apply { error, existing } => {
                let error = match error {
                    ApplyError::Failed { failures } => match failures.into_iter().next() {
                        Some((_, e)) => CommandError::Aws(e),
                        None => {
                            CommandError::bad_input("The deploy failed.", "Run it again to resume.")
                        }
                    },
                    ApplyError::KeyRequired { secret } => CommandError::bad_input(
                        format!("The API key is needed to create the secret {secret}."),
                        "Set PREFECT_API_KEY, or pipe the key in with --api-key-stdin.",
                    ),
                    ApplyError::Render(e) => CommandError::Render(e),
                };
                (error, Some(existing))
            }
            DeployError::Pool { error, existing } => (error.into(), Some(existing)),
            DeployError::NotOnline(gate) => (
                CommandError::Explained {
                    message: gate.to_string(),
                    details: gate.diagnosis,
                    hint: Some(
                        "Fix what the diagnosis points at (often the profile), then run deploy \
                         again; `prefect-tui logs` and `status` show more."
                            .to_owned(),
                    ),
                },
                None,
            ),
        };
        match existing {
            Some(existing) => CommandError::WithAccount {
                error: Box::new(error),
                account: crate::text::exists::render(&existing, crate::text::exists::Next::Deploy)
                    .lines()
                    .map(str::to_owned)
                    .collect(),
            },
            None => error,
        }
    }
}

impl CommandError {
    pub fn bad_input(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError::BadInput {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// 2 for bad usage or bad input, 1 for every other failure (DESIGN.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Aws(e) if e.is_bad_input() => 2,
            CommandError::Profile(e) if e.is_bad_input() => 2,
            CommandError::BadInput { .. } | CommandError::Render(_) => 2,
            CommandError::Prefect(
                crate::prefect::PrefectError::Rejected { .. }
                | crate::prefect::PrefectError::WorkspaceNotFound { .. },
            ) => 2,
            CommandError::Reported { exit_code, .. } => *exit_code,
            CommandError::WithAccount { error, .. } => error.exit_code(),
            CommandError::Cancelled => 130,
            _ => 1,
        }
    }

    /// Lines that explain the error, printed under it.
    pub fn details(&self) -> &[String] {
        match self {
            CommandError::Explained { details, .. } | CommandError::Reported { details, .. } => {
                details
            }
            CommandError::WithAccount { account, .. } => account,
            _ => &[],
        }
    }

    /// The error without the account of what exists (a full screen shows that apart).
    pub fn without_account(self) -> (CommandError, Vec<String>) {
        match self {
            CommandError::WithAccount { error, account } => (*error, account),
            other => (other, Vec::new()),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CommandError::Aws(e) => e.hint(),
            CommandError::Profile(e) => e.hint(),
            CommandError::Render(RenderError::Customization(_)) => Some(
                "Fix or remove that entry under [[customizations]] in the profile; \
                 `prefect-tui preview` shows the documents it applies to."
                    .to_owned(),
            ),
            CommandError::BadInput { hint, .. } => hint.clone(),
            CommandError::Prefect(e) => e.hint(),
            CommandError::Explained { hint, .. } | CommandError::Reported { hint, .. } => {
                hint.clone()
            }
            CommandError::WithAccount { error, .. } => error.hint(),
            CommandError::Render(_) | CommandError::Output(_) | CommandError::Cancelled => None,
        }
    }
}
