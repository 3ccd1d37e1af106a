//! `prefect-tui rollback`: back to an earlier task-definition revision (the operation is
//! `ops::rollback`), the diff shown first; the profile follows, so `deploy` keeps it.

use std::time::Duration;

use crate::cli::{GlobalArgs, OutputFormat, RollbackArgs};
use crate::ops::rollback;

use super::{
    CommandError, confirm, json_needs, load_profile, print_json, print_out, rollout_outcome,
    spawn_progress,
};

pub async fn run(global: &GlobalArgs, args: &RollbackArgs) -> Result<(), CommandError> {
    let json = args.output == OutputFormat::Json;
    json_needs(json, args.yes || args.dry_run, "--yes or --dry-run")?;
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let settings = global.aws_settings();
    let plan = rollback::prepare(&settings, spec, args.to).await?;
    if !json {
        if plan.already_live {
            print_out(&format!(
                "The service already runs revision {}, rolled back to earlier; waiting for it to \
                 settle. Pass --to to go further back.\n",
                plan.live.revision
            ))?;
        } else {
            print_out(&crate::text::day_two::rollback_plan(
                plan.live.revision,
                plan.target.revision,
                &plan.diff,
                spec,
            ))?;
        }
    }
    if args.dry_run {
        if json {
            print_json(&serde_json::json!({
                "from": plan.live.revision, "to": plan.target.revision, "changed": plan.diff,
            }))?;
        } else {
            print_out("Dry run: nothing was changed.\n")?;
        }
        return Ok(());
    }
    if !plan.already_live
        && !args.yes
        && !confirm(
            &format!(
                "Roll back stack {} to revision {} ({})?",
                spec.names.stack, plan.target.revision, spec.region
            ),
            "--yes",
        )?
    {
        return Err(CommandError::Cancelled);
    }
    // The profile first: an interrupted rollback leaves a profile that already keeps it.
    crate::profile::set_worker_fields(&loaded.path, &rollback::profile_fields(&plan.target))?;
    let (tx, view) = spawn_progress(json);
    let result = rollback::rollback(&plan, spec, Duration::from_secs(args.timeout), &tx).await;
    drop(tx);
    let _ = view.await;
    let report = result?;
    if json {
        print_json(&report)?;
    }
    rollout_outcome(&report.rollout, &report.workers, spec, "The rollback")?;
    if !json {
        // What the next deploy would do, read again: nothing, when the profile says it all.
        let (_, reloaded) = crate::profile::load_file(&loaded.path)?;
        let after = crate::ops::deploy::prepare(&settings, &reloaded, None, false).await?;
        let rest: Vec<String> = after
            .plan
            .changes
            .iter()
            .filter(|c| c.action != crate::stack::plan::Action::Noop)
            .map(|c| format!("{} {}: {}", c.resource.label(), c.name, c.fields.join("; ")))
            .collect();
        print_out(&format!(
            "Rolled back: stack {} runs revision {}; {} new worker(s) online. Profile {} now \
             says image, cpu and memory of revision {}.\n",
            spec.names.stack,
            report.to,
            report.workers.len(),
            loaded.path.display(),
            report.to
        ))?;
        if rest.is_empty() {
            print_out("`plan` is empty: the next deploy keeps this revision.\n")?;
        } else {
            print_out(&format!(
                "The revision has settings the profile cannot hold; the next deploy would change: {}\n",
                rest.join(" | ")
            ))?;
        }
    }
    Ok(())
}
