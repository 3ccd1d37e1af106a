//! `prefect-tui init --plain`: the wizard's steps as line prompts, for small terminals,
//! screen readers and recorded sessions. Same checks (`checks`), same engine, same profile;
//! progress is printed one line per event.

use std::path::PathBuf;

use inquire::validator::Validation;
use inquire::{Confirm, InquireError, MultiSelect, Password, PasswordDisplayMode, Select, Text};

use super::app::Start;
use super::checks::{
    self, Answers, PrefectKind, Problem, WorkerAnswers, check_credential, check_prefect_url,
    check_region, check_subnets,
};
use super::forms::DEFAULT_CHAIN;
use crate::aws::{AwsContext, AwsSettings, Identity};
use crate::error::CommandError;
use crate::network::DiscoveryReport;
use crate::ops::deploy::{DeployOptions, Online};
use crate::ops::{self, gate::GATE_TIMEOUT};
use crate::prefect::{PrefectAuth, PrefectClient, cloud};
use crate::profile::{Credential, ProfileStore};
use crate::secret::SecretValue;
use crate::stack::fargate::{CPU_VALUES, valid_pairs};
use crate::text::{self, plan::render_plan};

fn asked(e: InquireError) -> CommandError {
    match e {
        InquireError::OperationInterrupted | InquireError::OperationCanceled => {
            // The prompt leaves the cursor on its help line: start the message below it.
            println!();
            CommandError::Cancelled
        }
        InquireError::NotTTY => CommandError::bad_input(
            "The plain setup needs a terminal to ask its questions.",
            "Write a profile and run `prefect-tui deploy --profile FILE --yes` instead.",
        ),
        other => CommandError::Output(std::io::Error::other(other.to_string())),
    }
}

fn say_problem(p: &Problem) {
    println!("  ✗ {}", p.message);
    if let Some(hint) = &p.hint {
        println!("    → {hint}");
    }
}

fn heading(n: usize, title: &str) {
    println!("\nStep {n} of 6: {title}");
}

/// A validator from one of the shared checks.
fn valid<T>(
    check: impl Fn(&str) -> Result<T, Problem> + Clone + 'static,
) -> impl Fn(&str) -> Result<Validation, inquire::CustomUserError> + Clone + 'static {
    move |input: &str| {
        Ok(match check(input) {
            Ok(_) => Validation::Valid,
            Err(p) => Validation::Invalid(
                format!(
                    "{} {}",
                    p.message,
                    p.hint.map(|h| format!("({h})")).unwrap_or_default()
                )
                .into(),
            ),
        })
    }
}

async fn aws_step(
    start: &Start,
) -> Result<(Option<String>, String, AwsContext, Identity), CommandError> {
    heading(1, "AWS account");
    let mut options = vec![DEFAULT_CHAIN.to_owned()];
    options.extend(start.aws_profiles.iter().cloned());
    loop {
        let cursor = start
            .aws_profile
            .as_ref()
            .and_then(|p| options.iter().position(|o| o == p))
            .unwrap_or(0);
        let profile = Select::new("AWS profile:", options.clone())
            .with_starting_cursor(cursor)
            .prompt()
            .map_err(asked)?;
        let profile = (profile != DEFAULT_CHAIN).then_some(profile);
        let region = Text::new("Region:")
            .with_initial_value(start.region.as_deref().unwrap_or(""))
            .with_validator(valid(check_region))
            .prompt()
            .map_err(asked)?;
        let region = region.trim().to_owned();
        let settings = AwsSettings {
            profile: profile.clone(),
            region: Some(region.clone()),
            endpoint_url: start.endpoint_url.clone(),
        };
        let checked = async {
            let ctx = AwsContext::load(&settings).await?;
            let identity = ctx.identity().await?;
            Ok::<_, crate::aws::AwsError>((ctx, identity))
        }
        .await;
        match checked {
            Ok((ctx, identity)) => {
                println!("  ✓ account {} as {}", identity.account, identity.arn);
                return Ok((profile, region, ctx, identity));
            }
            Err(e) => say_problem(&Problem::from(CommandError::from(e))),
        }
    }
}

