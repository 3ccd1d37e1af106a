//! `prefect-tui deploy`: plan, confirm, apply with live progress, then wait for the service.

use std::io::IsTerminal;
use std::time::Duration;

use crate::aws::{ApplyError, AwsContext};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::engine;
use crate::stack::StackSpec;
use crate::stack::observed::Observed;
use crate::stack::plan::Action;

use super::plan::render_plan;
use super::{CommandError, confirm, load_profile, print_out, progress, read_credential};

const STABLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

pub async fn run(global: &GlobalArgs, args: &DeployArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, &args.profile)?;
    let spec = &loaded.spec;
    let key = read_credential(spec, args.api_key_stdin)?;
    let prepared = engine::prepare(&global.aws_settings(), spec, key.as_ref()).await?;
    let plan = &prepared.plan;
    print_out(&render_plan(
        plan,
        &spec.names.stack,
        &prepared.identity.account,
        &spec.region,
    ))?;
    if plan.is_noop() {
        print_out(&format!(
            "Nothing to change: stack {} matches the profile. {}\n",
            spec.names.stack,
            calls_summary(&prepared.aws)
        ))?;
        return Ok(());
    }
    if plan.action(crate::stack::plan::Resource::Secret) == Action::Create && key.is_none() {
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

    let live = std::io::stdout().is_terminal();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(progress::show(rx, live));
    let result = prepared
        .aws
        .apply(
            spec,
            &prepared.observed,
            plan,
            prepared.assign_public_ip,
            key.as_ref(),
            &tx,
        )
        .await;
    drop(tx);
    let _ = view.await;

    let outcome = match result {
        Ok(outcome) => outcome,
        Err(ApplyError::Failed { failures }) => {
            print_out(&account_of_what_exists(&prepared.aws, spec, &prepared.identity).await)?;
            let first = failures.into_iter().next().map(|(_, e)| e);
            return Err(match first {
                Some(e) => CommandError::Aws(e),
                None => CommandError::bad_input("the deploy failed", "Run it again to resume."),
            });
        }
        Err(ApplyError::KeyRequired { secret }) => {
            return Err(CommandError::bad_input(
                format!("The API key is needed to create the secret {secret}."),
                "Set PREFECT_API_KEY, or pipe the key in with --api-key-stdin.",
            ));
        }
        Err(ApplyError::Render(e)) => return Err(CommandError::Render(e)),
    };

    if args.no_wait {
        print_out(&format!(
            "Deployed stack {}: service {} accepted the changes (not waiting for it to settle). {}\n",
            spec.names.stack,
            outcome.service_arn.as_deref().unwrap_or_default(),
            calls_summary(&prepared.aws)
        ))?;
        return Ok(());
    }
    print_out("Waiting for the service to become stable (tasks running, one deployment)...\n")?;
    prepared
        .aws
        .wait_until_service_stable(spec.cluster.name(), &spec.names.service(), STABLE_TIMEOUT)
        .await?;
    print_out(&format!(
        "Deployed stack {}: the service is stable.\n",
        spec.names.stack
    ))
}

/// How many AWS calls the run made, and how many of them wrote something.
fn calls_summary(aws: &AwsContext) -> String {
    let writes: u64 = aws.calls.writes().values().sum();
    format!("AWS calls: {} ({} writes).", aws.calls.total(), writes)
}

/// After a failure: what exists now, read back from AWS, so nothing half-made goes unsaid.
async fn account_of_what_exists(
    aws: &AwsContext,
    spec: &StackSpec,
    identity: &crate::aws::Identity,
) -> String {
    match aws.observe(spec, identity, None).await {
        Ok(observed) => describe_existing(spec, &observed),
        Err(e) => format!("Could not read back what exists ({e}); `prefect-tui plan` shows it.\n"),
    }
}

pub fn describe_existing(spec: &StackSpec, o: &Observed) -> String {
    let secret_state = match &o.secret {
        Some(s) if s.pending_deletion => "scheduled for deletion",
        Some(_) => "exists",
        None => "not created",
    };
    let mut out = String::from("What exists now:\n");
    if let Some(name) = &spec.secret_name {
        out.push_str(&format!(
            "  {:<17} {:<34} {secret_state}\n",
            "API key secret", name
        ));
    }
    let rows = [
        (
            "execution role",
            spec.names.execution_role(),
            o.execution_role.is_some(),
        ),
        (
            "worker task role",
            spec.names.task_role(),
            o.task_role.is_some(),
        ),
        ("log group", spec.names.log_group(), o.log_group.is_some()),
        (
            "ECS cluster",
            spec.cluster.name().to_owned(),
            o.cluster.as_ref().is_some_and(|c| c.active),
        ),
        (
            "security group",
            spec.names.security_group(),
            o.security_group.is_some(),
        ),
        (
            "task definition",
            spec.names.task_family(),
            o.task_definition.is_some(),
        ),
        (
            "ECS service",
            spec.names.service(),
            o.service.as_ref().is_some_and(|s| s.status != "INACTIVE"),
        ),
    ];
    for (label, name, exists) in rows {
        out.push_str(&format!(
            "  {:<17} {:<34} {}\n",
            label,
            name,
            if exists { "exists" } else { "not created" }
        ));
    }
    out.push_str(
        "Run the same deploy again to finish, or `prefect-tui destroy` to remove what exists.\n",
    );
    out
}
