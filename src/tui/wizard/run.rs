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
use super::ui;
use super::work::PrefectFailure;
use crate::aws::{AwsContext, ProgressEvent};
use crate::commands::CommandError;
use crate::engine::{self, Prepared};
use crate::network::DiscoveryReport;
use crate::prefect::{PrefectClient, cloud};
use crate::profile::ProfileStore;
use crate::secret::SecretValue;
use crate::stack::{StackSpec, redact};
use crate::tui::monitor::run::MonitorContext;

const TICK: Duration = Duration::from_millis(100);

/// How the wizard ended, for the command to act on with the terminal restored.
pub enum Outcome {
    /// Nothing was created.
    Cancelled,
    /// The worker is online: open the monitor on it.
    Monitor(Box<MonitorContext>),
    /// The user left during or after a failed deploy; the text says what exists.
    Left { profile: String, existing: String },
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

/// Runs `fut` while forwarding its progress events to the screen, in order.
async fn with_progress<T>(
    tx: &UnboundedSender<Msg>,
    fut: impl AsyncFnOnce(&crate::aws::Progress) -> T,
) -> T {
    let (ptx, mut prx) = unbounded_channel::<ProgressEvent>();
    let work = async move {
        let out = fut(&ptx).await;
        drop(ptx);
        out
    };
    let forward = async {
        while let Some(event) = prx.recv().await {
            let _ = tx.send(Msg::Progress(event));
        }
    };
    let (out, ()) = tokio::join!(work, forward);
    out
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
            engine::prepare_in(aws, &spec, key.as_ref(), false)
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
        } => Msg::Applied(apply(save, prepared, aws, &spec, key, &tx, config_dir).await),
        Work::Gate {
            prepared,
            spec,
            since,
        } => Msg::Online(
            with_progress(&tx, async |progress| {
                engine::online_gate(
                    &prepared.aws,
                    &prepared.prefect,
                    &spec,
                    since,
                    engine::GATE_TIMEOUT,
                    progress,
                )
                .await
            })
            .await
            .map_err(problem),
        ),
    };
    let _ = tx.send(msg);
}

type Applied = Result<(Box<Prepared>, Option<std::time::SystemTime>), (Problem, String)>;

async fn apply(
    save: Option<(String, Box<crate::profile::Profile>)>,
    prepared: Option<Box<Prepared>>,
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<SecretValue>,
    tx: &UnboundedSender<Msg>,
    config_dir: Option<PathBuf>,
) -> Applied {
    if let Some((name, profile)) = save {
        ProfileStore::new(config_dir.as_deref())
            .save(&name, &profile)
            .map_err(|e| (problem(e), "Nothing was created.".to_owned()))?;
    }
    let prepared = match prepared {
        Some(p) => p,
        None => Box::new(
            engine::prepare_in(aws, spec, key.as_ref(), false)
                .await
                .map_err(|e| (problem(e), String::new()))?,
        ),
    };
    let result = with_progress(tx, async |progress| {
        engine::apply_prepared(&prepared, spec, key.as_ref(), false, progress).await
    })
    .await;
    match result {
        Ok(outcome) => Ok((prepared, outcome.started_at)),
        Err(e) => {
            let existing = engine::what_exists(&prepared.aws, spec, &prepared.identity).await;
            Err((problem(e), existing))
        }
    }
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
                spec,
                account: prepared.identity.account.clone(),
            })),
            _ => Outcome::Cancelled,
        },
        Some(Exit::LeftAfterFailure(existing)) => Outcome::Left {
            profile: app.profile_name(),
            existing,
        },
        Some(Exit::LeftDuringApply) => {
            let existing = match (&app.ctx, &app.built, &app.aws.identity) {
                (Some(aws), Some((_, spec)), Some(identity)) => {
                    engine::what_exists(aws, spec, identity).await
                }
                _ => String::new(),
            };
            Outcome::Left {
                profile: app.profile_name(),
                existing,
            }
        }
        Some(Exit::Cancelled) | None => Outcome::Cancelled,
    })
}
