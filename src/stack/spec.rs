//! `StackSpec`: a profile checked and turned into what the stack should be. Every check
//! explains itself and names the profile field at fault, so the loader can point at the
//! line and column.

use json_patch::PatchOperation;

use super::fargate;
use super::names::StackNames;
use super::prefect_url::PrefectApi;
use super::regions;
use crate::profile::{Credential, NetworkSection, NetworkShape, PatchTarget, Profile, PublicIp};

/// CloudWatch Logs accepts only these retention periods.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
const MAX_STACK_NAME: usize = 32;
const MAX_DESIRED_COUNT: u32 = 100;

/// One thing wrong with a profile: the field (`worker.memory`, `customizations[1]`) and
/// what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterChoice {
    /// Created and deleted with the stack.
    Owned(String),
    /// Brought by the user: used, never deleted.
    Existing(String),
}

impl ClusterChoice {
    pub fn name(&self) -> &str {
        match self {
            ClusterChoice::Owned(n) | ClusterChoice::Existing(n) => n,
        }
    }
}

/// A network the stack makes and destroys: its shape, and the range asked for (chosen
/// clear of the account's VPCs when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNetwork {
    pub shape: NetworkShape,
    pub cidr: Option<crate::network::Cidr>,
}

/// A validated customization, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchStep {
    pub target: PatchTarget,
    pub operation: PatchOperation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StackSpec {
    pub names: StackNames,
    pub region: String,
    pub aws_profile: Option<String>,
    pub prefect: PrefectApi,
    pub work_pool: String,
    pub credential: Credential,
    /// The Secrets Manager secret's name; `None` when the credential is `none`.
    pub secret_name: Option<String>,
    /// The VPC and subnets the worker runs in. For a network the stack makes, both are
    /// empty until it exists: `with_network` fills them from what was read or made.
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    /// Set when the stack makes its own network (`create` under [network]).
    pub owned_network: Option<OwnedNetwork>,
    pub public_ip: PublicIp,
    /// TCP ports the security group lets out besides 443 and the Prefect server's.
    pub egress_ports: Vec<u16>,
    pub cluster: ClusterChoice,
    pub image: String,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: u32,
    pub log_retention_days: u32,
    /// Notifications, alarms, scaling and where flow runs run.
    pub monitoring: super::alerting::Monitoring,
    pub customizations: Vec<PatchStep>,
}

