//! One form per wizard step: the values the user typed or chose, and what was checked
//! from them. Plain data with small helpers; the transitions are in `app` and `steps`.

use super::checks::{PrefectKind, Problem, WorkerAnswers};
use super::widgets::{Choice, TextInput};
use crate::aws::Identity;
use crate::network::{DiscoveryReport, VpcReport};
use crate::prefect::cloud::Workspace;
use crate::profile::{Credential, Customization};
use crate::stack::fargate::valid_pairs;
use crate::tui::board::Board;

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
    pub(super) fn chosen_profile(&self) -> Option<String> {
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
    /// The self-hosted URL that did not answer from this machine; Enter again goes on
    /// without the check (the server may be reachable only from inside the VPC).
    pub unreachable: Option<String>,
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
    /// The stack makes this network instead of using the VPCs above (`n` cycles it).
    pub create: Option<crate::profile::NetworkShape>,
}

impl NetworkForm {
    pub fn current_vpc(&self) -> Option<&VpcReport> {
        self.report.as_ref().and_then(|r| r.vpcs.get(self.vpc))
    }

    pub(super) fn select_vpc(&mut self, index: usize) {
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
    /// Who the alarms e-mail (empty: no alarms).
    Emails,
    /// The most workers scaling may run (empty: no scaling).
    ScaleMax,
    /// Flow runs on Fargate Spot.
    Spot,
}

impl WorkerField {
    pub const ALL: [WorkerField; 9] = [
        WorkerField::Stack,
        WorkerField::Pool,
        WorkerField::Cpu,
        WorkerField::Memory,
        WorkerField::Count,
        WorkerField::Image,
        WorkerField::Emails,
        WorkerField::ScaleMax,
        WorkerField::Spot,
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
    pub emails: TextInput,
    pub scale_max: TextInput,
    pub spot: bool,
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
    pub(super) fn refresh_memory(&mut self) {
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
            emails: self.emails.value.clone(),
            scale_max: self.scale_max.value.clone(),
            spot: self.spot,
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
    /// AWS accepted everything, but the Prefect API cannot be reached from here, so the
    /// work pool was not checked and the workers cannot be waited for (why, in words).
    Unchecked(String),
    Failed {
        problem: Problem,
        existing: String,
    },
}

#[derive(Debug, Clone)]
pub struct ApplyView {
    pub board: Board,
    pub phase: ApplyPhase,
    /// The online gate's latest word (workers online so far, tasks running, time waited).
    pub gate_note: Option<String>,
    /// The verify flow run, once started: its progress lines and how it ended.
    pub verify: Option<VerifyView>,
}

#[derive(Debug, Clone, Default)]
pub struct VerifyView {
    pub lines: Vec<String>,
    /// `None` while it runs.
    pub result: Option<Result<String, Problem>>,
}

impl Default for ApplyView {
    fn default() -> Self {
        Self {
            board: Board::default(),
            phase: ApplyPhase::Applying,
            gate_note: None,
            verify: None,
        }
    }
}

impl ApplyView {
    pub fn running(&self) -> bool {
        matches!(self.phase, ApplyPhase::Applying | ApplyPhase::Waiting)
    }
}
