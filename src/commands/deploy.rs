//! `prefect-tui deploy`: plan, confirm, apply with live progress, configure the work pool,
//! then wait until the workers are really online in Prefect (the online gate).

use std::io::IsTerminal;
use std::time::Duration;

use crate::aws::{ApplyError, AwsContext};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::engine::{self, DeployFailure};
use crate::stack::plan::{Action, Resource};

use super::plan::render_plan;
use super::{CommandError, confirm, load_profile, print_out, progress, read_credential};

pub async fn run(global: &GlobalArgs, args: &DeployArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, &args.profile)?;
    let spec = &loaded.spec;
    let key = read_credential(spec, args.api_key_stdin)?;
    let prepared = engine::prepare(
        &global.aws_settings(),
        spec,
        key.as_ref(),
        args.overwrite_pool_defaults,
    )
    .await?;
    let plan = &prepared.plan;
    let mut text = render_plan(
        plan,
        &spec.names.stack,
        &prepared.identity.account,
        &spec.region,
    );
    if let Some(note) = &prepared.observed.work_pool_note {
        text.push_str(&format!(
            "Warning: the work pool cannot be checked from here: {note}. The worker creates it \
             when it starts; deploy again from a machine that reaches the API to fill its defaults.\n"
        ));
    }
    print_out(&text)?;

    let mut since = None;
    if plan.is_noop() {
        print_out(&format!(
            "Nothing to change: stack {} matches the profile. {}\n",
            spec.names.stack,
            calls_summary(&prepared.aws)
        ))?;
    } else {
        if plan.action(Resource::Secret) == Action::Create && key.is_none() {
            let var = spec.credential.env_name().unwrap_or("PREFECT_API_KEY");
            return Err(CommandError::bad_input(
                format!(
                    "The secret {} does not exist yet, and no API key was given to put in it.",
                    spec.secret_name.as_deref().unwrap_or_default()
                ),
                format!(
                    "Set {var}, or pipe the key in with --api-key-stdin. It is stored only in Secrets Manager."
                ),
            ));
        }
        if !args.yes
            && !confirm(
                &format!(
                    "Apply these changes in account {} ({})?",
                    prepared.identity.account, spec.region
                ),
                "--yes",
            )?
        {
            return Err(CommandError::Cancelled);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let view = tokio::spawn(progress::show(rx, std::io::stdout().is_terminal()));
        let result = engine::apply_prepared(
            &prepared,
            spec,
            key.as_ref(),
            args.overwrite_pool_defaults,
            &tx,
        )
        .await;
        drop(tx);
        let _ = view.await;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                // Something may have been made before the failure: say what.
                if matches!(e, DeployFailure::Apply(ApplyError::Failed { .. })) {
                    print_out(&engine::what_exists(&prepared.aws, spec, &prepared.identity).await)?;
                }
                return Err(e.into());
            }
        };
        since = outcome.started_at;
        if args.no_wait {
            return print_out(&format!(
                "Deployed stack {}: AWS accepted the changes (not waiting for workers). {}\n",
                spec.names.stack,
                calls_summary(&prepared.aws)
            ));
        }
    }
    if args.no_wait {
        return Ok(());
    }
    if prepared.observed.work_pool_note.is_some() {
        return print_out(
            "Not waiting for workers: the Prefect API cannot be reached from here. Check the pool in Prefect.\n",
        );
    }

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(progress::show(rx, std::io::stdout().is_terminal()));
    let gate = engine::online_gate(
        &prepared.aws,
        &prepared.prefect,
        spec,
        since,
        Duration::from_secs(args.gate_timeout),
        &tx,
    )
    .await;
    drop(tx);
    let _ = view.await;
    let online = gate?;
    print_out(&format!(
        "Worker online: {} in pool {} ({} of {} wanted). Stack {} is deployed.\n",
        online.join(", "),
        spec.work_pool,
        online.len(),
        spec.desired_count,
        spec.names.stack
    ))
}

/// How many AWS calls the run made, and how many of them wrote something.
fn calls_summary(aws: &AwsContext) -> String {
    let writes: u64 = aws.calls.writes().values().sum();
    format!("AWS calls: {} ({} writes).", aws.calls.total(), writes)
}
