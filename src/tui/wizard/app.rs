//! The wizard's state and its transitions. `on_key` and `on_msg` never do I/O: they return
//! the `Work` the runner should start, and the runner sends the result back as a `Msg`.
//! Each step keeps its values when the user goes back; a value that changes clears what
//! was checked from it (a new region forgets the discovered network).

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::checks::{
    self, Answers, PrefectKind, Problem, WorkerAnswers, check_credential, check_prefect_url,
    check_region, check_subnets,
};
use crate::aws::{AwsContext, AwsSettings, Identity, ProgressEvent};
use crate::engine::Prepared;
use crate::network::{DiscoveryReport, VpcReport};
use crate::prefect::cloud::Workspace;
use crate::prefect::{PrefectAuth, PrefectClient};
use crate::profile::{Credential, Customization, Profile};
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::fargate::{CPU_VALUES, valid_pairs};
use crate::tui::board::Board;

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

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    fn prev(self) -> Step {
        Step::ALL[self.index().saturating_sub(1)]
    }
}

/// A one-line text field. A masked one shows bullets unless revealed, and never shows its
/// value in `Debug`.
#[derive(Clone, Default)]
pub struct TextInput {
    pub value: String,
    cursor: usize,
    pub masked: bool,
    pub revealed: bool,
}

impl fmt::Debug for TextInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.masked {
            f.write_str("TextInput(<redacted>)")
        } else {
            write!(f, "TextInput({:?})", self.value)
        }
    }
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            cursor: value.chars().count(),
            ..Self::default()
        }
    }

    pub fn masked() -> Self {
        Self {
            masked: true,
            ..Self::default()
        }
    }

    pub fn set(&mut self, value: &str) {
        self.value = value.to_owned();
        self.cursor = value.chars().count();
    }

    /// What the screen shows: bullets for a hidden secret.
    pub fn shown(&self) -> String {
        if self.masked && !self.revealed {
            "•".repeat(self.value.chars().count())
        } else {
            self.value.clone()
        }
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    /// Applies an editing key; false when the key is not an edit.
    fn edit(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.value.clear();
                self.cursor = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Delete if self.cursor < self.value.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.value.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.value.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// Pasted text: line breaks are dropped (a key copied with its newline).
    fn paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| *c != '\n' && *c != '\r') {
            let at = self.byte_at(self.cursor);
            self.value.insert(at, c);
            self.cursor += 1;
        }
    }
}

/// One of a fixed list, changed with ←/→.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub options: Vec<String>,
    pub selected: usize,
}

impl Choice {
    pub fn new(options: &[&str], selected: usize) -> Self {
        Self {
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            selected,
        }
    }

    pub fn value(&self) -> &str {
        self.options
            .get(self.selected)
            .map(String::as_str)
            .unwrap_or("")
    }

    fn step(&mut self, forward: bool) -> bool {
        if self.options.is_empty() {
            return false;
        }
        let n = self.options.len();
        self.selected = if forward {
            (self.selected + 1) % n
        } else {
            (self.selected + n - 1) % n
        };
        true
    }
}

pub const DEFAULT_CHAIN: &str = "default credential chain";

#[derive(Debug, Clone)]
pub struct AwsForm {
    /// The first option is the SDK's default chain (environment, AWS_PROFILE, SSO...).
    pub profile: Choice,
    pub region: TextInput,
    pub focus: usize,
    pub identity: Option<Identity>,
}

impl AwsForm {
    fn chosen_profile(&self) -> Option<String> {
        (self.profile.selected > 0).then(|| self.profile.value().to_owned())
    }
}

/// The fields of the Prefect step, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefectField {
    Kind,
    Url,
    Credential,
    Secret,
}

#[derive(Debug, Clone)]
pub struct PrefectForm {
    pub kind: Choice,
    pub url: TextInput,
    /// Self-hosted only: what the server wants.
    pub credential: Choice,
    pub secret: TextInput,
    pub focus: usize,
    /// Workspaces the key reaches, offered when no URL was given (Cloud).
    pub workspaces: Option<Vec<Workspace>>,
    pub workspace_cursor: usize,
    /// The check's result in words, once it passed.
    pub checked: Option<String>,
}

