//! `prefect-tui completions SHELL` and `prefect-tui man`: made by clap from the same
//! definitions the parser uses, so they never drift from the real flags.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell, CompletionsArgs};

use super::{CommandError, print_out};

pub fn completions(args: &CompletionsArgs) -> Result<(), CommandError> {
    use clap_complete::{Shell, generate};
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut out = Vec::new();
    generate(shell, &mut Cli::command(), "prefect-tui", &mut out);
    print_out(&String::from_utf8_lossy(&out))
}

/// One page for the program, its subcommands listed with what each does.
pub fn man() -> Result<(), CommandError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    print_out(&String::from_utf8_lossy(&out))
}
