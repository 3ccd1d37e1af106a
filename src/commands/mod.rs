//! One thin file per subcommand. Each parses what it was given, calls the engine (`aws`,
//! `network`, later `stack`), and prints. Errors carry enough to pick an exit code and a
//! hint; `main` prints them.

mod discover;

use std::io::Write;

use crate::aws::AwsError;
use crate::cli::{Cli, Command};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Something the user passed is wrong; they can fix it and run again (exit 2).
    #[error("{message}")]
    BadInput {
        message: String,
        hint: Option<String>,
    },
    #[error("could not write output: {0}")]
    Output(#[from] std::io::Error),
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
            CommandError::BadInput { .. } => 2,
            _ => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CommandError::Aws(e) => e.hint(),
            CommandError::BadInput { hint, .. } => hint.clone(),
            CommandError::Output(_) => None,
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CommandError> {
    match &cli.command {
        Command::Discover(args) => discover::run(&cli.global, args).await,
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn print_out(text: &str) -> Result<(), CommandError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