impl PrefectForm {
    pub fn kind_value(&self) -> PrefectKind {
        if self.kind.selected == 0 {
            PrefectKind::Cloud
        } else {
            PrefectKind::SelfHosted
        }
    }

    pub fn credential_value(&self) -> Credential {
        match (self.kind_value(), self.credential.selected) {
            (PrefectKind::Cloud, _) | (_, 0) => Credential::ApiKey,
            (_, 1) => Credential::AuthString,
            _ => Credential::None,
        }
    }

    pub fn fields(&self) -> Vec<PrefectField> {
        let mut fields = vec![PrefectField::Kind, PrefectField::Url];
        if self.kind_value() == PrefectKind::SelfHosted {
            fields.push(PrefectField::Credential);
        }
        if self.credential_value() != Credential::None {
            fields.push(PrefectField::Secret);
        }
        fields
    }

    pub fn focused(&self) -> PrefectField {
        let fields = self.fields();
        fields[self.focus.min(fields.len() - 1)]
    }

    pub fn secret_label(&self) -> &'static str {
        match self.credential_value() {
            Credential::AuthString => "Auth string",
            _ => "API key",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Vpcs,
    Subnets,
}

#[derive(Debug, Clone)]
pub struct NetworkForm {
    pub report: Option<DiscoveryReport>,
    pub vpc: usize,
    pub cursor: usize,
    pub chosen: Vec<String>,
    pub pane: Pane,
}

impl NetworkForm {
    pub fn current_vpc(&self) -> Option<&VpcReport> {
        self.report.as_ref().and_then(|r| r.vpcs.get(self.vpc))
    }

