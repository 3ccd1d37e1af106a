//! The command line, as clap derive definitions. Parsing only: `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::AwsSettings;

#[derive(Debug, Parser)]
#[command(
    name = "prefect-tui",
    version,
    about = "Deploy a Prefect worker onto AWS ECS Fargate and watch it.",
    long_about = "Deploy a Prefect worker onto AWS ECS Fargate and watch it.\n\n\
                  AWS credentials come from the standard chain: environment variables, the shared \
                  config and credentials files (--aws-profile or AWS_PROFILE), SSO, web identity, \
                  ECS container credentials and EC2 instance metadata.\n\n\
                  Exit codes: 0 ok, 1 failure, 2 bad usage or bad input, 130 cancelled."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Without a command: the guided setup (`init`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Profile from the shared AWS config files (default: AWS_PROFILE, then `default`).
    #[arg(long, global = true, value_name = "NAME")]
    pub aws_profile: Option<String>,

    /// AWS region for `discover` and `init` (default: AWS_REGION, then the region of the
    /// AWS profile). A command with --profile works in that profile's region: AWS_REGION
    /// is not used there, and a different --region is refused.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint instead of AWS (emulators, proxies).
    /// AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Where profiles and logs live (default: the platform's config directory).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "PREFECT_TUI_CONFIG_DIR"
    )]
    pub config_dir: Option<PathBuf>,

    /// More detail on stderr: -v for progress, -vv for AWS SDK internals.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    pub fn aws_settings(&self) -> AwsSettings {
        AwsSettings {
            profile: self.aws_profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The guided setup: from an AWS account and a Prefect workspace to a worker online,
    /// step by step, saved as a profile. The default when no command is given.
    Init(InitArgs),
    /// Show the account's VPCs and subnets, and whether a worker in each subnet could reach
    /// ECR, Secrets Manager, CloudWatch Logs and the Prefect API.
    Discover(DiscoverArgs),
    /// The task definition and service request a profile would send, customizations
    /// applied and secrets redacted.
    Preview(PreviewArgs),
    /// What a deploy of this profile would create, update or replace.
    Plan(PlanArgs),
    /// Create or update the stack so it matches the profile.
    Deploy(DeployArgs),
    /// Remove everything the stack made (a cluster you brought is kept).
    Destroy(DestroyArgs),
    /// The workers' CloudWatch logs, every task merged in time order.
    Logs(LogsArgs),
    /// The service, its tasks, the pool's workers and the latest flow runs.
    Status(StatusArgs),
    /// A live view of a deployed stack: tasks, workers, service events and logs.
    Monitor(MonitorArgs),
    /// Proves the stack runs flows: one flow run of a small deployment of the stack, followed
    /// to Completed (exit 0), or the reason it did not, with what to do (exit 1).
    Verify(VerifyArgs),
    /// The stack as infrastructure code: a CloudFormation template, or a Terraform module
    /// with variables, outputs and a README; the API key only as a parameter.
    Export(ExportArgs),
    /// Put a new Prefect API key (or auth string) in the stack's secret: checked against
    /// Prefect first, then stored, then new tasks that read it, until their workers are online.
    RotateKey(RotateKeyArgs),
    /// Run another worker image tag: a new revision rolled out by ECS, rolled back by its
    /// circuit breaker if the new tasks fail; the profile keeps the tag once it serves.
    Upgrade(UpgradeArgs),
    /// Go back to the previous (or a named) task-definition revision, shown as a diff
    /// first; the profile is updated so the next deploy keeps it.
    Rollback(RollbackArgs),
    /// The stack's task-definition revisions, newest first: image, size, what changed, which
    /// is live.
    History(HistoryArgs),
    /// Saved profiles: list, show, delete, path.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Shell completions for bash, zsh or fish, on standard output (for example
    /// `prefect-tui completions bash > ~/.local/share/bash-completion/completions/prefect-tui`).
    Completions(CompletionsArgs),
    /// The manual page (roff), on standard output (`prefect-tui man | man -l -`).
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `yaml` or `json` (`--format` is the same flag, kept from earlier versions).
    #[arg(long = "output", alias = "format", value_enum, default_value_t = DocumentFormat::Yaml)]
    pub format: DocumentFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Plan to replace work pool defaults that someone set outside prefect-tui.
    #[arg(long)]
    pub overwrite_pool_defaults: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Apply without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Return once AWS accepted the changes, without waiting for the service to settle.
    #[arg(long)]
    pub no_wait: bool,

    /// Read the Prefect API key (or auth string) from standard input instead of the
    /// PREFECT_API_KEY (or PREFECT_API_AUTH_STRING) environment variable.
    #[arg(long)]
    pub api_key_stdin: bool,

    /// Replace work pool defaults that someone set outside prefect-tui.
    #[arg(long)]
    pub overwrite_pool_defaults: bool,

    /// How long to wait for the workers to come online in Prefect.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub gate_timeout: u64,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Read the new key from standard input (else PREFECT_API_KEY or
    /// PREFECT_API_AUTH_STRING, else a masked prompt).
    #[arg(long)]
    pub api_key_stdin: bool,

    /// Rotate without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// How long to wait for the new tasks and their workers.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,

    /// `table` for people, `json` for scripts (needs --yes).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The image tag to run (kept in the profile's image repository), or a whole image
    /// reference (default: the tag this release of prefect-tui pins).
    #[arg(long, value_name = "TAG")]
    pub to: Option<String>,

    /// Show what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Upgrade without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// How long to wait for the rollout and the new workers.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,

    /// `table` for people, `json` for scripts (needs --yes or --dry-run).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The revision number to go back to (see `history`; default: the one before the live one).
    #[arg(long, value_name = "REVISION")]
    pub to: Option<i32>,

    /// Show the diff of the two revisions, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Roll back without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// How long to wait for the rollout and the workers.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,

    /// `table` for people, `json` for scripts (needs --yes or --dry-run).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `cloudformation` (a template) or `terraform` (a module).
    #[arg(long, value_enum)]
    pub format: ExportFormat,

    /// The directory to write into: new, or empty (default: `<stack>-<format>` here).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Cloudformation,
    Terraform,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Destroy without asking for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Delete the API key secret at once instead of with a 7-day recovery window.
    #[arg(long)]
    pub force_delete_secret: bool,

    /// Also deregister and delete the task definitions the worker registered for the
    /// pool's flow runs (`prefect_<pool>_<deployment id>`). Without it destroy asks, and
    /// with --yes keeps them.
    #[arg(long)]
    pub deregister_flow_run_definitions: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Keep printing new lines as they arrive (until Ctrl-C).
    #[arg(short, long)]
    pub follow: bool,

    /// How far back to start: 30s, 10m, 2h, 1d.
    #[arg(long, value_name = "AGE", default_value = "10m")]
    pub since: String,

    /// `text` for people, `json` for scripts (one object per line).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub output: LogFormat,
}

/// Log lines the monitor keeps by default.
pub const DEFAULT_LOG_BUFFER: usize = 100_000;

#[derive(Debug, Clone, Default, Args)]
pub struct InitArgs {
    /// Line-by-line prompts instead of the full-screen wizard (small terminals, screen
    /// readers, recorded sessions).
    #[arg(long)]
    pub plain: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// How many log lines to keep in memory.
    #[arg(long, value_name = "LINES", default_value_t = DEFAULT_LOG_BUFFER)]
    pub buffer: usize,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A saved profile's name, or the path of a profile file (default: the only saved
    /// profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `table` for people (progress as it goes), `json` for scripts (one report at the end).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// How long to wait for the flow run to finish, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    Yaml,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// The saved profiles, with their stack, region and Prefect API.
    List,
    /// A saved profile's file.
    Show { name: String },
    /// Delete a saved profile (its AWS resources are left alone).
    Delete {
        name: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Where profiles are kept, or the file of one profile.
    Path { name: Option<String> },
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Only this VPC (for example vpc-0abc1234def567890).
    #[arg(long, value_name = "VPC_ID")]
    pub vpc: Option<String>,

    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}
