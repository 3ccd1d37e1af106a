//! `prefect-tui monitor`: the live view of a deployed stack.

use std::io::IsTerminal;

use crate::cli::{GlobalArgs, MonitorArgs};
use crate::ops;
use crate::tui::monitor::run::{MonitorContext, run as run_monitor};

use super::{CommandError, load_profile};

pub async fn run(global: &GlobalArgs, args: &MonitorArgs) -> Result<(), CommandError> {
    if !std::io::stdout().is_terminal() {
        return Err(CommandError::bad_input(
            "The monitor needs a terminal.",
            "For scripts, use `prefect-tui status` and `prefect-tui logs --follow`.",
        ));
    }
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = loaded.spec;
    let settings = global.aws_settings();
    // The stack itself is read by the monitor, on screen: only what its first frame needs.
    let stack = ops::connect::connect_to_watch(&settings, &spec).await?;
    let ctx = MonitorContext {
        aws: stack.aws,
        prefect: stack.prefect,
        spec,
        account: stack.identity.account,
        settings,
        profile_path: loaded.path,
    };
    run_monitor(ctx, args.buffer)
        .await
        .map_err(CommandError::Output)
}
