//! The profile file format. Unknown keys are refused so a typo never silently falls back
//! to a default.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Names and tags every resource.
    pub stack: String,
    pub aws: AwsSection,
    pub prefect: PrefectSection,
    pub network: NetworkSection,
    #[serde(default)]
    pub worker: WorkerSection,
    /// An SNS topic of the stack, and who it e-mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationsSection>,
    /// CloudWatch alarms into the topic; needs [notifications].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<AlarmsSection>,
    /// Application Auto Scaling of the worker service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<ScalingSection>,
    /// Where the pool's flow runs run.
    #[serde(default, skip_serializing_if = "FlowRunsSection::is_default")]
    pub flow_runs: FlowRunsSection,
    /// RFC 6902 operations applied to the rendered documents before they are sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customizations: Vec<Customization>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    /// A profile in the shared AWS config files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefectSection {
    /// A Prefect Cloud workspace URL (browser or API form) or a self-hosted API URL.
    pub api_url: String,
    pub work_pool: String,
    /// Name of the Secrets Manager secret holding the credential (default
    /// `prefect-tui/<stack>/api-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
    /// What the secret holds: a Prefect API key (Cloud, or a self-hosted server with keys),
    /// a basic-auth string for a self-hosted server, or nothing at all.
    #[serde(default, skip_serializing_if = "Credential::is_default")]
    pub credential: Credential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    /// Sent to the worker as `PREFECT_API_KEY`.
    #[default]
    ApiKey,
    /// Sent to the worker as `PREFECT_API_AUTH_STRING` (`user:password`).
    AuthString,
    /// A self-hosted server without authentication: no secret is created.
    None,
}

impl Credential {
    fn is_default(&self) -> bool {
        *self == Credential::ApiKey
    }

    /// The environment variable the worker reads the credential from.
    pub fn env_name(self) -> Option<&'static str> {
        match self {
            Credential::ApiKey => Some("PREFECT_API_KEY"),
            Credential::AuthString => Some("PREFECT_API_AUTH_STRING"),
            Credential::None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// An existing VPC; empty when `create` makes one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vpc_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnet_ids: Vec<String>,
    /// Make a network for the stack (destroyed with it) instead of using `vpc_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<NetworkShape>,
    /// The made network's IPv4 range (a /16 to /24); chosen clear of the account's VPCs
    /// when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default)]
    pub public_ip: PublicIp,
    /// An existing cluster to use instead of creating one; it is never deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// TCP ports the worker's security group lets out besides 443 and the Prefect
    /// server's: flow runs share the group (a database's 5432, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress_ports: Vec<u16>,
}

/// A network the stack makes for itself, in two availability zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkShape {
    /// Public subnets and an internet gateway; the workers get public IPs. No NAT.
    Public,
    /// Public subnets holding one NAT gateway, and private subnets for the workers.
    Nat,
    /// Private subnets with VPC endpoints and no internet: only a Prefect server inside AWS.
    Endpoints,
}

/// Whether the worker's tasks get a public IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicIp {
    /// Decided by the subnets' egress verdict: public subnets need one, others do not.
    #[default]
    Auto,
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSection {
    #[serde(default = "default_image")]
    pub image: String,
    /// Fargate cpu units (1024 = 1 vCPU).
    #[serde(default = "default_cpu")]
    pub cpu: u32,
    /// MiB; must be a valid Fargate pair with `cpu`.
    #[serde(default = "default_memory")]
    pub memory: u32,
    #[serde(default = "default_desired_count")]
    pub desired_count: u32,
    #[serde(default = "default_log_retention_days")]
    pub log_retention_days: u32,
}

fn default_image() -> String {
    crate::stack::image::default_image()
}
fn default_cpu() -> u32 {
    512
}
fn default_memory() -> u32 {
    1024
}
fn default_desired_count() -> u32 {
    1
}
fn default_log_retention_days() -> u32 {
    30
}

impl Default for WorkerSection {
    fn default() -> Self {
        Self {
            image: default_image(),
            cpu: default_cpu(),
            memory: default_memory(),
            desired_count: default_desired_count(),
            log_retention_days: default_log_retention_days(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsSection {
    /// Each gets an e-mail from AWS asking to confirm; until they click it, nothing reaches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsSection {
    /// How long fewer workers than desired run, or none is online, before a person is told.
    #[serde(default = "default_alarm_minutes")]
    pub minutes: u32,
}

fn default_alarm_minutes() -> u32 {
    5
}

impl Default for AlarmsSection {
    fn default() -> Self {
        Self {
            minutes: default_alarm_minutes(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingSection {
    pub min: u32,
    pub max: u32,
    /// What the worker count follows.
    #[serde(default)]
    pub on: ScaleOn,
    /// Late and due flow runs per online worker that the backlog policy holds to.
    #[serde(default = "default_backlog_per_worker")]
    pub backlog_per_worker: u32,
    /// The average CPU the `cpu` policy holds to.
    #[serde(default = "default_cpu_percent")]
    pub cpu_percent: u32,
}

fn default_backlog_per_worker() -> u32 {
    10
}
fn default_cpu_percent() -> u32 {
    70
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleOn {
    /// The pool's late and due flow runs, published by the stack's metrics sidecar.
    #[default]
    Backlog,
    /// The workers' average CPU (a fallback: a worker's CPU says little about its queue).
    Cpu,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRunsSection {
    /// Flow runs on Fargate Spot: about 70% cheaper, and AWS may stop one with two
    /// minutes' notice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spot: bool,
}

impl FlowRunsSection {
    fn is_default(&self) -> bool {
        !self.spot
    }
}

/// One JSON Patch operation and the document it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customization {
    pub target: PatchTarget,
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: String,
    /// A JSON Pointer into the target document, e.g. `/containerDefinitions/0/cpu`.
    pub path: String,
    /// Source pointer, for `move` and `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value, for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchTarget {
    /// The RegisterTaskDefinition request.
    TaskDefinition,
    /// The CreateService request.
    Service,
}

impl PatchTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchTarget::TaskDefinition => "task_definition",
            PatchTarget::Service => "service",
        }
    }
}
