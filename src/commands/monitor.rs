//! `prefect-tui monitor`: the live view of a deployed stack.

use std::io::IsTerminal;

use crate::aws::AwsContext;
use crate::cli::{GlobalArgs, MonitorArgs};
use crate::engine;
use crate::profile::ProfileStore;
use crate::tui::monitor::run::{MonitorContext, run as run_monitor};

use super::{CommandError, load_profile};

pub async fn run(global: &GlobalArgs, args: &MonitorArgs) -> Result<(), CommandError> {
    if !std::io::stdout().is_terminal() {
        return Err(CommandError::bad_input(
            "The monitor needs a terminal.",
            "For scripts, use `prefect-tui status` and `prefect-tui logs --follow`.",
        ));
    }
    let name = match &args.profile {
        Some(name) => name.clone(),
        None => {
            let saved = ProfileStore::new(global.config_dir.as_deref()).list()?;
            match saved.as_slice() {
                [only] => only.clone(),
                [] => {
                    return Err(CommandError::bad_input(
                        "There is no saved profile to monitor.",
                        "Deploy one first (`prefect-tui init`), or pass --profile with a profile file.",
                    ));
                }
                many => {
                    return Err(CommandError::bad_input(
                        "Several profiles are saved; say which to monitor.",
                        format!("Pass --profile with one of: {}.", many.join(", ")),
                    ));
                }
            }
        }
    };
    let loaded = load_profile(global, &name)?;
    let spec = loaded.spec;
    let aws = AwsContext::load(&engine::aws_settings_for(&spec, &global.aws_settings())?).await?;
    let identity = aws.identity().await?;
    let observed = aws.observe(&spec, &identity, None).await?;
    let prefect = engine::prefect_client(&aws, &spec, &observed, None).await?;
    let ctx = MonitorContext {
        aws,
        prefect,
        spec,
        account: identity.account,
    };
    run_monitor(ctx, args.buffer)
        .await
        .map_err(CommandError::Output)
}
