//! The wizard's state and its transitions. `on_key` and `on_msg` never do I/O: they return
//! the `Work` the runner should start, and the runner sends the result back as a `Msg`.
//! Each step keeps its values when the user goes back; a value that changes clears what
//! was checked from it (a new region forgets the discovered network).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::checks::{self, PrefectKind, Problem};
use crate::aws::AwsContext;
use crate::ops::deploy::Prepared;
use crate::ops::progress::ProgressEvent;
use crate::prefect::PrefectClient;
use crate::profile::{Credential, Profile};
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::fargate::CPU_VALUES;
use crate::stack::plan::{Plan, Resource, SECRET_NEW_VALUE, SECRET_VALUE};

pub use super::work::{Exit, Msg, Work};

use super::forms::{
    ApplyPhase, ApplyView, AwsForm, DEFAULT_CHAIN, NetworkForm, Pane, PrefectField, PrefectForm,
    ReviewForm, WorkerField, WorkerForm,
};
use super::widgets::{Choice, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Aws,
    Prefect,
    Network,
    Worker,
    Review,
    Apply,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Aws,
        Step::Prefect,
        Step::Network,
        Step::Worker,
        Step::Review,
        Step::Apply,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Aws => "AWS account",
            Step::Prefect => "Prefect",
            Step::Network => "Network",
            Step::Worker => "Worker",
            Step::Review => "Review",
            Step::Apply => "Deploy",
        }
    }

    /// The title where the step list must be short (an 80-column terminal).
    pub fn short_title(self) -> &'static str {
        match self {
            Step::Aws => "AWS",
            other => other.title(),
        }
    }

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    fn prev(self) -> Step {
        Step::ALL[self.index().saturating_sub(1)]
    }
}

/// Where the wizard starts: values from the command line and the environment.
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub aws_profiles: Vec<String>,
    pub aws_profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub saved_profiles: Vec<String>,
}

#[derive(Debug)]
pub struct WizardApp {
    pub step: Step,
    pub aws: AwsForm,
    pub prefect: PrefectForm,
    pub network: NetworkForm,
    pub worker: WorkerForm,
    pub review: ReviewForm,
    pub apply: ApplyView,
    pub help: bool,
    pub confirm_quit: bool,
    /// What runs in the background, in words; keys wait while it runs (except for
    /// typing on the worker step while the pools are read: see `reading_pools`).
    pub busy: Option<String>,
    /// Enter was pressed while the pools were read: go on once they are.
    pub(super) enter_after_read: bool,
    /// Work to start alongside whatever the screen waits for: the network is read as soon
    /// as the identity is known, so step 3 is filled by the time the user reaches it.
    background: Option<Work>,
    /// That read runs (the runner took it); step 3 waits for it rather than asking again.
    pub(super) discovering: bool,
    /// The last refusal or failure, shown in the status line.
    pub problem: Option<Problem>,
    /// A neutral message for the status line.
    pub info: Option<String>,
    pub exit: Option<Exit>,
    pub tick: usize,
    /// The terminal's size (columns, rows), for keys that move by what is on screen.
    pub screen: (u16, u16),
    pub saved_profiles: Vec<String>,
    pub(super) endpoint_url: Option<String>,
    pub ctx: Option<AwsContext>,
    pub client: Option<PrefectClient>,
    pub(super) key: Option<SecretValue>,
    pub prepared: Option<Box<Prepared>>,
    pub built: Option<(Profile, StackSpec)>,
}

