//! `prefect-tui deploy`: plan, confirm, then the deploy operation (apply with live progress,
//! the work pool's defaults, the online gate), and its report in words.

use std::io::IsTerminal;
use std::time::Duration;

use crate::aws::AwsContext;
use crate::cli::{DeployArgs, GlobalArgs};
use crate::ops::deploy::{self, DeployOptions, Online};
use crate::text::{self, plan::render_plan};

use super::{CommandError, confirm, load_profile, print_out, read_credential};

pub async fn run(global: &GlobalArgs, args: &DeployArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let key = read_credential(spec, args.api_key_stdin)?;
    let prepared = deploy::prepare(
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
    if !plan.is_noop() {
        text.push_str(&text::cost::render_cost(
            &crate::stack::cost::estimate(&prepared.spec, prepared.assign_public_ip),
            &spec.region,
        ));
    }
    if let Some(note) = &prepared.observed.work_pool_note {
        text.push_str(&format!(
            "Warning: the work pool cannot be checked from here: {note}. The worker creates it \
             when it starts; deploy again from a machine that reaches the API to fill its defaults.\n"
        ));
    }
    print_out(&text)?;

    if plan.is_noop() {
        print_out(&format!(
            "Nothing to change: stack {} matches the profile. {}\n",
            spec.names.stack,
            calls_summary(&prepared.aws)
        ))?;
        if args.no_wait {
            return Ok(());
        }
    } else {
        deploy::check_key(&prepared, spec, key.as_ref())?;
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
    }

    let options = DeployOptions {
        key: key.as_ref(),
        overwrite_pool_defaults: args.overwrite_pool_defaults,
        gate_timeout: (!args.no_wait).then(|| Duration::from_secs(args.gate_timeout)),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(text::progress::show(rx, std::io::stdout().is_terminal()));
    let result = deploy::deploy(&prepared, spec, options, &tx).await;
    drop(tx);
    let _ = view.await;
    let report = result?;
    match report.online {
        Online::NotWaited => print_out(&format!(
            "Deployed stack {}: AWS accepted the changes (not waiting for workers). {}\n",
            spec.names.stack,
            calls_summary(&prepared.aws)
        )),
        Online::Unreachable(_) => print_out(
            "Not waiting for workers: the Prefect API cannot be reached from here. Check the pool in Prefect.\n",
        ),
        Online::Workers(online) => print_out(&format!(
            "Worker online: {} in pool {} ({} of {} wanted). Stack {} is deployed.\n",
            online.join(", "),
            spec.work_pool,
            online.len(),
            spec.desired_count,
            spec.names.stack
        )),
    }
}

/// How many AWS calls the run made, and how many of them wrote something.
fn calls_summary(aws: &AwsContext) -> String {
    let writes: u64 = aws.calls.writes().values().sum();
    format!("AWS calls: {} ({} writes).", aws.calls.total(), writes)
}
