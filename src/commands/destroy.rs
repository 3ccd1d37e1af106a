//! `prefect-tui destroy`: remove what the stack made, after saying what that is.

use std::io::IsTerminal;

use crate::aws::AwsContext;
use crate::cli::{DestroyArgs, GlobalArgs};
use crate::engine;
use crate::stack::ClusterChoice;

use super::{CommandError, confirm, load_profile, print_out, progress};
use crate::engine::describe_existing;

pub async fn run(global: &GlobalArgs, args: &DestroyArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, &args.profile)?;
    let spec = &loaded.spec;
    let aws = AwsContext::load(&engine::aws_settings_for(spec, &global.aws_settings())?).await?;
    let identity = aws.identity().await?;
    let observed = aws.observe(spec, &identity, None).await?;
    let owned_cluster = matches!(spec.cluster, ClusterChoice::Owned(_))
        && observed
            .cluster
            .as_ref()
            .is_some_and(|c| c.owned && c.active);
    let anything = observed
        .secret
        .as_ref()
        .is_some_and(|s| !s.pending_deletion || args.force_delete_secret)
        || observed.execution_role.is_some()
        || observed.task_role.is_some()
        || observed.log_group.is_some()
        || owned_cluster
        || observed.security_group.is_some()
        || observed.task_definition.is_some()
        || observed
            .service
            .as_ref()
            .is_some_and(|s| s.status != "INACTIVE");
    if !anything {
        return print_out(&format!(
            "Nothing to destroy: no resource of stack {} exists in account {} ({}).\n",
            spec.names.stack, identity.account, spec.region
        ));
    }
    print_out(&describe_existing(spec, &observed).replace(
        "Run the same deploy again to finish, or `prefect-tui destroy` to remove what exists.\n",
        "",
    ))?;
    if let ClusterChoice::Existing(name) = &spec.cluster {
        print_out(&format!("The cluster {name} is yours and will be kept.\n"))?;
    }
    let secret_note = if args.force_delete_secret {
        "The API key secret will be deleted at once, without recovery."
    } else {
        "The API key secret will be scheduled for deletion, recoverable for 7 days \
         (--force-delete-secret deletes it at once)."
    };
    print_out(&format!("{secret_note}\n"))?;
    if !args.yes
        && !confirm(
            &format!(
                "Destroy stack {} in account {} ({})?",
                spec.names.stack, identity.account, spec.region
            ),
            "--yes",
        )?
    {
        return Err(CommandError::Cancelled);
    }

    let live = std::io::stdout().is_terminal();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(progress::show(rx, live));
    let result = aws
        .destroy(spec, &observed, args.force_delete_secret, &tx)
        .await;
    drop(tx);
    let _ = view.await;
    match result {
        Ok(outcome) => {
            let mut text = format!("Destroyed stack {}.\n", spec.names.stack);
            for kept in &outcome.kept {
                text.push_str(&format!("Kept: {kept}.\n"));
            }
            if let (Some(days), Some(name)) = (outcome.secret_recovery_days, &spec.secret_name) {
                text.push_str(&format!(
                    "The secret {name} is scheduled for deletion; it can be restored for {days} days \
                     with `aws secretsmanager restore-secret --secret-id {name}`.\n"
                ));
            }
            print_out(&text)
        }
        Err(failures) => {
            if let Ok(now) = aws.observe(spec, &identity, None).await {
                print_out(&describe_existing(spec, &now).replace("Run the same deploy again to finish, or `prefect-tui destroy` to remove what exists.\n", "Run destroy again to remove what is left.\n"))?;
            }
            Err(failures
                .into_iter()
                .next()
                .map(|(_, e)| CommandError::Aws(e))
                .unwrap_or(CommandError::Cancelled))
        }
    }
}