impl WizardApp {
    pub fn new(start: Start) -> Self {
        let mut options = vec![DEFAULT_CHAIN.to_owned()];
        options.extend(start.aws_profiles.iter().cloned());
        let selected = start
            .aws_profile
            .as_ref()
            .and_then(|p| options.iter().position(|o| o == p))
            .unwrap_or(0);
        let mut worker = WorkerForm {
            stack: TextInput::new("prefect-worker"),
            pool: TextInput::new("ecs-pool"),
            cpu: Choice {
                options: CPU_VALUES.iter().map(u32::to_string).collect(),
                selected: 1,
            },
            memory: Choice::new(&["1024"], 0),
            count: TextInput::new("1"),
            image: TextInput::new(&crate::stack::image::default_image()),
            emails: TextInput::new(""),
            scale_max: TextInput::new(""),
            spot: false,
            focus: 0,
            pools: None,
        };
        worker.refresh_memory();
        Self {
            step: Step::Aws,
            aws: AwsForm {
                profile: Choice { options, selected },
                region: TextInput::new(start.region.as_deref().unwrap_or("")),
                focus: 0,
                identity: None,
            },
            prefect: PrefectForm {
                kind: Choice::new(&["Prefect Cloud", "Self-hosted server"], 0),
                url: TextInput::default(),
                credential: Choice::new(&["API key", "basic auth (user:password)", "none"], 0),
                secret: TextInput::masked(),
                focus: 0,
                workspaces: None,
                workspace_cursor: 0,
                checked: None,
                unreachable: None,
            },
            network: NetworkForm {
                report: None,
                vpc: 0,
                cursor: 0,
                chosen: Vec::new(),
                pane: Pane::Subnets,
                create: None,
            },
            worker,
            review: ReviewForm {
                plan_text: String::new(),
                documents: String::new(),
                show_documents: false,
                scroll: 0,
                profile_name: TextInput::default(),
                customizations: Vec::new(),
                overwrite_ok: false,
            },
            apply: ApplyView::default(),
            help: false,
            confirm_quit: false,
            busy: None,
            enter_after_read: false,
            background: None,
            discovering: false,
            problem: None,
            info: None,
            exit: None,
            tick: 0,
            screen: (super::ui::MIN_WIDTH, super::ui::MIN_HEIGHT),
            saved_profiles: start.saved_profiles,
            endpoint_url: start.endpoint_url,
            ctx: None,
            client: None,
            key: None,
            prepared: None,
            built: None,
        }
    }

    /// The name of the profile being saved (for the runner's messages).
    pub fn profile_name(&self) -> String {
        self.review.profile_name.value.trim().to_owned()
    }

    /// Whether the focused widget takes typed characters (then `?` is typed, F1 helps).
    pub fn typing(&self) -> bool {
        match self.step {
            Step::Aws => self.aws.focus == 1,
            Step::Prefect => {
                self.prefect.workspaces.is_none()
                    && matches!(
                        self.prefect.focused(),
                        PrefectField::Url | PrefectField::Secret
                    )
            }
            Step::Worker => matches!(
                self.worker.focused(),
                WorkerField::Stack
                    | WorkerField::Pool
                    | WorkerField::Count
                    | WorkerField::Image
                    | WorkerField::Emails
                    | WorkerField::ScaleMax
            ),
            Step::Review => true,
            Step::Network | Step::Apply => false,
        }
    }

    pub(super) fn fail(&mut self, problem: Problem) {
        self.busy = None;
        self.info = None;
        self.problem = Some(problem);
    }

    /// The work to run in the background now, if any (the runner asks after every key and
    /// message): the network read the identity made possible.
    pub fn take_background(&mut self) -> Option<Work> {
        let work = self.background.take();
        if matches!(work, Some(Work::Discover { .. })) {
            self.discovering = true;
        }
        work
    }

    pub(super) fn start(&mut self, what: &str, work: Work) -> Option<Work> {
        self.busy = Some(what.to_owned());
        self.problem = None;
        self.info = None;
        Some(work)
    }

    /// The worker step reads the pools in the background while its fields are typed:
    /// nothing typed in that time is lost.
    pub(super) fn reading_pools(&self) -> bool {
        self.busy.is_some() && self.step == Step::Worker && self.worker.pools.is_none()
    }