async fn prefect_step()
-> Result<(String, Credential, Option<SecretValue>, PrefectClient), CommandError> {
    heading(2, "Prefect");
    loop {
        let kind = Select::new(
            "Where is Prefect?",
            vec!["Prefect Cloud", "Self-hosted server"],
        )
        .prompt()
        .map_err(asked)?;
        let kind = if kind == "Prefect Cloud" {
            PrefectKind::Cloud
        } else {
            PrefectKind::SelfHosted
        };
        let credential = match kind {
            PrefectKind::Cloud => Credential::ApiKey,
            PrefectKind::SelfHosted => {
                match Select::new(
                    "What does the server ask for?",
                    vec!["API key", "basic auth (user:password)", "none"],
                )
                .prompt()
                .map_err(asked)?
                {
                    "API key" => Credential::ApiKey,
                    "none" => Credential::None,
                    _ => Credential::AuthString,
                }
            }
        };
        let key = if credential == Credential::None {
            None
        } else {
            let label = if credential == Credential::AuthString {
                "Auth string (user:password):"
            } else {
                "API key:"
            };
            let raw = Password::new(label)
                .with_display_mode(PasswordDisplayMode::Masked)
                .with_display_toggle_enabled()
                .without_confirmation()
                .with_help_message("Masked; Ctrl-R shows it. Stored only in AWS Secrets Manager.")
                .with_validator(valid(move |s: &str| check_credential(credential, s)))
                .prompt()
                .map_err(asked)?;
            check_credential(credential, &raw)
                .map_err(|p| CommandError::bad_input(p.message, p.hint.unwrap_or_default()))?
        };
        let prompt = match kind {
            PrefectKind::Cloud => {
                "Workspace URL (empty: choose from the workspaces your key reaches):"
            }
            PrefectKind::SelfHosted => "API URL:",
        };
        let mut url = Text::new(prompt).prompt().map_err(asked)?;
        if kind == PrefectKind::Cloud && url.trim().is_empty() {
            let Some(k) = &key else { continue };
            match cloud::workspaces(k, None).await {
                Ok(list) if !list.is_empty() => {
                    let labels: Vec<String> = list.iter().map(|w| w.label()).collect();
                    let chosen = Select::new("Workspace:", labels.clone())
                        .prompt()
                        .map_err(asked)?;
                    let i = labels.iter().position(|l| *l == chosen).unwrap_or(0);
                    url = list[i].api_url();
                }
                Ok(_) => {
                    say_problem(&Problem::new(
                        "The key works but reaches no workspace.",
                        "Create a workspace in Prefect Cloud, or use another key.",
                    ));
                    continue;
                }
                Err(e) => {
                    say_problem(&Problem::from(CommandError::from(e)));
                    continue;
                }
            }
        }
        let api = match check_prefect_url(kind, &url) {
            Ok(api) => api,
            Err(p) => {
                say_problem(&p);
                continue;
            }
        };
        let auth = match (credential, key.clone()) {
            (Credential::ApiKey, Some(k)) => PrefectAuth::ApiKey(k),
            (Credential::AuthString, Some(k)) => PrefectAuth::AuthString(k),
            _ => PrefectAuth::None,
        };
        let checked = async {
            let client = PrefectClient::new(&api.api_url(), auth)?;
            client.check().await?;
            Ok::<_, crate::prefect::PrefectError>(client)
        }
        .await;
        match checked {
            Ok(client) => {
                println!("  ✓ connected to {}: the credential works", api.api_url());
                return Ok((url.trim().to_owned(), credential, key, client));
            }
            Err(e) => say_problem(&Problem::from(CommandError::from(e))),
        }
    }
}

fn subnet_line(s: &crate::network::SubnetReport, recommended: bool) -> String {
    format!(
        "{}{}  {}  {}  {} free  {}: {}",
        s.id,
        if recommended { " (recommended)" } else { "" },
        s.az,
        s.cidr,
        s.available_ips,
        s.egress.as_str(),
        s.reason
    )
}

