//! One thin file per subcommand. Each parses what it was given, calls the operation in
//! `ops` (or a read in `aws`), and prints words made from its report (`text`). Errors carry
//! enough to pick an exit code and a hint; `main` prints them.

mod deploy;
mod destroy;
mod discover;
mod export;
mod history;
mod init;
mod logs;
mod monitor;
mod plan;
mod preview;
mod profiles;
mod rollback;
mod rotate_key;
mod shell;
mod status;
mod upgrade;
mod verify;

use std::io::Write;

use crate::cli::{Cli, Command};
pub use crate::error::CommandError;
use crate::stack::RenderError;

pub async fn run(cli: Cli) -> Result<(), CommandError> {
    let default = Command::Init(crate::cli::InitArgs::default());
    let command = cli.command.as_ref().unwrap_or(&default);
    match command {
        Command::Init(args) => init::run(&cli.global, args).await,
        Command::Discover(args) => discover::run(&cli.global, args).await,
        Command::Preview(args) => preview::run(&cli.global, args),
        Command::Plan(args) => plan::run(&cli.global, args).await,
        Command::Deploy(args) => deploy::run(&cli.global, args).await,
        Command::Destroy(args) => destroy::run(&cli.global, args).await,
        Command::Logs(args) => logs::run(&cli.global, args).await,
        Command::Status(args) => status::run(&cli.global, args).await,
        Command::Monitor(args) => monitor::run(&cli.global, args).await,
        Command::Verify(args) => verify::run(&cli.global, args).await,
        Command::Export(args) => export::run(&cli.global, args),
        Command::RotateKey(args) => rotate_key::run(&cli.global, args).await,
        Command::Upgrade(args) => upgrade::run(&cli.global, args).await,
        Command::Rollback(args) => rollback::run(&cli.global, args).await,
        Command::History(args) => history::run(&cli.global, args).await,
        Command::Profiles(command) => profiles::run(&cli.global, command),
        Command::Completions(args) => shell::completions(args),
        Command::Man => shell::man(),
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

/// A profile as a command uses it: where it came from, and what it says.
struct LoadedProfile {
    name: String,
    path: std::path::PathBuf,
    spec: crate::stack::StackSpec,
}

/// The profile a command was given, or the only saved one (said on stderr) when none was.
fn load_profile(
    global: &crate::cli::GlobalArgs,
    given: Option<&str>,
) -> Result<LoadedProfile, CommandError> {
    match given {
        Some(name_or_path) => load_named_profile(global, name_or_path),
        None => {
            let saved = crate::profile::ProfileStore::new(global.config_dir.as_deref()).list()?;
            match saved.as_slice() {
                [only] => {
                    eprintln!("Using profile {only}, the only saved profile.");
                    load_named_profile(global, only)
                }
                [] => Err(CommandError::bad_input(
                    "No --profile was given, and there is no saved profile.",
                    "Run `prefect-tui init` to make one, or pass --profile with a profile file.",
                )),
                many => Err(CommandError::bad_input(
                    "No --profile was given, and several profiles are saved; say which.",
                    format!("Pass --profile with one of: {}.", many.join(", ")),
                )),
            }
        }
    }
}

/// A profile given by name (from the store) or by path (anything with a `/` or `.toml`).
fn load_named_profile(
    global: &crate::cli::GlobalArgs,
    name_or_path: &str,
) -> Result<LoadedProfile, CommandError> {
    let by_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    if by_path {
        let path = std::path::PathBuf::from(name_or_path);
        let (_, spec) = crate::profile::load_file(&path)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name_or_path)
            .to_owned();
        return Ok(LoadedProfile { name, path, spec });
    }
    let store = crate::profile::ProfileStore::new(global.config_dir.as_deref());
    let (_, spec) = store.load(name_or_path)?;
    Ok(LoadedProfile {
        name: name_or_path.to_owned(),
        path: store.path_of(name_or_path)?,
        spec,
    })
}

impl LoadedProfile {
    /// The documents with customizations applied; a failing customization is reported at
    /// its place in the profile file.
    fn render(
        &self,
        ctx: &crate::stack::RenderContext,
    ) -> Result<crate::stack::RenderedStack, CommandError> {
        crate::stack::render_customized(&self.spec, ctx).map_err(|e| match e {
            RenderError::Customization(c) => {
                let field = format!("customizations[{}]", c.index);
                let at = std::fs::read_to_string(&self.path)
                    .ok()
                    .and_then(|text| crate::profile::locate_field(&text, &field))
                    .map(|(line, column)| format!(":{line}:{column}"))
                    .unwrap_or_default();
                CommandError::BadInput {
                    message: format!("{}{at}: {c}", self.path.display()),
                    hint: CommandError::Render(RenderError::Customization(c)).hint(),
                }
            }
            other => CommandError::Render(other),
        })
    }
}

/// Asks a yes/no question on the terminal; refuses (exit 2) when there is no terminal to
/// ask on, so scripts must say `--yes`.
fn confirm(question: &str, flag: &str) -> Result<bool, CommandError> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::bad_input(
            format!("{question} needs a confirmation, and there is no terminal to ask on."),
            format!("Pass {flag} to confirm from a script."),
        ));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// The Prefect credential for a new secret: from standard input with `--api-key-stdin`,
