//! The wizard's terminal and background work. Keys and pasted text go to the state; work
//! runs as background tasks that send results back; the screen is redrawn after every
//! change and on a spinner tick while something runs. The terminal is restored on every
//! way out: done, error, Ctrl-C, and panic (`ratatui::init` installs that hook).

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use futures::StreamExt;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::app::{Exit, Msg, Start, WizardApp, Work};
use super::checks::{self, Problem};
use super::forms::ApplyPhase;
use super::ui;
use super::work::PrefectFailure;
use crate::aws::AwsContext;
use crate::error::CommandError;
use crate::network::DiscoveryReport;
use crate::ops::{
    self,
    deploy::{DeployError, DeployOptions, Online, Prepared},
    gate::GATE_TIMEOUT,
    progress::ProgressEvent,
};
use crate::prefect::{PrefectClient, cloud};
use crate::profile::ProfileStore;
use crate::secret::SecretValue;
use crate::stack::{StackSpec, redact};
use crate::text;
use crate::tui::monitor::run::MonitorContext;

const TICK: Duration = Duration::from_millis(100);

/// How the wizard ended, for the command to act on with the terminal restored.
pub enum Outcome {
    /// Nothing was created.
    Cancelled,
    /// The worker is online: open the monitor on it.
    Monitor(Box<MonitorContext>),
    /// The user left during or after a failed deploy; the text says what exists, and
    /// `problem` what failed (none when the user left a deploy still running).
    Left {
        profile: String,
        existing: String,
        problem: Option<Problem>,
    },
}

/// The error the program ends with when the user leaves after a failed deploy: the failure
/// the screen showed, in the same words and with the same exit code as `deploy` would give,
/// and what exists; a deploy left while still running is a failure of its own.
pub fn left_error(profile: &str, existing: &str, problem: Option<Problem>) -> CommandError {
    let resume = format!(
        "`prefect-tui deploy --profile {profile}` resumes it; `prefect-tui destroy --profile {profile}` removes what exists."
    );
    let details = existing.lines().map(str::to_owned).collect();
    match problem {
        Some(problem) => CommandError::Reported {
            message: problem.message,
            details,
            hint: Some(match problem.hint {
                Some(hint) => format!("{hint} {resume}"),
                None => resume,
            }),
            exit_code: problem.exit_code,
        },
        None => CommandError::Explained {
            message: "The deploy did not finish.".to_owned(),
            details,
            hint: Some(resume),
        },
    }
}

fn problem(e: impl Into<CommandError>) -> Problem {
    Problem::from(e.into())
}

/// The documents as they will be sent, secrets redacted, as YAML for the review screen.
fn documents(prepared: &Prepared, key: Option<&SecretValue>) -> String {
    let mut docs = json!({
        "task_definition": prepared.desired.rendered.task_definition,
        "service": prepared.desired.rendered.service,
    });
    let known: Vec<&str> = key.map(|k| vec![k.expose()]).unwrap_or_default();
    redact(&mut docs, &known);
    serde_yaml_ng::to_string(&docs).unwrap_or_else(|e| format!("(cannot show: {e})"))
}

async fn do_work(work: Work, tx: UnboundedSender<Msg>, config_dir: Option<PathBuf>) {
    let msg = match work {
        Work::Identity(settings) => Msg::Identity(
            async {
                let ctx = AwsContext::load(&settings).await?;
                let identity = ctx.identity().await?;
                Ok::<_, crate::aws::AwsError>((Box::new(ctx), identity))
            }
            .await
            .map_err(problem),
        ),
        Work::Workspaces(key) => {
            Msg::Workspaces(cloud::workspaces(&key, None).await.map_err(problem))
        }
        Work::CheckPrefect { api_url, auth } => Msg::Prefect(
            async {
                let client = PrefectClient::new(&api_url, auth)?;
                client.check().await?;
                Ok::<_, crate::prefect::PrefectError>(client)
            }
            .await
            .map_err(PrefectFailure::from),
        ),
        Work::Discover { aws, account } => Msg::Discovered(
            aws.network_snapshot(None)
                .await
                .map(|net| DiscoveryReport::build(&account, &net))
                .map_err(problem),
        ),
        Work::Pools(client) => Msg::Pools(
            client
                .work_pools()
                .await
                .map(|pools| pools.into_iter().map(|p| (p.name, p.pool_type)).collect())
                .map_err(problem),
        ),
        Work::Prepare { aws, spec, key } => Msg::Prepared(
            ops::deploy::prepare_in(aws, &spec, key.as_ref(), false)
                .await
                .map(|prepared| {
                    let docs = documents(&prepared, key.as_ref());
                    (Box::new(prepared), docs)
                })
                .map_err(problem),
        ),
        // Handled by the event loop: it needs the terminal.
        Work::Edit(_) => return,
        Work::Apply {
            save,
            prepared,
            aws,
            spec,
            key,
        } => {
            // `deploy` sends the results itself: applied, then online (or the failure).
            deploy(save, prepared, aws, &spec, key, &tx, config_dir).await;
            return;
        }
        Work::Verify { aws, spec, key } => {
            verify(aws, &spec, key, &tx).await;
            return;
        }
    };
    let _ = tx.send(msg);
}