    fn select_vpc(&mut self, index: usize) {
        self.vpc = index;
        self.cursor = 0;
        self.chosen = self
            .current_vpc()
            .map(|v| v.recommended_subnets.clone())
            .unwrap_or_default();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerField {
    Stack,
    Pool,
    Cpu,
    Memory,
    Count,
    Image,
}

impl WorkerField {
    pub const ALL: [WorkerField; 6] = [
        WorkerField::Stack,
        WorkerField::Pool,
        WorkerField::Cpu,
        WorkerField::Memory,
        WorkerField::Count,
        WorkerField::Image,
    ];
}

#[derive(Debug, Clone)]
pub struct WorkerForm {
    pub stack: TextInput,
    pub pool: TextInput,
    pub cpu: Choice,
    pub memory: Choice,
    pub count: TextInput,
    pub image: TextInput,
    pub focus: usize,
    /// Pools in the workspace: (name, type).
    pub pools: Option<Vec<(String, String)>>,
}

impl WorkerForm {
    pub fn focused(&self) -> WorkerField {
        WorkerField::ALL[self.focus.min(WorkerField::ALL.len() - 1)]
    }

    pub fn cpu_value(&self) -> u32 {
        self.cpu.value().parse().unwrap_or(512)
    }

    pub fn memory_value(&self) -> u32 {
        self.memory.value().parse().unwrap_or(1024)
    }

    /// Memory offered for the chosen cpu: only valid Fargate pairs; keeps the closest.
    fn refresh_memory(&mut self) {
        let cpu = self.cpu_value();
        let keep = self.memory_value();
        let options: Vec<u32> = valid_pairs()
            .into_iter()
            .filter(|(c, _)| *c == cpu)
            .map(|(_, m)| m)
            .collect();
        let selected = options
            .iter()
            .enumerate()
            .min_by_key(|(_, m)| m.abs_diff(keep))
            .map(|(i, _)| i)
            .unwrap_or(0);
        self.memory = Choice {
            options: options.iter().map(u32::to_string).collect(),
            selected,
        };
    }

    pub fn answers(&self) -> WorkerAnswers {
        WorkerAnswers {
            stack: self.stack.value.clone(),
            work_pool: self.pool.value.clone(),
            cpu: self.cpu_value(),
            memory: self.memory_value(),
            desired_count: self.count.value.clone(),
            image: self.image.value.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReviewForm {
    pub plan_text: String,
    /// The task definition and service request as they will be sent (secrets redacted).
    pub documents: String,
    pub show_documents: bool,
    pub scroll: u16,
    pub profile_name: TextInput,
    pub customizations: Vec<Customization>,
    /// The user pressed Enter once on a name that is taken.
    pub overwrite_ok: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApplyPhase {
    Applying,
    Waiting,
    Online(Vec<String>),
    Failed { problem: Problem, existing: String },
}

#[derive(Debug, Clone)]
pub struct ApplyView {
    pub board: Board,
    pub phase: ApplyPhase,
    /// The online gate's latest word (workers online so far, tasks running, time waited).
    pub gate_note: Option<String>,
}

impl Default for ApplyView {
    fn default() -> Self {
        Self {
            board: Board::default(),
            phase: ApplyPhase::Applying,
            gate_note: None,
        }
    }
}

impl ApplyView {
    pub fn running(&self) -> bool {
        matches!(self.phase, ApplyPhase::Applying | ApplyPhase::Waiting)
    }
}

/// How the wizard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Ctrl-C before anything was made.
    Cancelled,
    /// Ctrl-C during the deploy, confirmed: the runner says what exists.
    LeftDuringApply,
    /// After a failure, the user chose to leave things as they are.
    LeftAfterFailure(String),
    /// The worker is online: open the monitor.
    Monitor,
}

/// Work the runner does in the background.
pub enum Work {
    Identity(AwsSettings),
    Workspaces(SecretValue),
    CheckPrefect {
        api_url: String,
        auth: PrefectAuth,
    },
    Discover {
        aws: AwsContext,
        account: String,
    },
    Pools(PrefectClient),
    Prepare {
        aws: AwsContext,
        spec: Box<StackSpec>,
        key: Option<SecretValue>,
    },
    /// Suspends the screen and opens `$EDITOR` on this text.
    Edit(String),
    /// Saves the profile (when `save` names it), then applies; prepares again first when
    /// there is no plan (a retry).
    Apply {
        save: Option<(String, Box<Profile>)>,
        prepared: Option<Box<Prepared>>,
        aws: AwsContext,
        spec: Box<StackSpec>,
        key: Option<SecretValue>,
    },
    Gate {
        prepared: Box<Prepared>,
        spec: Box<StackSpec>,
        since: Option<std::time::SystemTime>,
    },
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Work::Identity(_) => "Work::Identity",
            Work::Workspaces(_) => "Work::Workspaces",
            Work::CheckPrefect { .. } => "Work::CheckPrefect",
            Work::Discover { .. } => "Work::Discover",
            Work::Pools(_) => "Work::Pools",
            Work::Prepare { .. } => "Work::Prepare",
            Work::Edit(_) => "Work::Edit",
            Work::Apply { .. } => "Work::Apply",
            Work::Gate { .. } => "Work::Gate",
        })
    }
}

/// Results of work, back from the runner.
pub enum Msg {
    Identity(Result<(Box<AwsContext>, Identity), Problem>),
    Workspaces(Result<Vec<Workspace>, Problem>),
    Prefect(Result<PrefectClient, Problem>),
    Discovered(Result<DiscoveryReport, Problem>),
    Pools(Result<Vec<(String, String)>, Problem>),
    Prepared(Result<(Box<Prepared>, String), Problem>),
    Edited(Result<Vec<Customization>, Problem>),
    Progress(ProgressEvent),
    Applied(Result<(Box<Prepared>, Option<std::time::SystemTime>), (Problem, String)>),
    Online(Result<Vec<String>, Problem>),
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
    /// What runs in the background, in words; keys wait while it runs.
    pub busy: Option<String>,
    /// The last refusal or failure, shown in the status line.
    pub problem: Option<Problem>,
    /// A neutral message for the status line.
    pub info: Option<String>,
    pub exit: Option<Exit>,
    pub tick: usize,
    pub saved_profiles: Vec<String>,
    endpoint_url: Option<String>,
    pub ctx: Option<AwsContext>,
    pub client: Option<PrefectClient>,
    key: Option<SecretValue>,
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
            image: TextInput::new("prefecthq/prefect-aws:latest"),
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
            },
            network: NetworkForm {
                report: None,
                vpc: 0,
                cursor: 0,
                chosen: Vec::new(),
                pane: Pane::Subnets,
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
            problem: None,
            info: None,
            exit: None,
            tick: 0,
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
                WorkerField::Stack | WorkerField::Pool | WorkerField::Count | WorkerField::Image
            ),
            Step::Review => true,
            Step::Network | Step::Apply => false,
        }
    }

