//! The wizard's answers checked and turned into a profile. Pure: the full-screen wizard and
//! the plain prompts (`init --plain`) call the same functions, so both refuse the same
//! things with the same words.

use crate::network::{DiscoveryReport, Egress, VpcReport};
use crate::profile::{
    AlarmsSection, AwsSection, Credential, Customization, FlowRunsSection, NetworkSection,
    NetworkShape, NotificationsSection, PrefectSection, Profile, PublicIp, ScaleOn, ScalingSection,
    WorkerSection,
};
use crate::secret::SecretValue;
use crate::stack::regions;
use crate::stack::{StackSpec, check_stack_name, fargate};

pub use super::url_check::{PrefectKind, check_prefect_url};

/// A refusal: what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
    /// The exit code the program ends with if the user leaves on this problem: the same
    /// as the command line's for the same failure.
    pub exit_code: u8,
}

impl Problem {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: Some(hint.into()),
            exit_code: 2,
        }
    }
}

impl From<crate::error::CommandError> for Problem {
    fn from(e: crate::error::CommandError) -> Self {
        let mut message = e.to_string();
        for line in e.details() {
            message.push('\n');
            message.push_str(line);
        }
        Self {
            message,
            hint: e.hint(),
            exit_code: e.exit_code(),
        }
    }
}

/// A region the SDK will accept, or the closest known one as a suggestion.
pub fn check_region(region: &str) -> Result<String, Problem> {
    let region = region.trim();
    if region.is_empty() {
        return Err(Problem::new(
            "No region given.",
            "Type the region the worker should run in, for example us-east-1.",
        ));
    }
    if regions::is_known(region) {
        return Ok(region.to_owned());
    }
    let hint = match regions::suggest(region) {
        Some(s) => format!("Did you mean {s}?"),
        None => "Use a region code such as us-east-1 or eu-west-1.".to_owned(),
    };
    Err(Problem::new(
        format!("{region} is not an AWS region."),
        hint,
    ))
}

/// The credential as pasted: trimmed, refused when it has spaces or line breaks inside.
pub fn check_credential(credential: Credential, raw: &str) -> Result<Option<SecretValue>, Problem> {
    let what = match credential {
        Credential::None => return Ok(None),
        Credential::ApiKey => "API key",
        Credential::AuthString => "auth string",
    };
    let value = SecretValue::parse(raw).map_err(|e| {
        Problem::new(
            e.replace("API key", what),
            format!("Copy the {what} again and paste it alone."),
        )
    })?;
    if credential == Credential::AuthString && !value.expose().contains(':') {
        return Err(Problem::new(
            "The auth string has no colon.",
            "A basic-auth string reads user:password, as set in the server's PREFECT_SERVER_API_AUTH_STRING.",
        ));
    }
    Ok(Some(value))
}

/// The subnets chosen in one VPC: each must be able to run a worker, and they must agree
/// on whether tasks need a public IP. Returns the public-IP choice.
pub fn check_subnets(vpc: &VpcReport, chosen: &[String]) -> Result<PublicIp, Problem> {
    if chosen.is_empty() {
        return Err(Problem::new(
            "No subnet chosen.",
            "Choose at least one subnet (two in different zones keep the worker up when a zone fails).",
        ));
    }
    let mut egress = Vec::new();
    for id in chosen {
        let Some(subnet) = vpc.subnets.iter().find(|s| &s.id == id) else {
            return Err(Problem::new(
                format!("{id} is not a subnet of {}.", vpc.id),
                "Choose from the subnets listed.",
            ));
        };
        if !subnet.egress.can_run_worker() {
            return Err(Problem::new(
                format!("{} cannot run a worker: {}", subnet.id, subnet.reason),
                "Choose a subnet marked public, nat or endpoints, or give this one a NAT gateway or the VPC endpoints (ecr.api, ecr.dkr, logs, secretsmanager, ecs, ec2, sqs, s3) first.",
            ));
        }
        egress.push((subnet.id.clone(), subnet.egress));
    }
    let public = egress.iter().filter(|(_, e)| *e == Egress::Public).count();
    if public > 0 && public < egress.len() {
        return Err(Problem::new(
            "Public and private subnets are mixed: a task in a public subnet needs a public IP, one behind NAT or endpoints must not have one.",
            "Choose only public subnets, or only subnets behind NAT or endpoints.",
        ));
    }
    Ok(PublicIp::Auto)
}

/// The VPC to show first: one whose recommended subnets reach the internet (so Prefect
/// Cloud too), the default VPC first among those; else one with any recommended subnet;
/// else the default one.
pub fn initial_vpc(report: &DiscoveryReport) -> usize {
    let reaches_internet = |v: &VpcReport| {
        v.subnets
            .iter()
            .any(|s| v.recommended_subnets.contains(&s.id) && s.egress.reaches_internet())
    };
    report
        .vpcs
        .iter()
        .position(|v| v.is_default && reaches_internet(v))
        .or_else(|| report.vpcs.iter().position(reaches_internet))
        .or_else(|| {
            report
                .vpcs
                .iter()
                .position(|v| !v.recommended_subnets.is_empty())
        })
        .or_else(|| report.vpcs.iter().position(|v| v.is_default))
        .unwrap_or(0)
}