/// One verify flow run: each step as a line, then how it ended.
async fn verify(
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<SecretValue>,
    tx: &UnboundedSender<Msg>,
) {
    let result = async {
        let observed = crate::stack::observed::Observed::default();
        let (prefect, _) =
            ops::connect::prefect_client(&aws, spec, &observed, key.as_ref()).await?;
        let lines = tx.clone();
        let say = move |event: ops::verify::VerifyEvent| {
            let _ = lines.send(Msg::Verifying(
                crate::text::verify::event_line(&event).trim().to_owned(),
            ));
        };
        ops::verify::verify(&aws, &prefect, spec, Default::default(), &say).await
    }
    .await;
    let _ = tx.send(Msg::Verified(match result {
        Ok(report) => crate::text::verify::outcome(&report).map_err(|(what, todo)| Problem {
            exit_code: 1,
            ..Problem::new(what, todo)
        }),
        Err(e) => Err(Problem::from(CommandError::from(e))),
    }));
}

/// The words of a failed deploy for the screen: the problem, and what exists apart.
fn deploy_problem(e: DeployError) -> (Problem, String) {
    let (error, account) = CommandError::from(e).without_account();
    let existing = account.iter().map(|l| format!("{l}\n")).collect();
    (Problem::from(error), existing)
}

/// Saves the profile when asked, then runs the one deploy operation, telling the screen
/// when AWS and Prefect accepted everything and how the online gate ended.
async fn deploy(
    save: Option<(String, Box<crate::profile::Profile>)>,
    prepared: Option<Box<Prepared>>,
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<SecretValue>,
    tx: &UnboundedSender<Msg>,
    config_dir: Option<PathBuf>,
) {
    if let Some((name, profile)) = save
        && let Err(e) = ProfileStore::new(config_dir.as_deref()).save(&name, &profile)
    {
        let _ = tx.send(Msg::Applied(Err((
            problem(e),
            "Nothing was created.".to_owned(),
        ))));
        return;
    }
    let prepared = match prepared {
        Some(p) => p,
        None => match ops::deploy::prepare_in(aws, spec, key.as_ref(), false).await {
            Ok(p) => Box::new(p),
            Err(e) => {
                let _ = tx.send(Msg::Applied(Err((problem(e), String::new()))));
                return;
            }
        },
    };
    let options = DeployOptions {
        key: key.as_ref(),
        overwrite_pool_defaults: false,
        gate_timeout: Some(GATE_TIMEOUT),
    };
    let applied = std::sync::atomic::AtomicBool::new(false);
    let (ptx, mut prx) = unbounded_channel::<ProgressEvent>();
    let work = async {
        let out = ops::deploy::deploy(&prepared, spec, options, &ptx).await;
        drop(ptx);
        out
    };
    let forward = async {
        while let Some(event) = prx.recv().await {
            if let ProgressEvent::Applied { started_at } = event {
                applied.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = tx.send(Msg::Applied(Ok((prepared.clone(), started_at))));
            } else {
                let _ = tx.send(Msg::Progress(event));
            }
        }
    };
    let (result, ()) = tokio::join!(work, forward);
    let msg = match result {
        Ok(report) => match report.online {
            Online::Workers(workers) => Msg::Online(Ok(workers)),
            // The screen knew at `Applied` (the pool's note) that there is nothing to wait
            // on from here; and the wizard always waits otherwise.
            Online::Unreachable(_) | Online::NotWaited => return,
        },
        Err(e) if applied.load(std::sync::atomic::Ordering::SeqCst) => {
            let (problem, _) = deploy_problem(e);
            Msg::Online(Err(problem))
        }
        Err(e) => Msg::Applied(Err(deploy_problem(e))),
    };
    let _ = tx.send(msg);
}

