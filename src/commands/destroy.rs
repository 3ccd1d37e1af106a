//! `prefect-tui destroy`: remove what the stack made, after saying what that is.

use std::io::IsTerminal;

use crate::aws::flow_run_definitions::FlowRunDefinitions;
use crate::cli::{DestroyArgs, GlobalArgs};
use crate::ops;
use crate::text::{self, exists::Next};

use super::{CommandError, confirm, load_profile, print_out};

pub async fn run(global: &GlobalArgs, args: &DestroyArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let ctx = ops::connect::connect(&global.aws_settings(), spec).await?;
    let survey = ops::destroy::survey(&ctx, spec, args.force_delete_secret);
    // Not the stack's: prefect-aws registers them. Listed, and removed only when asked.
    let flow_runs = match ctx.aws.flow_run_definitions(&spec.work_pool).await {
        Ok(found) => found,
        Err(e) => {
            print_out(&format!(
                "The pool's flow-run task definitions could not be listed ({e}); they are kept.\n"
            ))?;
            FlowRunDefinitions::default()
        }
    };
    if !survey.anything {
        let nothing = format!(
            "Nothing to destroy: no resource of stack {} exists in account {} ({}).\n",
            spec.names.stack, ctx.identity.account, spec.region
        );
        if flow_runs.is_empty() {
            return print_out(&nothing);
        }
        print_out(&nothing)?;
        return flow_run_definitions_after(
            &ctx,
            spec,
            args,
            &flow_runs,
            args.deregister_flow_run_definitions,
        )
        .await
        .and_then(|words| print_out(&words));
    }
    print_out(&text::exists::render(&survey.existing, Next::Nothing))?;
    if let Some(name) = &survey.kept_cluster {
        print_out(&format!("The cluster {name} is yours and will be kept.\n"))?;
    }
    let secret_note = if args.force_delete_secret {
        "The API key secret will be deleted at once, without recovery."
    } else {
        "The API key secret will be scheduled for deletion, recoverable for 7 days \
         (--force-delete-secret deletes it at once)."
    };
    print_out(&format!("{secret_note}\n"))?;
    print_out(&format!(
        "Flow runs of the pool {} still running in the cluster are stopped (their tasks hold \
         the stack's security group); the worker's logs go with the log group.\n",
        spec.work_pool
    ))?;
    let pool_note = pool_fate(&ctx, &spec.work_pool).await;
    print_out(&format!("{pool_note}\n"))?;
    if !flow_runs.is_empty() {
        print_out(&format!(
            "The worker registered {} for the pool's flow runs. They are not the stack's: {}\n",
            flow_runs.describe(&spec.work_pool),
            if args.deregister_flow_run_definitions {
                "they will be deregistered and deleted too."
            } else if args.yes {
                "they are kept (--deregister-flow-run-definitions removes them too)."
            } else {
                "you will be asked whether to remove them too."
            }
        ))?;
    }
    if !args.yes
        && !confirm(
            &format!(
                "Destroy stack {} in account {} ({})?",
                spec.names.stack, ctx.identity.account, spec.region
            ),
            "--yes",
        )?
    {
        return Err(CommandError::Cancelled);
    }
    let remove_flow_runs = !flow_runs.is_empty()
        && (args.deregister_flow_run_definitions
            || (!args.yes
                && confirm(
                    &format!(
                        "Also deregister and delete the {}? A later worker of the pool \
                         registers them again when it needs them.",
                        flow_runs.describe(&spec.work_pool)
                    ),
                    "--deregister-flow-run-definitions",
                )?));

    let live = std::io::stdout().is_terminal();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(text::progress::show(rx, live));
    let result = ops::destroy::destroy(&ctx, spec, args.force_delete_secret, &tx).await;
    drop(tx);
    let _ = view.await;
    match result {
        Ok(outcome) => {
            let mut text = format!("Destroyed stack {}.\n", spec.names.stack);
            for removed in &outcome.removed_in_prefect {
                text.push_str(&format!("Removed from Prefect: {removed}.\n"));
            }
            for kept in &outcome.kept {
                text.push_str(&format!("Kept: {kept}.\n"));
            }
            text.push_str(&format!("{pool_note}\n"));
            if !flow_runs.is_empty() {
                text.push_str(
                    &flow_run_definitions_after(&ctx, spec, args, &flow_runs, remove_flow_runs)
                        .await?,
                );
            }
            if let (Some(days), Some(name)) = (outcome.secret_recovery_days, &spec.secret_name) {
                text.push_str(&format!(
                    "The secret {name} is scheduled for deletion; it can be restored for {days} days \
                     with `aws secretsmanager restore-secret --secret-id {name}`.\n"
                ));
            }
            print_out(&text)
        }
        Err(e) => {
            if let ops::exists::WhatExists::Read(_) = &e.existing {
                print_out(&text::exists::render(&e.existing, Next::Destroy))?;
            }
            Err(e
                .failures
                .into_iter()
                .next()
                .map(|(_, e)| CommandError::Aws(e))
                .unwrap_or(CommandError::Cancelled))
        }
    }
}

/// What becomes of the Prefect work pool: destroy never deletes it, because it lives in the
/// Prefect workspace and may hold deployments, flow-run history and other workers.
async fn pool_fate(ctx: &ops::connect::StackContext, pool: &str) -> String {
    match ctx.prefect.work_pool(pool).await {
        Ok(Some(_)) => format!(
            "The Prefect work pool {pool} is kept: it lives in your Prefect workspace and may hold \
             deployments and flow-run history. `prefect work-pool delete {pool}` removes it."
        ),
        Ok(None) => format!("The Prefect work pool {pool} does not exist; nothing to keep."),
        Err(e) => format!(
            "The Prefect work pool {pool} is kept (destroy never deletes it); it could not be \
             checked from here: {e}."
        ),
    }
}

/// Removes the pool's flow-run task definitions, or says they are kept and how to remove
/// them. A failure to remove them is said, not an error: the stack itself is gone.
async fn flow_run_definitions_after(
    ctx: &ops::connect::StackContext,
    spec: &crate::stack::StackSpec,
    args: &DestroyArgs,
    found: &FlowRunDefinitions,
    remove: bool,
) -> Result<String, CommandError> {
    let what = found.describe(&spec.work_pool);
    if !remove {
        let profile = args.profile.as_deref().unwrap_or("<profile>");
        return Ok(format!(
            "Kept: {what}. `prefect-tui destroy --profile {profile} \
             --deregister-flow-run-definitions` removes them.\n"
        ));
    }
    Ok(match ctx.aws.remove_flow_run_definitions(found).await {
        Ok(n) => format!(
            "Removed {n} flow-run task definition revision(s) of the pool {}.\n",
            spec.work_pool
        ),
        Err(e) => format!("Kept: {what}; removing them failed: {e}.\n"),
    })
}
