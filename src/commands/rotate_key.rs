//! `prefect-tui rotate-key`: a new Prefect credential into the stack's secret, and new
//! tasks that read it (the operation is `ops::rotate`).

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::{GlobalArgs, OutputFormat, RotateKeyArgs};
use crate::ops::rotate;
use crate::profile::Credential;
use crate::secret::SecretValue;

use super::{
    CommandError, confirm, json_needs, load_profile, print_json, print_out, read_credential,
    rollout_outcome, spawn_progress,
};

pub async fn run(global: &GlobalArgs, args: &RotateKeyArgs) -> Result<(), CommandError> {
    let json = args.output == OutputFormat::Json;
    json_needs(json, args.yes, "--yes")?;
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    rotate::check_rotatable(spec)?;
    let key = new_key(
        spec.credential,
        args.api_key_stdin,
        read_credential(spec, args.api_key_stdin)?,
    )?;
    let plan = rotate::prepare(&global.aws_settings(), spec, &key).await?;
    if plan.done_already {
        let secret = spec.secret_name.as_deref().unwrap_or_default();
        if json {
            return print_json(&serde_json::json!({ "secret": secret, "rotated_already": true }));
        }
        return print_out(&format!(
            "Nothing to rotate: secret {secret} already holds this key, and every running task \
             started after it was stored.\n"
        ));
    }
    if !json {
        print_out(&crate::text::day_two::rotation_plan(
            spec,
            plan.already_stored,
        ))?;
    }
    if !args.yes
        && !confirm(
            &format!(
                "Rotate the key of stack {} in account {} ({})?",
                spec.names.stack, plan.prepared.identity.account, spec.region
            ),
            "--yes",
        )?
    {
        return Err(CommandError::Cancelled);
    }
    let (tx, view) = spawn_progress(json);
    let result = rotate::rotate(&plan, spec, &key, Duration::from_secs(args.timeout), &tx).await;
    drop(tx);
    let _ = view.await;
    let report = result?;
    if json {
        print_json(&report)?;
    }
    rollout_outcome(&report.rollout, &report.workers, spec, "The rotation")?;
    if !json {
        print_out(&format!(
            "Key rotated: secret {} {}, and {} new worker(s) are online with it ({}); \
             the old tasks are stopped.\nNow revoke the old key in Prefect (Cloud: your profile's \
             API keys; self-hosted: the server's old auth string). prefect-tui showed neither key \
             and kept neither anywhere but the secret (Secrets Manager keeps the old one as the \
             AWSPREVIOUS version until the next rotation).\n",
            report.secret,
            if plan.already_stored {
                "held it already (stored by the run that was interrupted)"
            } else {
                "has a new version"
            },
            report.workers.len(),
            report.workers.join(", ")
        ))?;
    }
    Ok(())
}

/// The new credential: from the environment or standard input, else a masked prompt when
/// there is a terminal to ask on.
fn new_key(
    credential: Credential,
    from_stdin: bool,
    given: Option<SecretValue>,
) -> Result<SecretValue, CommandError> {
    if let Some(key) = given {
        return Ok(key);
    }
    let var = credential.env_name().unwrap_or("PREFECT_API_KEY");
    if from_stdin || !std::io::stdin().is_terminal() {
        return Err(CommandError::bad_input(
            "rotate-key needs the new key, and none was given.",
            format!("Set {var}, pipe it in with --api-key-stdin, or run on a terminal to type it."),
        ));
    }
    let label = if credential == Credential::AuthString {
        "New auth string (user:password):"
    } else {
        "New Prefect API key:"
    };
    let raw = inquire::Password::new(label)
        .with_display_mode(inquire::PasswordDisplayMode::Masked)
        .without_confirmation()
        .with_help_message("Masked. Stored only in AWS Secrets Manager.")
        .prompt()
        .map_err(|_| CommandError::Cancelled)?;
    SecretValue::parse(&raw).map_err(|message| {
        CommandError::bad_input(
            message,
            "Copy the key again from Prefect and run rotate-key again.",
        )
    })
}
