//! `prefect-tui export`: the stack as a CloudFormation template or a Terraform module,
//! written into a new (or empty) directory. Offline: it reads the profile only.

use std::path::{Path, PathBuf};

use crate::cli::{ExportArgs, ExportFormat, GlobalArgs};
use crate::export::{ExportedFile, StackModel, cloudformation, terraform};

use super::{CommandError, load_profile, print_out};

pub fn run(global: &GlobalArgs, args: &ExportArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    if let Some(owned) = &loaded.spec.owned_network {
        return Err(CommandError::bad_input(
            format!(
                "profile {} makes its own network (create = \"{}\"), and export does not \
                 write a network yet: the template would have no VPC or subnets to run in.",
                loaded.name,
                crate::network::shape_name(owned.shape)
            ),
            "Deploy once, then copy the VPC and subnet ids `prefect-tui discover` shows into a \
             copy of the profile (vpc_id, subnet_ids instead of create) and export that.",
        ));
    }
    let monitoring = &loaded.spec.monitoring;
    let sections: Vec<&str> = [
        (monitoring.notifications.is_some(), "[notifications]"),
        (monitoring.alarms.is_some(), "[alarms]"),
        (monitoring.scaling.is_some(), "[scaling]"),
        (monitoring.spot_flow_runs, "[flow_runs] spot"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !sections.is_empty() {
        return Err(CommandError::bad_input(
            format!(
                "profile {} has {}, and export does not write the alerts topic, alarms, crash \
                 rule, log filter, scaling or Fargate Spot yet: the code would make a stack \
                 without them.",
                loaded.name,
                sections.join(", ")
            ),
            "Export a copy of the profile without those sections (and add them to the code by \
             hand), or keep deploying this stack with `prefect-tui deploy`.",
        ));
    }
    // The same render as deploy's: a customization that fails is said at its place.
    loaded.render(&crate::stack::RenderContext::placeholders(
        &loaded.spec,
        None,
    ))?;
    let model = StackModel::of(&loaded.spec)?;
    let (kind, files, left_out) = match args.format {
        ExportFormat::Cloudformation => ("cloudformation", cloudformation::files(&model), vec![]),
        ExportFormat::Terraform => {
            let (files, left_out) = terraform::files(&model);
            ("terraform", files, left_out)
        }
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}-{kind}", model.stack)));
    check_dir(&dir)?;
    write_all(&dir, &files)?;
    let mut text = format!(
        "Wrote the stack {} ({} from profile {}) to {}:\n",
        model.stack,
        match args.format {
            ExportFormat::Cloudformation => "a CloudFormation template",
            ExportFormat::Terraform => "a Terraform module",
        },
        loaded.name,
        dir.display()
    );
    for f in &files {
        text.push_str(&format!("  {}\n", f.path));
    }
    for field in &left_out {
        text.push_str(&format!(
            "Not carried over (add it by hand; the README lists it): {field}\n"
        ));
    }
    text.push_str(
        "It makes a second stack with these names; to adopt the running one instead, see \
         the README's section on importing. The Prefect work pool's defaults are not in it \
         (the README says how to set them).\n",
    );
    print_out(&text)
}

/// A new directory, or an empty one: an export never mixes with other files.
fn check_dir(dir: &Path) -> Result<(), CommandError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(CommandError::bad_input(
                    format!("{} exists and is not empty.", dir.display()),
                    "Pass --out with a new or empty directory; an export never writes among other files.",
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(CommandError::bad_input(
            format!("{} is a file, not a directory.", dir.display()),
            "Pass --out with a new or empty directory.",
        )),
        Err(e) => Err(e.into()),
    }
}

fn write_all(dir: &Path, files: &[ExportedFile]) -> Result<(), CommandError> {
    std::fs::create_dir_all(dir)?;
    for f in files {
        std::fs::write(dir.join(f.path), &f.text)?;
    }
    Ok(())
}