async fn network_step(
    aws: &AwsContext,
    identity: &Identity,
) -> Result<(String, Vec<String>), CommandError> {
    heading(3, "Network");
    println!("  Reading the VPCs, subnets, route tables, gateways and endpoints…");
    let net = aws.network_snapshot(None).await?;
    let report = DiscoveryReport::build(&identity.account, &net);
    if report.vpcs.is_empty() {
        return Err(CommandError::bad_input(
            format!(
                "There is no VPC in account {} in {}.",
                report.account, report.region
            ),
            "Create a VPC with subnets that reach the internet (NAT or internet gateway), then run init again.",
        ));
    }
    let labels: Vec<String> = report
        .vpcs
        .iter()
        .map(|v| {
            format!(
                "{} {} {}{} ({} recommended subnets)",
                v.id,
                v.name.as_deref().unwrap_or("-"),
                v.cidr,
                if v.is_default { " default" } else { "" },
                v.recommended_subnets.len()
            )
        })
        .collect();
    let first = checks::initial_vpc(&report);
    loop {
        let chosen = Select::new("VPC:", labels.clone())
            .with_starting_cursor(first)
            .prompt()
            .map_err(asked)?;
        let vpc = &report.vpcs[labels.iter().position(|l| *l == chosen).unwrap_or(0)];
        let lines: Vec<String> = vpc
            .subnets
            .iter()
            .map(|s| subnet_line(s, vpc.recommended_subnets.contains(&s.id)))
            .collect();
        let defaults: Vec<usize> = vpc
            .subnets
            .iter()
            .enumerate()
            .filter(|(_, s)| vpc.recommended_subnets.contains(&s.id))
            .map(|(i, _)| i)
            .collect();
        let picked = MultiSelect::new("Subnets (space chooses, enter accepts):", lines.clone())
            .with_default(&defaults)
            .prompt()
            .map_err(asked)?;
        let ids: Vec<String> = picked
            .iter()
            .filter_map(|l| lines.iter().position(|x| x == l))
            .map(|i| vpc.subnets[i].id.clone())
            .collect();
        match check_subnets(vpc, &ids) {
            Ok(_) => return Ok((vpc.id.clone(), ids)),
            Err(p) => say_problem(&p),
        }
    }
}

async fn worker_step(client: &PrefectClient) -> Result<WorkerAnswers, CommandError> {
    heading(4, "Worker");
    let pools = client.work_pools().await.unwrap_or_default();
    if !pools.is_empty() {
        let listed: Vec<String> = pools
            .iter()
            .map(|p| format!("{} ({})", p.name, p.pool_type))
            .collect();
        println!("  Work pools in the workspace: {}", listed.join(", "));
    }
    loop {
        let stack = Text::new("Stack name:")
            .with_default("prefect-worker")
            .with_validator(valid(|s: &str| {
                crate::stack::check_stack_name(s.trim())
                    .map_err(|e| Problem::new(e, "Use letters, digits and hyphens."))
            }))
            .prompt()
            .map_err(asked)?;
        let default_pool = pools
            .iter()
            .find(|p| p.pool_type == "ecs")
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "ecs-pool".to_owned());
        let work_pool = Text::new("Work pool (an existing ECS pool or a new name):")
            .with_default(&default_pool)
            .prompt()
            .map_err(asked)?;
        let cpus: Vec<String> = CPU_VALUES.iter().map(u32::to_string).collect();
        let cpu: u32 = Select::new("CPU units (1024 = 1 vCPU):", cpus)
            .with_starting_cursor(1)
            .prompt()
            .map_err(asked)?
            .parse()
            .unwrap_or(512);
        let memories: Vec<String> = valid_pairs()
            .into_iter()
            .filter(|(c, _)| *c == cpu)
            .map(|(_, m)| m.to_string())
            .collect();
        let memory: u32 = Select::new("Memory (MiB, valid with that cpu):", memories)
            .prompt()
            .map_err(asked)?
            .parse()
            .unwrap_or(1024);
        let desired_count = Text::new("Workers:")
            .with_default("1")
            .prompt()
            .map_err(asked)?;
        let default_image = crate::stack::image::default_image();
        let image = Text::new("Image:")
            .with_default(&default_image)
            .with_help_message(&crate::stack::image::describe(&default_image))
            .prompt()
            .map_err(asked)?;
        let emails = Text::new("Alert e-mails (optional, separated by commas):")
            .with_help_message(
                "Alarms for missing workers, no worker online, crashed flow runs and log errors. \
                 Each address gets an e-mail from AWS and must confirm it before alerts arrive.",
            )
            .prompt()
            .map_err(asked)?;
        let scale_max = Text::new("Scale up to (optional, the most workers):")
            .with_help_message(
                "Workers are added when the pool's flow runs are late; empty: a fixed count.",
            )
            .prompt()
            .map_err(asked)?;
        let spot = inquire::Confirm::new("Run flow runs on Fargate Spot?")
            .with_default(false)
            .with_help_message(
                "About 70% cheaper; AWS may stop a run with two minutes' notice and Prefect \
                 marks it Crashed. Keep it off for runs that must not be interrupted.",
            )
            .prompt()
            .map_err(asked)?;
        let answers = WorkerAnswers {
            stack,
            work_pool,
            cpu,
            memory,
            desired_count,
            image,
            emails,
            scale_max,
            spot,
        };
        match checks::check_worker(&answers)
            .and_then(|count| super::production::check_production(&answers, count))
        {
            Ok(_) => return Ok(answers),
            Err(p) => say_problem(&p),
        }
    }
}