/// The worker's settings as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerAnswers {
    pub stack: String,
    pub work_pool: String,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: String,
    pub image: String,
    /// Alert e-mail addresses, separated by commas or spaces; empty: no alarms.
    pub emails: String,
    /// The most workers scaling may run; empty: a fixed count.
    pub scale_max: String,
    pub spot: bool,
}

pub fn check_worker(w: &WorkerAnswers) -> Result<u32, Problem> {
    check_stack_name(w.stack.trim()).map_err(|e| {
        Problem::new(
            e,
            "Use letters, digits and hyphens, starting with a letter.",
        )
    })?;
    if w.work_pool.trim().is_empty() {
        return Err(Problem::new(
            "No work pool given.",
            "Type a name for a new pool, or use one of the existing ECS pools listed.",
        ));
    }
    crate::stack::check_work_pool(w.work_pool.trim()).map_err(|e| {
        Problem::new(
            e,
            "Use letters, digits, '-' and '_' only: an existing pool with another name cannot run flow runs on ECS.",
        )
    })?;
    fargate::check_size(w.cpu, w.memory)
        .map_err(|e| Problem::new(e, "Pick a size from the list."))?;
    let count: u32 = w.desired_count.trim().parse().map_err(|_| {
        Problem::new(
            format!("\"{}\" is not a number of workers.", w.desired_count.trim()),
            "Type a whole number from 1 to 10.",
        )
    })?;
    if !(1..=10).contains(&count) {
        return Err(Problem::new(
            format!("{count} workers is outside 1 to 10."),
            "One worker is enough for most pools; it starts many flow runs.",
        ));
    }
    if w.image.trim().is_empty() || w.image.trim().contains(char::is_whitespace) {
        return Err(Problem::new(
            "The image is empty or has spaces.",
            "Use an image reference such as prefecthq/prefect-aws:0.7.12-python3.12-prefect3.8.8.",
        ));
    }
    Ok(count)
}

/// Everything the wizard collected, as the profile it saves.
#[derive(Debug, Clone)]
pub struct Answers {
    pub aws_profile: Option<String>,
    pub region: String,
    pub prefect_url: String,
    pub credential: Credential,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    /// A network the stack makes instead of `vpc_id` and `subnet_ids`.
    pub create_network: Option<NetworkShape>,
    pub worker: WorkerAnswers,
    pub customizations: Vec<Customization>,
}

/// The profile and the validated spec built from it.
pub fn build_profile(a: &Answers) -> Result<(Profile, StackSpec), Problem> {
    let count = check_worker(&a.worker)?;
    let production = super::production::check_production(&a.worker, count)?;
    let profile = Profile {
        stack: a.worker.stack.trim().to_owned(),
        aws: AwsSection {
            profile: a.aws_profile.clone(),
            region: a.region.clone(),
        },
        prefect: PrefectSection {
            api_url: a.prefect_url.trim().to_owned(),
            work_pool: a.worker.work_pool.trim().to_owned(),
            api_key_secret: None,
            credential: a.credential,
        },
        network: NetworkSection {
            vpc_id: a.vpc_id.clone(),
            subnet_ids: a.subnet_ids.clone(),
            create: a.create_network,
            cidr: None,
            public_ip: PublicIp::Auto,
            cluster: None,
            egress_ports: Vec::new(),
        },
        worker: WorkerSection {
            image: a.worker.image.trim().to_owned(),
            cpu: a.worker.cpu,
            memory: a.worker.memory,
            desired_count: count,
            ..WorkerSection::default()
        },
        // E-mails turn on the alarms into them: a topic nobody is told by is no use.
        alarms: (!production.emails.is_empty()).then(AlarmsSection::default),
        notifications: (!production.emails.is_empty()).then(|| NotificationsSection {
            emails: production.emails.clone(),
        }),
        scaling: production.scale_max.map(|max| ScalingSection {
            min: count,
            max,
            on: ScaleOn::Backlog,
            backlog_per_worker: 10,
            cpu_percent: 70,
        }),
        flow_runs: FlowRunsSection {
            spot: a.worker.spot,
        },
        customizations: a.customizations.clone(),
    };
    let spec = StackSpec::from_profile(&profile).map_err(|problems| {
        Problem::new(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
            "Go back and change the values named.",
        )
    })?;
    Ok((profile, spec))
}

