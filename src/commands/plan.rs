//! `prefect-tui plan`: what a deploy would change, read-only.

use serde_json::json;

use crate::cli::{GlobalArgs, OutputFormat, PlanArgs};
use crate::ops;
use crate::text::plan::render_plan;

use super::{CommandError, load_profile, print_out, read_credential};

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let key = read_credential(&loaded.spec, false)?;
    let prepared = ops::deploy::prepare(
        &global.aws_settings(),
        &loaded.spec,
        key.as_ref(),
        args.overwrite_pool_defaults,
    )
    .await?;
    let floats = crate::stack::image::floats(&prepared.spec.image);
    let cost = crate::stack::cost::estimate(&prepared.spec, prepared.assign_public_ip);
    let text = match args.output {
        OutputFormat::Json => {
            let warnings: Vec<String> = floats
                .iter()
                .map(|why| format!("the image floats: {why}"))
                .collect();
            let mut text = serde_json::to_string_pretty(&json!({
                "changes": prepared.plan.changes,
                "warnings": warnings,
                "cost": cost_json(&cost),
            }))
            .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
            text.push('\n');
            text
        }
        OutputFormat::Table => {
            let mut text = render_plan(
                &prepared.plan,
                &loaded.spec.names.stack,
                &prepared.identity.account,
                &loaded.spec.region,
            );
            text.push_str(&crate::text::cost::render_cost(&cost, &loaded.spec.region));
            if let Some(note) = &prepared.observed.work_pool_note {
                text.push_str(&format!("Work pool not checked: {note}\n"));
            }
            if let Some(why) = floats {
                text.push_str(&format!(
                    "Warning: the image floats: {why}. Two deploys may run different Prefect \
                     versions; `prefect-tui upgrade --to <tag>` pins one.\n"
                ));
            }
            text
        }
    };
    print_out(&text)
}

/// The estimate as data: dollars a month (fewest and most workers) and a flow-run hour.
fn cost_json(cost: &crate::stack::cost::CostEstimate) -> serde_json::Value {
    json!({
        "prices": crate::stack::cost::PRICES_AS_OF,
        "monthly_usd": { "low": cost.low, "high": cost.high },
        "flow_run_hour_usd": cost.flow_run_hour,
        "region_in_table": !cost.region_guessed,
        "lines": cost.lines.iter().map(|l| json!({ "what": l.what, "low": l.low, "high": l.high })).collect::<Vec<_>>(),
    })
}