pub async fn run(start: Start, config_dir: Option<PathBuf>) -> Result<(), CommandError> {
    println!(
        "prefect-tui setup. Six steps; Ctrl-C leaves at any question. Nothing is created before step 6."
    );
    let (aws_profile, region, aws, identity) = aws_step(&start).await?;
    let (prefect_url, credential, key, client) = prefect_step().await?;
    let (vpc_id, subnet_ids) = network_step(&aws, &identity).await?;
    let worker = worker_step(&client).await?;

    heading(5, "Review");
    let answers = Answers {
        aws_profile,
        region: region.clone(),
        prefect_url,
        credential,
        vpc_id,
        subnet_ids,
        create_network: None,
        worker,
        customizations: Vec::new(),
    };
    let (profile, spec) = checks::build_profile(&answers)
        .map_err(|p| CommandError::bad_input(p.message, p.hint.unwrap_or_default()))?;
    let prepared = ops::deploy::prepare_in(aws, &spec, key.as_ref(), false).await?;
    print!(
        "{}{}",
        render_plan(
            &prepared.plan,
            &spec.names.stack,
            &identity.account,
            &region
        ),
        text::cost::render_cost(
            &crate::stack::cost::estimate(&prepared.spec, prepared.assign_public_ip),
            &region
        )
    );
    println!(
        "Customizations (RFC 6902 JSON Patch) go under [[customizations]] in the saved profile; \
         `prefect-tui preview --profile NAME` shows their effect."
    );
    let store = ProfileStore::new(config_dir.as_deref());
    let saved = store.list()?;
    let name = loop {
        let name = Text::new("Save as profile:")
            .with_default(&spec.names.stack)
            .with_validator(valid(|s: &str| {
                crate::profile::check_profile_name(s.trim())
                    .map_err(|e| Problem::new(e.to_string(), "Use letters, digits, '-' and '_'."))
            }))
            .prompt()
            .map_err(asked)?;
        let name = name.trim().to_owned();
        if !saved.contains(&name)
            || Confirm::new(&format!(
                "A profile named {name} is saved already. Replace it?"
            ))
            .with_default(false)
            .prompt()
            .map_err(asked)?
        {
            break name;
        }
    };
    if !Confirm::new(&format!(
        "Save profile {name} and deploy to account {} ({region})?",
        identity.account
    ))
    .with_default(true)
    .prompt()
    .map_err(asked)?
    {
        return Err(CommandError::Cancelled);
    }

    heading(6, "Deploy");
    let path = store.save(&name, &profile)?;
    println!("  profile saved: {} (no secret in it)", path.display());
    println!("  The deploy runs, then waits until the worker is online in Prefect…");
    let options = DeployOptions {
        key: key.as_ref(),
        overwrite_pool_defaults: false,
        gate_timeout: Some(GATE_TIMEOUT),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = tokio::spawn(text::progress::show(rx, false));
    let result = ops::deploy::deploy(&prepared, &spec, options, &tx).await;
    drop(tx);
    let _ = view.await;
    match result?.online {
        Online::Workers(online) => println!(
            "Worker online: {} in pool {}. Stack {} is deployed.",
            online.join(", "),
            spec.work_pool,
            spec.names.stack
        ),
        Online::Unreachable(note) => println!(
            "AWS accepted everything; the workers could not be checked: {note}. Check the pool in Prefect."
        ),
        Online::NotWaited => {}
    }
    println!(
        "Next: `prefect-tui monitor --profile {name}` opens the live view; `prefect-tui deploy --profile {name}` repeats this deploy."
    );
    Ok(())
}