    /// Text pasted into the focused field.
    pub fn on_paste(&mut self, text: &str) {
        if self.busy.is_some() && !self.reading_pools() {
            return;
        }
        let field = match self.step {
            Step::Aws if self.aws.focus == 1 => Some(&mut self.aws.region),
            Step::Prefect => match self.prefect.focused() {
                PrefectField::Url => Some(&mut self.prefect.url),
                PrefectField::Secret => Some(&mut self.prefect.secret),
                _ => None,
            },
            _ => None,
        };
        if let Some(field) = field {
            field.paste(text);
            self.edited();
        }
    }

    /// A value of the current step changed: forget what was checked from it.
    pub(super) fn edited(&mut self) {
        self.problem = None;
        match self.step {
            Step::Aws => {
                self.aws.identity = None;
                self.ctx = None;
                self.network.report = None;
                self.prepared = None;
            }
            Step::Prefect => {
                self.prefect.checked = None;
                self.prefect.unreachable = None;
                self.client = None;
                self.key = None;
                self.worker.pools = None;
                self.prepared = None;
            }
            Step::Worker => self.prepared = None,
            Step::Review => self.review.overwrite_ok = false,
            Step::Network | Step::Apply => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Work> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            if self.step == Step::Apply && self.apply.running() {
                self.confirm_quit = true;
            } else {
                self.exit = Some(Exit::Cancelled);
            }
            return None;
        }
        if self.confirm_quit {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.exit = Some(Exit::LeftDuringApply),
                _ => self.confirm_quit = false,
            }
            return None;
        }
        if self.help {
            self.help = false;
            return None;
        }
        if key.code == KeyCode::F(1) || (key.code == KeyCode::Char('?') && !self.typing()) {
            self.help = true;
            return None;
        }
        if self.reading_pools() {
            match key.code {
                KeyCode::Enter => {
                    self.enter_after_read = true;
                    return None;
                }
                KeyCode::Esc => return None,
                _ => return self.key_worker(key),
            }
        }
        if self.busy.is_some() && self.step != Step::Apply {
            return None;
        }
        if key.code == KeyCode::Esc && self.step != Step::Aws {
            if self.step == Step::Prefect && self.prefect.workspaces.is_some() {
                self.prefect.workspaces = None;
                return None;
            }
            if self.step == Step::Apply && self.apply.running() {
                return None;
            }
            self.step = self.step.prev();
            self.problem = None;
            self.info = None;
            return None;
        }
        match self.step {
            Step::Aws => self.key_aws(key),
            Step::Prefect => self.key_prefect(key),
            Step::Network => self.key_network(key),
            Step::Worker => self.key_worker(key),
            Step::Review => self.key_review(key),
            Step::Apply => self.key_apply(key),
        }
    }

    /// Moves to a step, starting the reads it needs.
    pub(super) fn enter(&mut self, step: Step) -> Option<Work> {
        self.step = step;
        self.problem = None;
        self.info = None;
        match step {
            Step::Network if self.network.report.is_none() && self.discovering => {
                // Read since the identity was known, not back yet: its answer fills the step.
                self.busy = Some("Discovering VPCs and subnets…".to_owned());
                None
            }
            Step::Network if self.network.report.is_none() => {
                let (Some(aws), Some(identity)) = (self.ctx.clone(), self.aws.identity.clone())
                else {
                    return None;
                };
                self.start(
                    "Discovering VPCs and subnets…",
                    Work::Discover {
                        aws,
                        account: identity.account,
                    },
                )
            }
            Step::Worker if self.worker.pools.is_none() => {
                let Some(client) = self.client.clone() else {
                    // Prefect did not answer from here (the user went on anyway).
                    self.worker.pools = Some(Vec::new());
                    self.info = Some(
                        "The work pools cannot be listed from here: the name you type is used as it is."
                            .into(),
                    );
                    return None;
                };
                self.start("Reading the work pools…", Work::Pools(client))
            }
            _ => None,
        }
    }

    /// The plan as the review step shows it. The secret's value is said in the words of
    /// this screen: the credential the user just entered.
    pub(super) fn show_plan(&mut self, plan: &Plan, account: &str, pool_note: Option<&str>) {
        let what = match self.prefect.credential_value() {
            Credential::AuthString => "auth string",
            _ => "API key",
        };
        let mut shown = plan.clone();
        for change in shown
            .changes
            .iter_mut()
            .filter(|c| c.resource == Resource::Secret)
        {
            for field in &mut change.fields {
                if field == SECRET_VALUE {
                    *field = format!("value: set (the {what} you entered)");
                } else if field == SECRET_NEW_VALUE {
                    *field = format!(
                        "value: replaced by the {what} you entered (a new version; the worker restarts to read it)"
                    );
                }
            }
        }
        let stack = self
            .built
            .as_ref()
            .map(|(_, s)| s.names.stack.clone())
            .unwrap_or_default();
        self.review.plan_text =
            crate::text::plan::render_plan(&shown, &stack, account, self.aws.region.value.trim());
        if let Some(note) = pool_note {
            self.review.plan_text.push_str(&format!(
                "Note: the work pool cannot be checked from here ({note}).\n"
            ));
        }
    }

    pub fn on_msg(&mut self, msg: Msg) -> Option<Work> {
        match msg {
            Msg::Progress(event) => {
                // The gate speaks in notes of its own, shown under the list.
                match (&self.apply.phase, event) {
                    (ApplyPhase::Waiting, ProgressEvent::Note { message, .. }) => {
                        self.apply.gate_note = Some(message)
                    }
                    (ApplyPhase::Waiting, _) => {}
                    (_, event) => self.apply.board.apply(&event),
                }
                return None;
            }
            Msg::Applied(Ok((prepared, _))) if prepared.observed.work_pool_note.is_some() => {
                // Nothing to wait on: the workers' heartbeats go to an API this machine
                // cannot reach.
                self.busy = None;
                self.apply.phase = ApplyPhase::Unchecked(
                    prepared.observed.work_pool_note.clone().unwrap_or_default(),
                );
                self.prepared = Some(prepared);
                self.saved_profiles.push(self.profile_name());
                return None;
            }
            // The deploy goes on to the online gate by itself.
            Msg::Applied(Ok((prepared, _since))) => {
                self.apply.phase = ApplyPhase::Waiting;
                self.busy = Some("Waiting for the worker to come online…".into());
                self.prepared = Some(prepared);
                self.saved_profiles.push(self.profile_name());
                return None;
            }
            Msg::Applied(Err((problem, existing))) => {
                self.busy = None;
                self.apply.phase = ApplyPhase::Failed { problem, existing };
                return None;
            }
            Msg::Online(result) => {
                self.busy = None;
                self.apply.phase = match result {
                    Ok(workers) => ApplyPhase::Online(workers),
                    Err(problem) => ApplyPhase::Failed {
                        problem,
                        existing: String::new(),
                    },
                };
                return None;
            }
            Msg::Verifying(line) => {
                if let Some(v) = self.apply.verify.as_mut() {
                    v.lines.push(line);
                }
                return None;
            }
            Msg::Verified(result) => {
                self.busy = None;
                if let Some(v) = self.apply.verify.as_mut() {
                    v.result = Some(result);
                }
                return None;
            }
            Msg::Discovered(result) if self.step != Step::Network => {
                // The read started with the identity, back before step 3: kept for it if it
                // is of the account and region chosen now (a failure is asked again there).
                self.discovering = false;
                let current = |r: &crate::network::DiscoveryReport| {
                    self.aws
                        .identity
                        .as_ref()
                        .is_some_and(|i| i.account == r.account)
                        && self.ctx.as_ref().is_some_and(|c| c.region == r.region)
                };
                if let Ok(report) = result
                    && current(&report)
                {
                    let first = checks::initial_vpc(&report);
                    self.network.report = Some(report);
                    self.network.select_vpc(first);
                    self.network.pane = Pane::Subnets;
                }
                return None;
            }
            _ => {}
        }
        self.busy = None;
        match msg {
            Msg::Identity(Ok((ctx, identity))) => {
                self.background = Some(Work::Discover {
                    aws: (*ctx).clone(),
                    account: identity.account.clone(),
                });
                self.aws.identity = Some(identity);
                self.ctx = Some(*ctx);
                self.network.report = None;
                self.info = Some("Credentials work. Press Enter to continue.".into());
            }
            Msg::Workspaces(Ok(list)) if list.is_empty() => self.fail(Problem::new(
                "The key works but reaches no workspace.",
                "Create a workspace in Prefect Cloud, or use a key of an account that has one.",
            )),
            Msg::Workspaces(Ok(list)) => {
                self.prefect.workspaces = Some(list);
                self.prefect.workspace_cursor = 0;
                self.info = Some("Choose a workspace with ↑/↓ and press Enter.".into());
            }
            Msg::Prefect(Err(failure))
                if failure.unreachable && self.prefect.kind_value() == PrefectKind::SelfHosted =>
            {
                let url = self.prefect.url.value.trim().to_owned();
                self.prefect.unreachable = Some(url);
                self.fail(Problem::new(
                    failure.problem.message.lines().next().unwrap_or_default(),
                    "Enter again goes on without the check (for a server only the VPC reaches); or correct the URL.",
                ));
            }
            Msg::Prefect(Ok(client)) => {
                self.client = Some(client);
                self.worker.pools = None;
                self.prefect.checked = Some(format!(
                    "Connected to {}: the {} works.",
                    self.prefect.url.value.trim(),
                    match self.prefect.credential_value() {
                        Credential::ApiKey => "API key",
                        Credential::AuthString => "auth string",
                        Credential::None => "server, without credentials,",
                    }
                ));
                self.info = Some("Press Enter to continue.".into());
            }
            Msg::Discovered(Ok(report)) => {
                self.discovering = false;
                let first = checks::initial_vpc(&report);
                self.network.report = Some(report);
                self.network.select_vpc(first);
                self.network.pane = Pane::Subnets;
            }
            Msg::Pools(result) => {
                match result {
                    Ok(pools) => self.worker.pools = Some(pools),
                    // A workspace without pools to list is no reason to stop.
                    Err(p) => {
                        self.worker.pools = Some(Vec::new());
                        self.info = Some(format!("Could not list the work pools: {}", p.message));
                    }
                }
                if std::mem::take(&mut self.enter_after_read) && self.step == Step::Worker {
                    return self.prepare();
                }
            }
            Msg::Prepared(Ok((prepared, documents))) => {
                self.show_plan(
                    &prepared.plan,
                    &prepared.identity.account,
                    prepared.observed.work_pool_note.as_deref(),
                );
                self.review
                    .plan_text
                    .push_str(&crate::text::cost::render_cost(
                        &crate::stack::cost::estimate(&prepared.spec, prepared.assign_public_ip),
                        &prepared.spec.region,
                    ));
                self.review.documents = documents;
                self.review.scroll = 0;
                self.prepared = Some(prepared);
                self.step = Step::Review;
            }
            Msg::Edited(Ok(list)) => {
                self.review.customizations = list;
                return self.prepare();
            }
            Msg::Discovered(Err(p)) => {
                self.discovering = false;
                self.fail(p);
            }
            Msg::Identity(Err(p))
            | Msg::Workspaces(Err(p))
            | Msg::Prepared(Err(p))
            | Msg::Edited(Err(p)) => self.fail(p),
            Msg::Prefect(Err(failure)) => self.fail(failure.problem),
            Msg::Progress(_)
            | Msg::Applied(_)
            | Msg::Online(_)
            | Msg::Verifying(_)
            | Msg::Verified(_) => {}
        }
        None
    }
}
