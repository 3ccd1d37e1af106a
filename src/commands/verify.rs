//! `prefect-tui verify`: one flow run through the stack, followed to its end.

use std::time::Duration;

use crate::cli::{GlobalArgs, OutputFormat, VerifyArgs};
use crate::ops::{self, verify::VerifyOptions};
use crate::text;

use super::{CommandError, load_profile, print_out};

pub async fn run(global: &GlobalArgs, args: &VerifyArgs) -> Result<(), CommandError> {
    if args.timeout == 0 {
        return Err(CommandError::BadInput {
            message: "--timeout 0 leaves no time for a flow run".to_owned(),
            hint: Some("Give the seconds to wait, for example --timeout 600.".to_owned()),
        });
    }
    let loaded = load_profile(global, args.profile.as_deref())?;
    let spec = &loaded.spec;
    let ctx = ops::connect::connect(&global.aws_settings(), spec).await?;
    if ctx
        .observed
        .service
        .as_ref()
        .is_none_or(|s| s.status == "INACTIVE")
    {
        return Err(CommandError::BadInput {
            message: format!(
                "stack {} has no worker service in account {} ({}): nothing would take a flow run",
                spec.names.stack, ctx.identity.account, spec.region
            ),
            hint: Some(format!(
                "Deploy it first: prefect-tui deploy --profile {}",
                loaded.name
            )),
        });
    }
    let options = VerifyOptions {
        timeout: Duration::from_secs(args.timeout),
        ..VerifyOptions::default()
    };
    let json = args.output == OutputFormat::Json;
    let say = move |event: ops::verify::VerifyEvent| {
        if !json {
            eprintln!("{}", text::verify::event_line(&event));
        }
    };
    let report = ops::verify::verify(&ctx.aws, &ctx.prefect, spec, options, &say).await?;
    let out = if json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
        text.push('\n');
        text
    } else {
        text::verify::render(&report)
    };
    print_out(&out)?;
    match text::verify::outcome(&report) {
        Ok(_) => Ok(()),
        Err((what, todo)) => Err(CommandError::Reported {
            message: format!("verify: {what}"),
            details: vec![],
            hint: Some(todo),
            exit_code: 1,
        }),
    }
}