/// Opens `$EDITOR` (else `$VISUAL`, else `vi`) on the text; returns what was saved.
fn edit_in_editor(text: &str) -> Result<String, Problem> {
    let editor = std::env::var("EDITOR")
        .or_else(|_| std::env::var("VISUAL"))
        .unwrap_or_else(|_| "vi".to_owned());
    let dir = std::env::temp_dir().join(format!("prefect-tui-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Problem::new(e.to_string(), "Check TMPDIR."))?;
    let path = dir.join("customizations.toml");
    std::fs::write(&path, text).map_err(|e| Problem::new(e.to_string(), "Check TMPDIR."))?;
    // The editor may carry arguments ("code --wait"); the shell splits them.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| Problem::new(e.to_string(), "Edit again with Ctrl-E.")),
        Ok(s) => Err(Problem::new(
            format!("The editor ({editor}) exited with {s}; nothing was changed."),
            "Set EDITOR to the editor you use, and press Ctrl-E again.",
        )),
        Err(e) => Err(Problem::new(
            format!("Could not start the editor ({editor}): {e}"),
            "Set EDITOR to the editor you use, and press Ctrl-E again.",
        )),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Runs the wizard until it ends.
pub async fn run(start: Start, config_dir: Option<PathBuf>) -> std::io::Result<Outcome> {
    let mut terminal = ratatui::init();
    crate::tui::screen_taken();
    let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut app = WizardApp::new(start);
    app.screen = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or(app.screen);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut running: Vec<JoinHandle<()>> = Vec::new();
    let mut dirty = true;
    let result: std::io::Result<()> = loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| ui::draw(f, &app)) {
                break Err(e);
            }
            dirty = false;
        }
        let work = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    dirty = true;
                    app.on_key(key)
                }
                Some(Ok(Event::Paste(text))) => {
                    dirty = true;
                    app.on_paste(&text);
                    None
                }
                Some(Ok(Event::Resize(width, height))) => {
                    app.screen = (width, height);
                    dirty = true;
                    None
                }
                Some(Ok(_)) => None,
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => {
                dirty = true;
                app.on_msg(msg)
            }
            _ = tick.tick() => {
                if app.busy.is_some() || app.apply.board.any_running() {
                    app.tick += 1;
                    dirty = true;
                }
                None
            }
        };
        match work {
            Some(Work::Edit(text)) => {
                // The editor owns the terminal while it runs: stop reading keys, leave the
                // alternate screen, and come back to a clean one.
                drop(events);
                ratatui::restore();
                crate::tui::screen_released();
                let edited = tokio::task::block_in_place(|| edit_in_editor(&text));
                terminal = ratatui::init();
                crate::tui::screen_taken();
                let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
                let _ = terminal.clear();
                events = EventStream::new();
                let msg = Msg::Edited(edited.and_then(|t| checks::customizations_from_toml(&t)));
                if let Some(work) = app.on_msg(msg) {
                    running.push(tokio::spawn(do_work(work, tx.clone(), config_dir.clone())));
                }
                dirty = true;
            }
            Some(work) => {
                running.retain(|h| !h.is_finished());
                running.push(tokio::spawn(do_work(work, tx.clone(), config_dir.clone())));
            }
            None => {}
        }
        if let Some(work) = app.take_background() {
            running.push(tokio::spawn(do_work(work, tx.clone(), config_dir.clone())));
        }
        if app.exit.is_some() {
            break Ok(());
        }
    };
    for handle in &running {
        handle.abort();
    }
    let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    crate::tui::screen_released();
    result?;
    Ok(match app.exit.take() {
        Some(Exit::Monitor) => match (app.prepared.take(), app.built.take()) {
            (Some(prepared), Some((_, spec))) => Outcome::Monitor(Box::new(MonitorContext {
                aws: prepared.aws.clone(),
                prefect: prepared.prefect.clone(),
                settings: crate::aws::AwsSettings {
                    profile: spec.aws_profile.clone(),
                    region: Some(spec.region.clone()),
                    endpoint_url: app.endpoint_url.clone(),
                },
                profile_path: ProfileStore::new(config_dir.as_deref())
                    .path_of(&app.profile_name())
                    .unwrap_or_default(),
                spec,
                account: prepared.identity.account.clone(),
            })),
            _ => Outcome::Cancelled,
        },
        Some(Exit::LeftAfterFailure(existing)) => Outcome::Left {
            profile: app.profile_name(),
            existing,
            problem: match &app.apply.phase {
                ApplyPhase::Failed { problem, .. } => Some(problem.clone()),
                _ => None,
            },
        },
        Some(Exit::LeftDuringApply) => {
            let existing = match (&app.ctx, &app.built, &app.aws.identity) {
                (Some(aws), Some((_, spec)), Some(identity)) => text::exists::render(
                    &ops::exists::read(aws, spec, identity).await,
                    text::exists::Next::Deploy,
                ),
                _ => String::new(),
            };
            Outcome::Left {
                profile: app.profile_name(),
                existing,
                problem: None,
            }
        }
        Some(Exit::Cancelled) | None => Outcome::Cancelled,
    })
}