/// The customizations as the TOML a user edits (`[[customizations]]` tables).
pub fn customizations_to_toml(list: &[Customization]) -> String {
    #[derive(serde::Serialize)]
    struct File<'a> {
        customizations: &'a [Customization],
    }
    let mut text = String::from(
        "# RFC 6902 JSON Patch operations applied to the rendered documents before they are sent.\n\
         # target is task_definition or service; op is add, remove, replace, move, copy or test.\n\
         # Example:\n\
         # [[customizations]]\n\
         # target = \"task_definition\"\n\
         # op = \"add\"\n\
         # path = \"/containerDefinitions/0/dockerLabels\"\n\
         # value = { team = \"data\" }\n\n",
    );
    if !list.is_empty() {
        text.push_str(
            &toml::to_string(&File {
                customizations: list,
            })
            .unwrap_or_default(),
        );
    }
    text
}

/// Reads the edited customizations back; an error names the line and what is wrong.
pub fn customizations_from_toml(text: &str) -> Result<Vec<Customization>, Problem> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        customizations: Vec<Customization>,
    }
    toml::from_str::<File>(text)
        .map(|f| f.customizations)
        .map_err(|e| {
            Problem::new(
                format!("The customizations do not read: {}", e.to_string().trim()),
                "Press e to edit them again; each entry is a [[customizations]] table with target, op and path.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::SubnetReport;

    fn subnet(id: &str, egress: Egress) -> SubnetReport {
        SubnetReport {
            id: id.to_owned(),
            name: None,
            az: "us-east-1a".to_owned(),
            cidr: "10.0.0.0/24".to_owned(),
            available_ips: 250,
            egress,
            reason: format!("{id} reason"),
        }
    }

    fn vpc(subnets: Vec<SubnetReport>) -> VpcReport {
        VpcReport {
            id: "vpc-1".to_owned(),
            name: None,
            cidr: "10.0.0.0/16".to_owned(),
            is_default: false,
            recommended_subnets: Vec::new(),
            subnets,
        }
    }

    #[test]
    fn an_isolated_subnet_is_refused_with_its_reason_and_mixed_egress_too() {
        let v = vpc(vec![
            subnet("subnet-pub", Egress::Public),
            subnet("subnet-nat", Egress::Nat),
            subnet("subnet-iso", Egress::Isolated),
        ]);
        let err = check_subnets(&v, &["subnet-iso".to_owned()]).expect_err("refused");
        assert!(
            err.message
                .contains("subnet-iso cannot run a worker: subnet-iso reason")
        );
        assert!(err.hint.expect("ok").contains("NAT gateway"));
        let err = check_subnets(&v, &["subnet-pub".to_owned(), "subnet-nat".to_owned()])
            .expect_err("refused");
        assert!(err.message.contains("mixed"), "{}", err.message);
        assert!(check_subnets(&v, &[]).is_err());
        assert_eq!(
            check_subnets(&v, &["subnet-nat".to_owned()]),
            Ok(PublicIp::Auto)
        );
    }

    #[test]
    fn credentials_are_trimmed_and_auth_strings_need_a_colon() {
        let key = check_credential(Credential::ApiKey, " pnu_x\n")
            .expect("ok")
            .expect("ok");
        assert_eq!(key.expose(), "pnu_x");
        assert!(check_credential(Credential::ApiKey, "pnu a").is_err());
        assert!(check_credential(Credential::AuthString, "nocolon").is_err());
        assert!(
            check_credential(Credential::None, "")
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn regions_get_a_suggestion() {
        assert_eq!(check_region(" eu-west-1 ").expect("ok"), "eu-west-1");
        let err = check_region("us-east-9").expect_err("refused");
        assert!(err.message.contains("us-east-9 is not an AWS region"));
    }

    #[test]
    fn worker_answers_are_checked_and_customizations_round_trip() {
        let mut w = WorkerAnswers {
            stack: "data-prod".into(),
            work_pool: "ecs-pool".into(),
            cpu: 512,
            memory: 1024,
            desired_count: "1".into(),
            image: "prefecthq/prefect-aws:latest".into(),
            emails: String::new(),
            scale_max: String::new(),
            spot: false,
        };
        assert_eq!(check_worker(&w), Ok(1));
        w.desired_count = "many".into();
        assert!(
            check_worker(&w)
                .expect_err("refused")
                .message
                .contains("not a number")
        );
        w.desired_count = "1".into();
        w.memory = 9999;
        assert!(check_worker(&w).is_err());

        let list = vec![Customization {
            target: crate::profile::PatchTarget::TaskDefinition,
            op: "add".into(),
            path: "/containerDefinitions/0/dockerLabels".into(),
            from: None,
            value: Some(serde_json::json!({"team": "data"})),
        }];
        let text = customizations_to_toml(&list);
        assert_eq!(customizations_from_toml(&text).expect("ok"), list);
        assert!(customizations_from_toml("[[customizations]]\ntarget = 1\n").is_err());
    }
}
