//! `prefect-tui profiles list|show|delete|path`.

use std::fmt::Write as _;

use crate::cli::{GlobalArgs, ProfilesCommand};
use crate::profile::ProfileStore;

use super::{CommandError, confirm, print_out};

pub fn run(global: &GlobalArgs, command: &ProfilesCommand) -> Result<(), CommandError> {
    let store = ProfileStore::new(global.config_dir.as_deref());
    match command {
        ProfilesCommand::List => list(&store),
        ProfilesCommand::Show { name } => {
            let path = store.path_of(name)?;
            // Load first: a missing profile gets the "saved profiles are ..." hint, and an
            // invalid one says what is wrong instead of printing it as if it were fine.
            store.load(name)?;
            let text = std::fs::read_to_string(&path)?;
            print_out(&format!("# {}\n{text}", path.display()))
        }
        ProfilesCommand::Delete { name, yes } => {
            let path = store.path_of(name)?;
            if !path.exists() {
                store.load(name)?;
            }
            if !yes
                && !confirm(
                    &format!("Delete profile '{name}' ({})?", path.display()),
                    "--yes",
                )?
            {
                return Err(CommandError::Cancelled);
            }
            let path = store.delete(name)?;
            eprintln!(
                "Deleted profile '{name}' ({}). Its AWS resources, if any, are untouched.",
                path.display()
            );
            Ok(())
        }
        ProfilesCommand::Path { name: None } => {
            print_out(&format!("{}\n", store.profiles_dir().display()))
        }
        ProfilesCommand::Path { name: Some(name) } => {
            print_out(&format!("{}\n", store.path_of(name)?.display()))
        }
    }
}

fn list(store: &ProfileStore) -> Result<(), CommandError> {
    let names = store.list()?;
    if names.is_empty() {
        eprintln!(
            "No saved profiles in {}. `prefect-tui init` creates one.",
            store.profiles_dir().display()
        );
        return Ok(());
    }
    let rows: Vec<[String; 4]> = names
        .iter()
        .map(|name| match store.load(name) {
            Ok((_, spec)) => [
                name.clone(),
                spec.names.stack.clone(),
                spec.region.clone(),
                spec.prefect.api_url(),
            ],
            Err(e) => [
                name.clone(),
                "-".into(),
                "-".into(),
                format!(
                    "invalid: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            ],
        })
        .collect();
    let width = |i: usize, header: &str| {
        rows.iter()
            .map(|r| r[i].len())
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let (w0, w1, w2) = (width(0, "PROFILE"), width(1, "STACK"), width(2, "REGION"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:w0$}  {:w1$}  {:w2$}  PREFECT API",
        "PROFILE", "STACK", "REGION"
    );
    for r in &rows {
        let _ = writeln!(out, "{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
    }
    print_out(&out)
}
