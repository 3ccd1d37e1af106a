//! `prefect-tui history`: the stack's task-definition revisions, newest first.

use crate::cli::{GlobalArgs, HistoryArgs, OutputFormat};
use crate::ops;

use super::{CommandError, load_profile, print_json, print_out};

pub async fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let entries = ops::history::history(&global.aws_settings(), &loaded.spec).await?;
    if args.output == OutputFormat::Json {
        return print_json(&serde_json::json!({ "revisions": entries }));
    }
    print_out(&crate::text::day_two::history(&entries, &loaded.spec))
}