#[cfg(test)]
mod tests {
    //! A deploy that fails reads the same from every front end. `deploy` and `init --plain`
    //! both end with `CommandError::from(DeployError)` (plain.rs returns the operation's
    //! error with `?`); the wizard shows `deploy_problem` on its screen and, when the user
    //! leaves, ends with `left_error`. These tables hold the three side by side.

    use std::time::Duration;

    use super::{deploy_problem, left_error};
    use crate::aws::{ApplyError, AwsError, ErrorKind};
    use crate::error::CommandError;
    use crate::ops::deploy::DeployError;
    use crate::ops::exists::{ExistingResource, Standing, WhatExists};
    use crate::ops::gate::NotOnline;
    use crate::stack::plan::Resource;

    fn missing_key() -> DeployError {
        DeployError::MissingKey {
            secret: "prefect-tui/prod/api-key".into(),
            var: "PREFECT_API_KEY",
        }
    }

    fn failed_apply() -> DeployError {
        DeployError::Apply {
            error: ApplyError::Failed {
                failures: vec![(
                    Resource::Service,
                    AwsError::Call {
                        action: "ecs:CreateService",
                        kind: ErrorKind::AccessDenied,
                        code: Some("AccessDeniedException".into()),
                        message: Some("not allowed".into()),
                    },
                )],
            },
            existing: WhatExists::Read(vec![
                ExistingResource {
                    resource: Resource::Secret,
                    name: "prefect-tui/prod/api-key".into(),
                    standing: Standing::Exists,
                },
                ExistingResource {
                    resource: Resource::Service,
                    name: "prefect-tui-prod-worker".into(),
                    standing: Standing::NotCreated,
                },
            ]),
        }
    }

    fn gate_timeout() -> DeployError {
        DeployError::NotOnline(NotOnline {
            pool: "ecs-prod".into(),
            online: 0,
            wanted: 1,
            waited: Duration::from_secs(45),
            diagnosis: vec!["Task 1a2b stopped: the worker exited with code 1.".into()],
        })
    }

    #[test]
    fn each_failure_has_the_same_words_and_exit_code_on_every_front_end() {
        for (name, make, code, words) in [
            (
                "missing key",
                missing_key as fn() -> DeployError,
                2,
                "does not exist yet, and no API key was given",
            ),
            ("failed apply", failed_apply, 1, "ecs:CreateService"),
            (
                "gate timeout",
                gate_timeout,
                1,
                "0 of 1 worker(s) came online",
            ),
        ] {
            // The command line and the line prompts.
            let cli = CommandError::from(make());
            let cli_message = cli.to_string();
            assert!(cli_message.contains(words), "{name}: {cli_message}");
            assert_eq!(cli.exit_code(), code, "{name}");
            // The wizard: what its screen shows, and how it ends when the user leaves.
            let (problem, existing) = deploy_problem(make());
            assert_eq!(
                problem.message.lines().next(),
                Some(cli_message.as_str()),
                "{name}"
            );
            assert_eq!(problem.hint, cli.hint(), "{name}");
            for line in cli.details() {
                assert!(
                    problem.message.contains(line.as_str()) || existing.contains(line.as_str()),
                    "{name}: the wizard leaves out {line:?}"
                );
            }
            let left = left_error("prod", &existing, Some(problem));
            assert_eq!(left.exit_code(), cli.exit_code(), "{name}");
            assert!(left.to_string().starts_with(&cli_message), "{name}");
            let hint = left.hint().unwrap_or_default();
            assert!(
                hint.starts_with(&cli.hint().unwrap_or_default()),
                "{name}: {hint}"
            );
        }
    }

    #[test]
    fn a_failed_apply_lists_what_exists_on_every_front_end() {
        let cli = CommandError::from(failed_apply());
        assert!(
            cli.details()
                .iter()
                .any(|l| l.starts_with("What exists now")),
            "{:?}",
            cli.details()
        );
        let (_, existing) = deploy_problem(failed_apply());
        assert!(existing.contains("ECS service"), "{existing}");
        assert!(existing.contains("not created"), "{existing}");
        let left = left_error("prod", &existing, deploy_problem(failed_apply()).0.into());
        assert_eq!(left.details(), cli.details());
    }
}