impl StackSpec {
    /// Checks every field and collects every problem, not just the first.
    pub fn from_profile(profile: &Profile) -> Result<Self, Vec<SpecProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(SpecProblem {
                field: field.to_owned(),
                message,
            })
        };

        if let Err(m) = check_stack_name(&profile.stack) {
            problem("stack", m);
        }
        let names = StackNames::new(&profile.stack);

        if !regions::is_known(&profile.aws.region) {
            let suggestion = regions::suggest(&profile.aws.region)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            problem(
                "aws.region",
                format!("'{}' is not an AWS region{suggestion}", profile.aws.region),
            );
        }

        let prefect = match PrefectApi::parse(&profile.prefect.api_url) {
            Ok(api) => Some(api),
            Err(m) => {
                problem("prefect.api_url", m);
                None
            }
        };
        if let Err(m) = check_work_pool(&profile.prefect.work_pool) {
            problem("prefect.work_pool", m);
        }
        let secret_name = match profile.prefect.credential {
            Credential::None => None,
            _ => Some(
                profile
                    .prefect
                    .api_key_secret
                    .clone()
                    .unwrap_or_else(|| names.default_secret()),
            ),
        };
        if let Some(name) = &secret_name
            && let Err(m) = check_secret_name(name)
        {
            problem("prefect.api_key_secret", m);
        }
        if profile.prefect.credential == Credential::None
            && prefect.as_ref().is_some_and(PrefectApi::is_cloud)
        {
            problem(
                "prefect.credential",
                "Prefect Cloud needs an API key; use credential = \"api-key\"".to_owned(),
            );
        }

        let net = &profile.network;
        let owned_network = match net.create {
            Some(shape) => check_owned_network(net, shape, prefect.as_ref(), &mut problem),
            None => {
                check_existing_network(net, &mut problem);
                None
            }
        };
        let cluster = match &net.cluster {
            Some(name) => {
                if let Err(m) = check_cluster_name(name) {
                    problem("network.cluster", m);
                }
                ClusterChoice::Existing(name.clone())
            }
            None => ClusterChoice::Owned(names.cluster()),
        };

        let w = &profile.worker;
        if w.image.trim().is_empty() || w.image.chars().any(char::is_whitespace) {
            problem(
                "worker.image",
                format!("'{}' is not a container image reference", w.image),
            );
        }
        if let Err(m) = fargate::check_size(w.cpu, w.memory) {
            let field = if fargate::CPU_VALUES.contains(&w.cpu) {
                "worker.memory"
            } else {
                "worker.cpu"
            };
            problem(field, m);
        }
        if w.desired_count > MAX_DESIRED_COUNT {
            problem(
                "worker.desired_count",
                format!(
                    "{} workers is more than this tool will run ({MAX_DESIRED_COUNT} at most); \
                     one worker starts many flow runs",
                    w.desired_count
                ),
            );
        }
        if !LOG_RETENTION_DAYS.contains(&w.log_retention_days) {
            let valid: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
            problem(
                "worker.log_retention_days",
                format!(
                    "CloudWatch Logs does not keep logs for {} days; use one of {}",
                    w.log_retention_days,
                    valid.join(", ")
                ),
            );
        }

        if let Some(owned) = &owned_network
            && owned.shape == NetworkShape::Endpoints
            && !is_regional_ecr(&w.image, &profile.aws.region)
        {
            problem(
                "worker.image",
                endpoints_image_problem(&w.image, &profile.aws.region),
            );
        }

        if net.egress_ports.contains(&0) {
            problem(
                "network.egress_ports",
                "port 0 is not a port a flow can connect to; list TCP ports from 1 to 65535"
                    .to_owned(),
            );
        }

        let monitoring = super::alerting_check::check(profile, &mut problem);

        let mut customizations = Vec::new();
        for (i, c) in profile.customizations.iter().enumerate() {
            match super::customize::parse_operation(c) {
                Ok(operation) => customizations.push(PatchStep {
                    target: c.target,
                    operation,
                }),
                Err(m) => problem(&format!("customizations[{i}]"), m),
            }
        }

        match prefect {
            Some(prefect) if problems.is_empty() => Ok(StackSpec {
                names,
                region: profile.aws.region.clone(),
                aws_profile: profile.aws.profile.clone(),
                prefect,
                work_pool: profile.prefect.work_pool.clone(),
                credential: profile.prefect.credential,
                secret_name,
                vpc_id: net.vpc_id.clone(),
                subnet_ids: net.subnet_ids.clone(),
                owned_network,
                public_ip: net.public_ip,
                egress_ports: net.egress_ports.clone(),
                cluster,
                image: w.image.clone(),
                cpu: w.cpu,
                memory: w.memory,
                desired_count: w.desired_count,
                log_retention_days: w.log_retention_days,
                monitoring,
                customizations,
            }),
            _ => Err(problems),
        }
    }
}

impl StackSpec {
    /// The same spec, running in the VPC and subnets the stack's own network has.
    pub fn with_network(&self, vpc_id: &str, subnet_ids: Vec<String>) -> StackSpec {
        StackSpec {
            vpc_id: vpc_id.to_owned(),
            subnet_ids,
            ..self.clone()
        }
    }
}

fn check_existing_network(net: &NetworkSection, problem: &mut impl FnMut(&str, String)) {
    if net.cidr.is_some() {
        problem(
            "network.cidr",
            "`cidr` is for a network the stack makes; add create = \"public\", \"nat\" or \
             \"endpoints\", or remove it"
                .to_owned(),
        );
    }
    if !is_aws_id(&net.vpc_id, "vpc") {
        let message = if net.vpc_id.is_empty() {
            "no VPC: set vpc_id (`prefect-tui discover` lists them), or create = \"public\", \
             \"nat\" or \"endpoints\" to make one for the stack"
                .to_owned()
        } else {
            format!(
                "'{}' is not a VPC id (they look like vpc-0abc1234def567890)",
                net.vpc_id
            )
        };
        problem("network.vpc_id", message);
    }
    if net.subnet_ids.is_empty() {
        problem(
            "network.subnet_ids",
            "no subnets: list at least one (two in different zones is better); \
             `prefect-tui discover` recommends some"
                .to_owned(),
        );
    }
    for (i, id) in net.subnet_ids.iter().enumerate() {
        if !is_aws_id(id, "subnet") {
            problem(
                &format!("network.subnet_ids[{i}]"),
                format!("'{id}' is not a subnet id (they look like subnet-0abc1234def567890)"),
            );
        } else if net.subnet_ids[..i].contains(id) {
            problem(
                &format!("network.subnet_ids[{i}]"),
                format!("{id} is listed twice"),
            );
        }
    }
}

