//! `prefect-tui` / `prefect-tui init [--plain]`: the guided setup. The full-screen wizard
//! ends in the monitor; the plain prompts end with the commands to use next.

use std::io::IsTerminal;

use crate::cli::{DEFAULT_LOG_BUFFER, GlobalArgs, InitArgs};
use crate::profile::ProfileStore;
use crate::tui::monitor::run::run as run_monitor;
use crate::tui::wizard::app::Start;
use crate::tui::wizard::plain;
use crate::tui::wizard::run::{Outcome, left_error, run as run_wizard};

use super::CommandError;

fn start(global: &GlobalArgs) -> Result<Start, CommandError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Ok(Start {
        aws_profiles: crate::aws::profiles::shared_profile_names(),
        aws_profile: global.aws_profile.clone().or_else(|| env("AWS_PROFILE")),
        region: global
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION")),
        endpoint_url: global.endpoint_url.clone(),
        saved_profiles: ProfileStore::new(global.config_dir.as_deref()).list()?,
    })
}

pub async fn run(global: &GlobalArgs, args: &InitArgs) -> Result<(), CommandError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(CommandError::bad_input(
            "The guided setup asks questions, and this is not a terminal.",
            "Run it in a terminal, or write a profile (see `profiles/` in the repository) and run \
             `prefect-tui deploy --profile FILE --yes` with PREFECT_API_KEY set.",
        ));
    }
    let start = start(global)?;
    if args.plain {
        return plain::run(start, global.config_dir.clone()).await;
    }
    match run_wizard(start, global.config_dir.clone()).await? {
        Outcome::Cancelled => Err(CommandError::Cancelled),
        Outcome::Left {
            profile,
            existing,
            problem,
        } => Err(left_error(&profile, &existing, problem)),
        Outcome::Monitor(ctx) => run_monitor(*ctx, DEFAULT_LOG_BUFFER)
            .await
            .map_err(CommandError::Output),
    }
}