/// else from the environment variable the credential type names. Never from an argument.
fn read_credential(
    spec: &crate::stack::StackSpec,
    from_stdin: bool,
) -> Result<Option<crate::secret::SecretValue>, CommandError> {
    use std::io::{IsTerminal, Read};
    let Some(var) = spec.credential.env_name() else {
        return Ok(None);
    };
    let raw = if from_stdin {
        if std::io::stdin().is_terminal() {
            return Err(CommandError::bad_input(
                "--api-key-stdin reads the key from a pipe, and standard input is a terminal.",
                format!("Pipe it in (for example from a password manager), or set {var}."),
            ));
        }
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        if text.trim().is_empty() {
            return Err(CommandError::bad_input(
                "--api-key-stdin read no key: standard input was empty or closed.",
                format!("Pipe the key in (from a password manager or a file), or set {var}."),
            ));
        }
        text
    } else {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => return Ok(None),
        }
    };
    crate::secret::SecretValue::parse(&raw)
        .map(Some)
        .map_err(|message| {
            CommandError::bad_input(
                message,
                format!(
                    "Copy the key again from Prefect and pass it through {var} or --api-key-stdin."
                ),
            )
        })
}

/// Where an operation's progress goes: the live board (or lines, off a terminal), or
/// nowhere for `--output json`, whose standard output is the report alone.
fn spawn_progress(json: bool) -> (crate::ops::progress::Progress, tokio::task::JoinHandle<()>) {
    use std::io::IsTerminal;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let view = if json {
        tokio::spawn(async move { while rx.recv().await.is_some() {} })
    } else {
        tokio::spawn(async move {
            crate::text::progress::show(rx, std::io::stdout().is_terminal()).await;
        })
    };
    (tx, view)
}

/// `--output json` cannot ask: it needs the flag that answers for it.
fn json_needs(json: bool, answered: bool, flags: &str) -> Result<(), CommandError> {
    if json && !answered {
        return Err(CommandError::bad_input(
            "--output json cannot ask for confirmation.",
            format!("Pass {flags} with --output json."),
        ));
    }
    Ok(())
}

/// The JSON of a report, on standard output.
fn print_json(value: &impl serde::Serialize) -> Result<(), CommandError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
    text.push('\n');
    print_out(&text)
}

/// A rollout that did not end with the change serving, as an error (exit 1) with the
/// failed tasks' reasons; `Ok` when it completed and enough new workers are online.
fn rollout_outcome(
    end: &crate::ops::rollout::RolloutEnd,
    workers: &[String],
    spec: &crate::stack::StackSpec,
    what: &str,
) -> Result<(), CommandError> {
    use crate::ops::rollout::RolloutEnd;
    match end {
        RolloutEnd::Completed { revision } if workers.len() >= spec.desired_count as usize => {
            let _ = revision;
            Ok(())
        }
        RolloutEnd::Completed { revision } => Err(CommandError::Explained {
            message: format!(
                "{what}: {revision} rolled out, but {} of {} new worker(s) came online in pool {}",
                workers.len(),
                spec.desired_count,
                spec.work_pool
            ),
            details: Vec::new(),
            hint: Some(format!(
                "Run `prefect-tui monitor --profile {}` to see the tasks and their logs.",
                spec.names.stack
            )),
        }),
        RolloutEnd::RolledBack {
            failed,
            back_to,
            reason,
            tasks,
        } => Err(CommandError::Explained {
            message: format!(
                "{what} failed: {reason} ECS rolled the service back from {failed} to {back_to}, \
                 which serves again"
            ),
            details: tasks.clone(),
            hint: Some("Fix what the tasks say above (the image, its command), then try again.".to_owned()),
        }),
        RolloutEnd::Failed {
            revision,
            reason,
            tasks,
        } => Err(CommandError::Explained {
            message: format!("{what} failed: {revision}: {reason}"),
            details: tasks.clone(),
            hint: Some("Fix what the tasks say above, then run the command again.".to_owned()),
        }),
        RolloutEnd::TimedOut { revision, tasks } => Err(CommandError::Explained {
            message: format!("{what}: {revision} was still rolling out when the wait ended"),
            details: tasks.clone(),
            hint: Some(
                "Run the same command again to wait more (it picks up where it stopped), or raise --timeout."
                    .to_owned(),
            ),
        }),
    }
}