fn check_owned_network(
    net: &NetworkSection,
    shape: NetworkShape,
    prefect: Option<&PrefectApi>,
    problem: &mut impl FnMut(&str, String),
) -> Option<OwnedNetwork> {
    if !net.vpc_id.is_empty() || !net.subnet_ids.is_empty() {
        problem(
            "network.create",
            "`create` makes a network for the stack, so vpc_id and subnet_ids must not be set; \
             keep one or the other"
                .to_owned(),
        );
    }
    if shape == NetworkShape::Endpoints && prefect.is_some_and(PrefectApi::is_cloud) {
        problem(
            "network.create",
            "a network with VPC endpoints has no internet, and Prefect Cloud is on the internet; \
             use create = \"nat\" (or \"public\") for Prefect Cloud"
                .to_owned(),
        );
    }
    if shape == NetworkShape::Public && net.public_ip == PublicIp::Disabled {
        problem(
            "network.public_ip",
            "workers in a public network reach the internet only with a public IP; remove \
             public_ip = \"disabled\" or use create = \"nat\""
                .to_owned(),
        );
    }
    let cidr = match net
        .cidr
        .as_deref()
        .map(crate::network::Cidr::parse_for_network)
    {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(m)) => {
            problem("network.cidr", m);
            None
        }
    };
    Some(OwnedNetwork { shape, cidr })
}

/// Stack names end up in IAM role names (64 characters at most), log group names and
/// Secrets Manager names; this keeps every derived name valid everywhere.
pub fn check_stack_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok_ends = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && !name.ends_with('-');
    if name.is_empty() || name.len() > MAX_STACK_NAME || !ok_chars || !ok_ends {
        return Err(format!(
            "'{name}' cannot name a stack: use 1 to {MAX_STACK_NAME} lowercase letters, digits \
             and hyphens, starting with a letter or digit (for example \"prod\" or \"data-eng\")"
        ));
    }
    Ok(())
}

/// The longest pool name whose flow-run family `prefect_<pool>_<deployment id>` (a 36-character
/// UUID) still fits ECS's 255-character family.
pub const MAX_WORK_POOL_NAME: usize = 255 - "prefect__".len() - 36;

/// prefect-aws names each flow run's task-definition family `prefect_<pool>_<deployment id>`
/// from the raw pool name (0.7.12 slugifies it but keeps the unslugified name), and ECS allows
/// only letters, digits, `_` and `-` in a family: any other character makes every flow run
/// fail at RegisterTaskDefinition. The same name goes into the worker policy's ARNs, where a
/// `*` or `?` would widen what it may register and run.
pub fn check_work_pool(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the work pool needs a name (for example \"ecs-prod\")".to_owned());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "'{name}' cannot name the work pool: its flow runs' ECS task-definition family \
             (prefect_<pool>_<deployment>) allows only letters, digits, '-' and '_', and '{bad}' \
             is none of them (for example \"{}\")",
            name.chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                })
                .collect::<String>()
        ));
    }
    if name.len() > MAX_WORK_POOL_NAME {
        return Err(format!(
            "the work pool name is {} characters: its flow runs' task-definition family \
             (prefect_<pool>_<deployment>) must fit ECS's 255, so use {MAX_WORK_POOL_NAME} at most",
            name.len()
        ));
    }
    Ok(())
}

fn check_secret_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if !ok {
        return Err(format!(
            "'{name}' cannot name a Secrets Manager secret: use letters, digits and /_+=.@- \
             (512 characters at most)"
        ));
    }
    Ok(())
}

fn check_cluster_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(format!(
            "'{name}' cannot name an ECS cluster: use letters, digits, hyphens and underscores"
        ));
    }
    Ok(())
}

/// Whether an image comes from ECR in `region`: the only registry a subnet without a route
/// out reaches (through its endpoints).
pub fn is_regional_ecr(image: &str, region: &str) -> bool {
    let host = image.split('/').next().unwrap_or_default();
    let Some((account, rest)) = host.split_once(".dkr.ecr.") else {
        return false;
    };
    account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && image.contains('/')
        && (rest == format!("{region}.amazonaws.com")
            || rest == format!("{region}.amazonaws.com.cn"))
}

/// Why an image from elsewhere cannot run without internet, and how to bring it into ECR.
pub fn endpoints_image_problem(image: &str, region: &str) -> String {
    format!(
        "'{image}' cannot be pulled without internet: VPC endpoints reach only ECR in {region}. \
         Copy the image there (`docker pull {image}`, `docker tag` it as \
         <account>.dkr.ecr.{region}.amazonaws.com/prefect-aws:<tag>, `docker push`), or add an \
         ECR pull-through cache rule, and set worker.image to it"
    )
}

/// `vpc-0abc...`: the prefix, a hyphen, then hexadecimal digits.
pub fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
}
