//! `prefect-tui upgrade`: another worker image, rolled out (the operation is `ops::upgrade`);
//! the profile gets the new image once it serves.

use std::time::Duration;

use crate::cli::{GlobalArgs, OutputFormat, UpgradeArgs};
use crate::ops::rollout::RolloutEnd;
use crate::ops::upgrade;
use crate::text::plan::render_plan;

use super::{
    CommandError, confirm, json_needs, load_profile, print_json, print_out, rollout_outcome,
    spawn_progress,
};

pub async fn run(global: &GlobalArgs, args: &UpgradeArgs) -> Result<(), CommandError> {
    let json = args.output == OutputFormat::Json;
    json_needs(json, args.yes || args.dry_run, "--yes or --dry-run")?;
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let plan = upgrade::prepare(&global.aws_settings(), spec, args.to.as_deref()).await?;
    if !json {
        print_out(&crate::text::day_two::upgrade_plan(
            &plan.from, &plan.to, spec,
        ))?;
        if !plan.is_noop() {
            print_out(&render_plan(
                &plan.prepared.plan,
                &spec.names.stack,
                &plan.prepared.identity.account,
                &spec.region,
            ))?;
        }
    }
    if args.dry_run {
        if json {
            print_json(&serde_json::json!({
                "from": plan.from, "to": plan.to, "changes": plan.prepared.plan.changes,
            }))?;
        } else {
            print_out("Dry run: nothing was changed.\n")?;
        }
        return Ok(());
    }
    if plan.is_noop() && !json {
        print_out(&format!("The service already runs {}.\n", plan.to))?;
    }
    if !plan.is_noop()
        && !args.yes
        && !confirm(
            &format!(
                "Upgrade stack {} in account {} ({})?",
                spec.names.stack, plan.prepared.identity.account, spec.region
            ),
            "--yes",
        )?
    {
        return Err(CommandError::Cancelled);
    }
    let (tx, view) = spawn_progress(json);
    let result = upgrade::upgrade(&plan, Duration::from_secs(args.timeout), &tx).await;
    drop(tx);
    let _ = view.await;
    let report = result?;
    if json {
        print_json(&report)?;
    }
    let served = matches!(report.rollout, RolloutEnd::Completed { .. });
    if served && spec.image != plan.to {
        crate::profile::set_worker_fields(
            &loaded.path,
            &[("image", toml_edit::Value::from(plan.to.as_str()))],
        )?;
    }
    rollout_outcome(&report.rollout, &report.workers, spec, "The upgrade").map_err(|e| {
        match (served, e) {
            (
                false,
                CommandError::Explained {
                    message,
                    details,
                    hint,
                },
            ) => CommandError::Explained {
                message: format!(
                    "{}. The profile still says image = {:?}",
                    message.trim_end_matches('.'),
                    spec.image
                ),
                details,
                hint,
            },
            (_, e) => e,
        }
    })?;
    if !json {
        print_out(&format!(
            "Upgraded: stack {} runs {} ({}); {} new worker(s) online. Profile {} now says \
             image = {:?}.\n",
            spec.names.stack,
            plan.to,
            crate::stack::image::describe(&plan.to),
            report.workers.len(),
            loaded.path.display(),
            plan.to
        ))?;
    }
    Ok(())
}