    fn fail(&mut self, problem: Problem) {
        self.busy = None;
        self.info = None;
        self.problem = Some(problem);
    }

    fn start(&mut self, what: &str, work: Work) -> Option<Work> {
        self.busy = Some(what.to_owned());
        self.problem = None;
        self.info = None;
        Some(work)
    }

    /// Text pasted into the focused field.
    pub fn on_paste(&mut self, text: &str) {
        if self.busy.is_some() {
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
    fn edited(&mut self) {
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

    /// Moves focus for Tab, Shift-Tab, ↑ and ↓; true when it did.
    fn move_focus(focus: &mut usize, count: usize, key: &KeyEvent) -> bool {
        match key.code {
            KeyCode::Tab | KeyCode::Down => *focus = (*focus + 1) % count,
            KeyCode::BackTab | KeyCode::Up => *focus = (*focus + count - 1) % count,
            _ => return false,
        }
        true
    }

    fn key_aws(&mut self, key: KeyEvent) -> Option<Work> {
        if Self::move_focus(&mut self.aws.focus, 2, &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            if self.aws.identity.is_some() {
                return self.enter(Step::Prefect);
            }
            let region = match check_region(&self.aws.region.value) {
                Ok(r) => r,
                Err(p) => {
                    self.aws.focus = 1;
                    self.fail(p);
                    return None;
                }
            };
            let settings = AwsSettings {
                profile: self.aws.chosen_profile(),
                region: Some(region),
                endpoint_url: self.endpoint_url.clone(),
            };
            return self.start("Checking the AWS credentials…", Work::Identity(settings));
        }
        let changed = if self.aws.focus == 0 {
            match key.code {
                KeyCode::Left => self.aws.profile.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.aws.profile.step(true),
                _ => false,
            }
        } else {
            self.aws.region.edit(&key)
        };
        if changed {
            self.edited();
        }
        None
    }

    fn key_prefect(&mut self, key: KeyEvent) -> Option<Work> {
        if let Some(list) = &self.prefect.workspaces {
            let n = list.len().max(1);
            match key.code {
                KeyCode::Down => {
                    self.prefect.workspace_cursor = (self.prefect.workspace_cursor + 1) % n
                }
                KeyCode::Up => {
                    self.prefect.workspace_cursor = (self.prefect.workspace_cursor + n - 1) % n
                }
                KeyCode::Enter => {
                    if let Some(ws) = list.get(self.prefect.workspace_cursor).cloned() {
                        self.prefect.url.set(&ws.api_url());
                        self.prefect.workspaces = None;
                        return self.check_prefect();
                    }
                }
                _ => {}
            }
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('r') {
            self.prefect.secret.revealed = !self.prefect.secret.revealed;
            return None;
        }
        let count = self.prefect.fields().len();
        if Self::move_focus(&mut self.prefect.focus, count, &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            if self.prefect.checked.is_some() && self.client.is_some() {
                return self.enter(Step::Network);
            }
            return self.check_prefect();
        }
        let changed = match self.prefect.focused() {
            PrefectField::Kind => match key.code {
                KeyCode::Left => self.prefect.kind.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.prefect.kind.step(true),
                _ => false,
            },
            PrefectField::Credential => match key.code {
                KeyCode::Left => self.prefect.credential.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.prefect.credential.step(true),
                _ => false,
            },
            PrefectField::Url => self.prefect.url.edit(&key),
            PrefectField::Secret => self.prefect.secret.edit(&key),
        };
        if changed {
            self.edited();
        }
        None
    }

    fn check_prefect(&mut self) -> Option<Work> {
        let kind = self.prefect.kind_value();
        let credential = self.prefect.credential_value();
        let key = match check_credential(credential, &self.prefect.secret.value) {
            Ok(k) => k,
            Err(p) => {
                self.prefect.focus = self.prefect.fields().len() - 1;
                self.fail(p);
                return None;
            }
        };
        if kind == PrefectKind::Cloud && self.prefect.url.value.trim().is_empty() {
            let key = key?;
            return self.start(
                "Listing the workspaces this key reaches…",
                Work::Workspaces(key),
            );
        }
        let api = match check_prefect_url(kind, &self.prefect.url.value) {
            Ok(api) => api,
            Err(p) => {
                self.prefect.focus = 1;
                self.fail(p);
                return None;
            }
        };
        let auth = match (credential, key.clone()) {
            (Credential::ApiKey, Some(k)) => PrefectAuth::ApiKey(k),
            (Credential::AuthString, Some(k)) => PrefectAuth::AuthString(k),
            _ => PrefectAuth::None,
        };
        self.key = key;
        self.start(
            &format!("Checking {}…", api.api_url()),
            Work::CheckPrefect {
                api_url: api.api_url(),
                auth,
            },
        )
    }

    fn key_network(&mut self, key: KeyEvent) -> Option<Work> {
        let Some(report) = &self.network.report else {
            if key.code == KeyCode::Char('r') {
                return self.enter(Step::Network);
            }
            return None;
        };
        let vpcs = report.vpcs.len();
        let subnets = self
            .network
            .current_vpc()
            .map(|v| v.subnets.len())
            .unwrap_or(0);
        match (self.network.pane, key.code) {
            (_, KeyCode::Char('r')) => {
                self.network.report = None;
                return self.enter(Step::Network);
            }
            (Pane::Vpcs, KeyCode::Down) if vpcs > 0 => {
                self.network.select_vpc((self.network.vpc + 1) % vpcs)
            }
            (Pane::Vpcs, KeyCode::Up) if vpcs > 0 => self
                .network
                .select_vpc((self.network.vpc + vpcs - 1) % vpcs),
            (Pane::Vpcs, KeyCode::Enter | KeyCode::Tab | KeyCode::Right) => {
                self.network.pane = Pane::Subnets
            }
            (Pane::Subnets, KeyCode::Tab | KeyCode::BackTab | KeyCode::Left) => {
                self.network.pane = Pane::Vpcs
            }
            (Pane::Subnets, KeyCode::Down) if subnets > 0 => {
                self.network.cursor = (self.network.cursor + 1) % subnets
            }
            (Pane::Subnets, KeyCode::Up) if subnets > 0 => {
                self.network.cursor = (self.network.cursor + subnets - 1) % subnets
            }
            (Pane::Subnets, KeyCode::Char(' ')) => self.toggle_subnet(),
            (Pane::Subnets, KeyCode::Enter) => {
                let vpc = self.network.current_vpc()?;
                match check_subnets(vpc, &self.network.chosen) {
                    Ok(_) => return self.enter(Step::Worker),
                    Err(p) => self.fail(p),
                }
            }
            _ => {}
        }
        None
    }

    fn toggle_subnet(&mut self) {
        let Some(subnet) = self
            .network
            .current_vpc()
            .and_then(|v| v.subnets.get(self.network.cursor))
            .cloned()
        else {
            return;
        };
        if let Some(i) = self.network.chosen.iter().position(|id| *id == subnet.id) {
            self.network.chosen.remove(i);
            self.problem = None;
            return;
        }
        if !subnet.egress.can_run_worker() {
            self.problem = Some(Problem::new(
                format!(
                    "{} is {}: a worker there could not pull its image or read its secret (why: below).",
                    subnet.id,
                    subnet.egress.as_str()
                ),
                "Choose a subnet marked public, nat or endpoints, or give this one a NAT gateway or the VPC endpoints first.",
            ));
            return;
        }
        self.network.chosen.push(subnet.id);
        self.problem = None;
    }

    fn key_worker(&mut self, key: KeyEvent) -> Option<Work> {
        if Self::move_focus(&mut self.worker.focus, WorkerField::ALL.len(), &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            return self.prepare();
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let changed = match self.worker.focused() {
            WorkerField::Stack => self.worker.stack.edit(&key),
            WorkerField::Pool if ctrl && key.code == KeyCode::Char('n') => {
                let names: Vec<String> = self
                    .worker
                    .pools
                    .iter()
                    .flatten()
                    .filter(|(_, t)| t == "ecs")
                    .map(|(n, _)| n.clone())
                    .collect();
                if names.is_empty() {
                    false
                } else {
                    let next = names
                        .iter()
                        .position(|n| *n == self.worker.pool.value)
                        .map(|i| (i + 1) % names.len())
                        .unwrap_or(0);
                    self.worker.pool.set(&names[next]);
                    true
                }
            }
            WorkerField::Pool => self.worker.pool.edit(&key),
            WorkerField::Cpu => {
                let moved = match key.code {
                    KeyCode::Left => self.worker.cpu.step(false),
                    KeyCode::Right | KeyCode::Char(' ') => self.worker.cpu.step(true),
                    _ => false,
                };
                if moved {
                    self.worker.refresh_memory();
                }
                moved
            }
            WorkerField::Memory => match key.code {
                KeyCode::Left => self.worker.memory.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.worker.memory.step(true),
                _ => false,
            },
            WorkerField::Count => self.worker.count.edit(&key),
            WorkerField::Image => self.worker.image.edit(&key),
        };
        if changed {
            self.edited();
        }
        None
    }

    /// The answers so far as a profile and spec.
    pub fn answers(&self) -> Answers {
        Answers {
            aws_profile: self.aws.chosen_profile(),
            region: self.aws.region.value.trim().to_owned(),
            prefect_url: self.prefect.url.value.trim().to_owned(),
            credential: self.prefect.credential_value(),
            vpc_id: self
                .network
                .current_vpc()
                .map(|v| v.id.clone())
                .unwrap_or_default(),
            subnet_ids: self.network.chosen.clone(),
            worker: self.worker.answers(),
            customizations: self.review.customizations.clone(),
        }
    }

    fn prepare(&mut self) -> Option<Work> {
        let (profile, spec) = match checks::build_profile(&self.answers()) {
            Ok(built) => built,
            Err(p) => {
                self.fail(p);
                return None;
            }
        };
        let Some(aws) = self.ctx.clone() else {
            self.fail(Problem::new(
                "The AWS credentials are not checked yet.",
                "Go back to the first step (Esc) and press Enter there.",
            ));
            return None;
        };
        if self.review.profile_name.value.is_empty() {
            self.review.profile_name.set(&profile.stack);
        }
        self.built = Some((profile, spec.clone()));
        self.start(
            "Reading what exists and planning…",
            Work::Prepare {
                aws,
                spec: Box::new(spec),
                key: self.key.clone(),
            },
        )
    }

    fn key_review(&mut self, key: KeyEvent) -> Option<Work> {
        match key.code {
            KeyCode::Enter => return self.start_apply(),
            KeyCode::Char('t') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.review.show_documents = !self.review.show_documents;
                self.review.scroll = 0;
            }
            KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                let text = checks::customizations_to_toml(&self.review.customizations);
                return self.start("Editing the customizations…", Work::Edit(text));
            }
            KeyCode::Up => self.review.scroll = self.review.scroll.saturating_sub(1),
            KeyCode::Down => self.review.scroll = self.review.scroll.saturating_add(1),
            KeyCode::PageUp => self.review.scroll = self.review.scroll.saturating_sub(10),
            KeyCode::PageDown => self.review.scroll = self.review.scroll.saturating_add(10),
            _ => {
                if self.review.profile_name.edit(&key) {
                    self.edited();
                }
            }
        }
        None
    }

    fn start_apply(&mut self) -> Option<Work> {
        let name = self.profile_name();
        if let Err(e) = crate::profile::check_profile_name(&name) {
            self.fail(Problem::new(
                e.to_string(),
                "Use letters, digits, '-' and '_'.",
            ));
            return None;
        }
        if self.saved_profiles.contains(&name) && !self.review.overwrite_ok {
            self.review.overwrite_ok = true;
            self.fail(Problem::new(
                format!("A profile named {name} is saved already."),
                "Press Enter again to replace it, or type another name.",
            ));
            return None;
        }
        let (Some(prepared), Some((profile, spec)), Some(aws)) =
            (self.prepared.clone(), self.built.clone(), self.ctx.clone())
        else {
            self.fail(Problem::new(
                "There is no plan yet.",
                "Go back to the Worker step (Esc) and press Enter to plan.",
            ));
            return None;
        };
        self.step = Step::Apply;
        self.apply = ApplyView::default();
        self.start(
            "Deploying…",
            Work::Apply {
                save: Some((name, Box::new(profile))),
                prepared: Some(prepared),
                aws,
                spec: Box::new(spec),
                key: self.key.clone(),
            },
        )
    }

    fn key_apply(&mut self, key: KeyEvent) -> Option<Work> {
        match (&self.apply.phase, key.code) {
            (ApplyPhase::Failed { .. }, KeyCode::Char('r')) => {
                let (Some((_, spec)), Some(aws)) = (self.built.clone(), self.ctx.clone()) else {
                    return None;
                };
                self.apply = ApplyView::default();
                self.start(
                    "Deploying again: reading what exists…",
                    Work::Apply {
                        save: None,
                        prepared: None,
                        aws,
                        spec: Box::new(spec),
                        key: self.key.clone(),
                    },
                )
            }
            (ApplyPhase::Failed { existing, .. }, KeyCode::Char('q')) => {
                self.exit = Some(Exit::LeftAfterFailure(existing.clone()));
                None
            }
            (ApplyPhase::Online(_), KeyCode::Enter) => {
                self.exit = Some(Exit::Monitor);
                None
            }
            _ => None,
        }
    }

    /// Moves to a step, starting the reads it needs.
    fn enter(&mut self, step: Step) -> Option<Work> {
        self.step = step;
        self.problem = None;
        self.info = None;
        match step {
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
                let client = self.client.clone()?;
                self.start("Reading the work pools…", Work::Pools(client))
            }
            _ => None,
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
            Msg::Applied(Ok((prepared, since))) => {
                self.apply.phase = ApplyPhase::Waiting;
                self.busy = Some("Waiting for the worker to come online…".into());
                let spec = self.built.as_ref().map(|(_, s)| s.clone())?;
                self.prepared = Some(prepared.clone());
                self.saved_profiles.push(self.profile_name());
                return Some(Work::Gate {
                    prepared,
                    spec: Box::new(spec),
                    since,
                });
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
            _ => {}
        }
        self.busy = None;
        match msg {
            Msg::Identity(Ok((ctx, identity))) => {
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
                let first = checks::initial_vpc(&report);
                self.network.report = Some(report);
                self.network.select_vpc(first);
                self.network.pane = Pane::Subnets;
            }
            Msg::Pools(Ok(pools)) => self.worker.pools = Some(pools),
            // A workspace without pools to list is no reason to stop.
            Msg::Pools(Err(p)) => {
                self.worker.pools = Some(Vec::new());
                self.info = Some(format!("Could not list the work pools: {}", p.message));
            }
            Msg::Prepared(Ok((prepared, documents))) => {
                let stack = self
                    .built
                    .as_ref()
                    .map(|(_, s)| s.names.stack.clone())
                    .unwrap_or_default();
                self.review.plan_text = crate::commands::plan::render_plan(
                    &prepared.plan,
                    &stack,
                    &prepared.identity.account,
                    &self.aws.region.value,
                );
                if let Some(note) = &prepared.observed.work_pool_note {
                    self.review.plan_text.push_str(&format!(
                        "Note: the work pool cannot be checked from here ({note}).\n"
                    ));
                }
                self.review.documents = documents;
                self.review.scroll = 0;
                self.prepared = Some(prepared);
                self.step = Step::Review;
            }
            Msg::Edited(Ok(list)) => {
                self.review.customizations = list;
                return self.prepare();
            }
            Msg::Identity(Err(p))
            | Msg::Workspaces(Err(p))
            | Msg::Prefect(Err(p))
            | Msg::Discovered(Err(p))
            | Msg::Prepared(Err(p))
            | Msg::Edited(Err(p)) => self.fail(p),
            Msg::Progress(_) | Msg::Applied(_) | Msg::Online(_) => {}
        }
        None
    }

    /// The keys that work on this screen, for the footer.
    pub fn footer(&self) -> Vec<(&'static str, &'static str)> {
        let help = if self.typing() { "F1" } else { "?" };
        let mut keys = match self.step {
            Step::Aws => vec![
                ("Tab", "next field"),
                ("←/→", "change"),
                ("Enter", "check / continue"),
            ],
            Step::Prefect if self.prefect.workspaces.is_some() => {
                vec![
                    ("↑/↓", "choose"),
                    ("Enter", "use workspace"),
                    ("Esc", "back"),
                ]
            }
            Step::Prefect => vec![
                ("Tab", "next field"),
                ("←/→", "change"),
                ("Ctrl-R", "show/hide key"),
                ("Enter", "check / continue"),
                ("Esc", "back"),
            ],
            Step::Network => vec![
                ("Tab", "VPCs/subnets"),
                ("↑/↓", "move"),
                ("Space", "choose subnet"),
                ("Enter", "continue"),
                ("r", "rediscover"),
                ("Esc", "back"),
            ],
            Step::Worker => vec![
                ("Tab", "next field"),
                ("←/→", "change size"),
                ("Ctrl-N", "next pool"),
                ("Enter", "plan"),
                ("Esc", "back"),
            ],
            Step::Review => vec![
                ("Enter", "save & deploy"),
                ("Ctrl-T", "plan/documents"),
                ("Ctrl-E", "customize"),
                ("↑/↓", "scroll"),
                ("Esc", "back"),
            ],
            Step::Apply => match &self.apply.phase {
                ApplyPhase::Failed { .. } => {
                    vec![
                        ("r", "retry (resume)"),
                        ("q", "leave as it is"),
                        ("Esc", "back"),
                    ]
                }
                ApplyPhase::Online(_) => vec![("Enter", "open the monitor")],
                _ => vec![],
            },
        };
        keys.push((help, "help"));
        keys.push(("Ctrl-C", "quit"));
        keys
    }
}

/// What `?` shows on each step.
pub fn help_text(step: Step) -> &'static [&'static str] {
    match step {
        Step::Aws => &[
            "Which AWS account and region the worker goes to.",
            "",
            "AWS profile: a profile from ~/.aws/config and ~/.aws/credentials, or the default",
            "chain (environment variables, AWS_PROFILE, SSO, instance metadata).",
            "Region: where the cluster, the worker and its logs live.",
            "",
            "Enter checks the credentials (STS GetCallerIdentity) and shows who they are;",
            "Enter again continues. Nothing is created before the Deploy step.",
        ],
        Step::Prefect => &[
            "Where the worker connects, and the credential it uses.",
            "",
            "Prefect Cloud: paste the workspace URL from your browser",
            "(https://app.prefect.cloud/account/.../workspace/...), or leave it empty to",
            "pick from the workspaces your API key reaches.",
            "Self-hosted: your server's API URL, and its API key or basic-auth string.",
            "",
            "The key is masked (Ctrl-R shows it) and is checked against the API at once.",
            "It is stored only in AWS Secrets Manager; never in the profile or on disk.",
        ],
        Step::Network => &[
            "Where the worker runs. Each subnet has a verdict:",
            "  public     route to an internet gateway; tasks get a public IP",
            "  nat        default route through a NAT gateway",
            "  endpoints  VPC endpoints for ECR, Logs and Secrets Manager (no internet)",
            "  isolated   nothing: the task could not pull its image or read its secret",
            "",
            "The recommended subnets are chosen already. Space adds or removes one;",
            "an isolated subnet is refused with the reason.",
            "A worker behind endpoints only reaches a Prefect API inside the VPC.",
        ],
        Step::Worker => &[
            "The stack's name names and tags every resource (prefect-tui-<stack>-...).",
            "Work pool: an existing ECS pool (Ctrl-N cycles through them) or a new name;",
            "its defaults (network, roles, secret, logs) are filled so flow runs match.",
            "Size: cpu and memory, only valid Fargate pairs (1024 cpu = 1 vCPU).",
            "Workers: how many worker tasks run (one is enough for most pools).",
            "Enter reads what exists and shows the plan. Nothing is written yet.",
        ],
        Step::Review => &[
            "The plan: what will be created or changed, read from the account just now.",
            "Ctrl-T shows the task definition and service request as they will be sent.",
            "Ctrl-E opens $EDITOR on the customizations (RFC 6902 JSON Patch); they are",
            "checked when you save and the plan is made again.",
            "Type the profile name to save under; `prefect-tui deploy --profile NAME`",
            "repeats this deploy later with no questions.",
            "Enter saves the profile and deploys.",
        ],
        Step::Apply => &[
            "Each resource shows its state and how long it took.",
            "After AWS accepts everything, the deploy waits until the worker is online",
            "in Prefect, heartbeating.",
            "On a failure: r runs the deploy again and resumes where it stopped;",
            "q leaves everything as it is and lists what exists.",
            "Ctrl-C asks before leaving a deploy in progress.",
        ],
    }
}
