//! Helpers for tests that deploy stacks into the emulator: a network to deploy into, a
//! profile file pointing at it, and SDK clients to inspect the result independently of
//! the tool's own output.

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::layouts::Net;

pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub iam: aws_sdk_iam::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sns: aws_sdk_sns::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
}

impl Clients {
    pub fn new(endpoint: &str, region: &str) -> Self {
        let config = super::sdk_config(endpoint, region);
        Self {
            ec2: aws_sdk_ec2::Client::new(&config),
            ecs: aws_sdk_ecs::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
        }
    }
}

impl Clients {
    /// The security groups named as the stack names its worker's.
    pub async fn worker_security_groups(
        &self,
        stack: &str,
    ) -> Vec<aws_sdk_ec2::types::SecurityGroup> {
        self.ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values(format!("prefect-tui-{stack}-worker"))
                    .build(),
            )
            .send()
            .await
            .expect("security groups")
            .security_groups()
            .to_vec()
    }

    /// The ARNs of the stack's task-definition revisions in `status`.
    pub async fn task_definition_arns(
        &self,
        stack: &str,
        status: aws_sdk_ecs::types::TaskDefinitionStatus,
    ) -> Vec<String> {
        self.ecs
            .list_task_definitions()
            .family_prefix(format!("prefect-tui-{stack}-worker"))
            .status(status)
            .send()
            .await
            .expect("task definitions")
            .task_definition_arns()
            .to_vec()
    }
}

/// A VPC whose two subnets (in two zones) route to an internet gateway: verdict `public`.
pub async fn public_network(
    endpoint: &str,
    region: &str,
    second_octet: u8,
) -> (String, Vec<String>) {
    let net = Net::new(endpoint, region);
    let vpc = net
        .vpc(&format!("10.{second_octet}.0.0/16"), "deploy-test")
        .await;
    net.enable_dns_hostnames(&vpc).await;
    let a = net
        .subnet(&vpc, &format!("10.{second_octet}.1.0/24"), 'a', "public-a")
        .await;
    let b = net
        .subnet(&vpc, &format!("10.{second_octet}.2.0/24"), 'b', "public-b")
        .await;
    let igw = net.internet_gateway(&vpc).await;
    let main = net.main_route_table(&vpc).await;
    net.default_route_to_gateway(&main, &igw).await;
    (vpc, vec![a, b])
}

/// Writes a profile for `stack` into `dir`; `extra` is appended verbatim (more sections).
pub fn write_profile(
    dir: &Path,
    stack: &str,
    region: &str,
    vpc: &str,
    subnets: &[String],
    extra: &str,
) -> PathBuf {
    let cloud = format!(
        "api_url = \"https://api.prefect.cloud/api/accounts/0c1d2e3f-1111-4222-8333-444455556666/workspaces/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd\"\n\
         work_pool = \"ecs-{stack}\"\n"
    );
    write_profile_with(dir, stack, region, &cloud, vpc, subnets, extra)
}

/// A profile for a self-hosted Prefect server with basic auth (the harness's server, or an
/// address nothing answers on).
#[allow(clippy::too_many_arguments)]
pub fn write_self_hosted_profile(
    dir: &Path,
    stack: &str,
    region: &str,
    api_url: &str,
    pool: &str,
    vpc: &str,
    subnets: &[String],
    extra: &str,
) -> PathBuf {
    let prefect =
        format!("api_url = \"{api_url}\"\nwork_pool = \"{pool}\"\ncredential = \"auth-string\"\n");
    write_profile_with(dir, stack, region, &prefect, vpc, subnets, extra)
}

fn write_profile_with(
    dir: &Path,
    stack: &str,
    region: &str,
    prefect: &str,
    vpc: &str,
    subnets: &[String],
    extra: &str,
) -> PathBuf {
    let subnets = subnets
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "stack = \"{stack}\"\n\n[aws]\nregion = \"{region}\"\n\n[prefect]\n{prefect}\n\
         [network]\nvpc_id = \"{vpc}\"\nsubnet_ids = [{subnets}]\n{extra}"
    );
    let path = dir.join(format!("{stack}.toml"));
    std::fs::write(&path, text).expect("profile written");
    path
}

/// `prefect-tui <command> --profile <path> ...` against the emulator, the key (if any) in
/// the environment, no terminal.
pub fn run(endpoint: &str, region: &str, args: &[&str], key: Option<&str>) -> Output {
    let mut cmd = super::program_against(endpoint, region);
    cmd.args(args);
    if let Some(key) = key {
        cmd.env("PREFECT_API_KEY", key);
    }
    cmd.output().expect("prefect-tui runs")
}

pub fn text(out: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Fails unless no resource of `stack` is left in AWS (the Prefect work pool is not AWS's
/// and stays): secret, queues, rules, roles, log group, security group, task definitions,
/// service, and the alerts topic, alarms and scalable target.
pub async fn assert_nothing_tagged(aws: &Clients, stack: &str) {
    let secrets = aws
        .secrets
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key(aws_sdk_secretsmanager::types::FilterNameStringType::TagValue)
                .values(stack)
                .build(),
        )
        .send()
        .await
        .expect("secrets");
    assert!(secrets.secret_list().is_empty(), "no secret of {stack}");
    let queues = aws
        .sqs
        .list_queues()
        .queue_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("queues");
    assert!(
        queues.queue_urls().is_empty(),
        "no queue of {stack}: {queues:?}"
    );
    let rules = aws
        .events
        .list_rules()
        .name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("rules");
    assert!(rules.rules().is_empty(), "no rule of {stack}: {rules:?}");
    let topics = aws.sns.list_topics().send().await.expect("topics");
    let topic = format!(":prefect-tui-{stack}-alerts");
    assert!(
        !topics
            .topics()
            .iter()
            .any(|t| t.topic_arn().is_some_and(|a| a.ends_with(&topic))),
        "no alerts topic of {stack}"
    );
    let alarms = aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("prefect-tui-{stack}-"))
        .send()
        .await
        .expect("alarms");
    assert!(alarms.metric_alarms().is_empty(), "no alarm of {stack}");
    let targets = aws
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_ids(format!(
            "service/prefect-tui-{stack}/prefect-tui-{stack}-worker"
        ))
        .send()
        .await
        .expect("scalable targets");
    assert!(
        targets.scalable_targets().is_empty(),
        "no scalable target of {stack}"
    );
    for role in ["execution", "worker"] {
        let found = aws
            .iam
            .get_role()
            .role_name(format!("prefect-tui-{stack}-{role}"))
            .send()
            .await;
        assert!(found.is_err(), "role {role} of {stack} is gone");
    }
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/ecs/prefect-tui/{stack}"))
        .send()
        .await
        .expect("groups");
    assert!(groups.log_groups().is_empty(), "no log group of {stack}");
    let sgs = aws
        .ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:prefect-tui:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .expect("sgs");
    assert!(
        sgs.security_groups().is_empty(),
        "no security group of {stack}"
    );
    for status in [TaskDefinitionStatus::Active, TaskDefinitionStatus::Inactive] {
        let arns = aws.task_definition_arns(stack, status).await;
        assert!(arns.is_empty(), "no task definition of {stack}: {arns:?}");
    }
    let services = aws
        .ecs
        .describe_services()
        .cluster(format!("prefect-tui-{stack}"))
        .services(format!("prefect-tui-{stack}-worker"))
        .send()
        .await;
    if let Ok(services) = services {
        assert!(
            services
                .services()
                .iter()
                .all(|s| s.status() != Some("ACTIVE")),
            "no active service of {stack}"
        );
    }
    assert_no_network_of(aws, stack).await;
}

/// Fails unless nothing of the stack's own network is left: VPC, subnets, gateways, the
/// NAT gateway's address, route tables, endpoints (a deleted NAT gateway or endpoint may
/// still be listed, in state deleted).
pub async fn assert_no_network_of(aws: &Clients, stack: &str) {
    let tag = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:prefect-tui:stack")
            .values(stack)
            .build()
    };
    let vpcs = aws
        .ec2
        .describe_vpcs()
        .filters(tag())
        .send()
        .await
        .expect("vpcs");
    assert!(vpcs.vpcs().is_empty(), "no VPC of {stack}: {vpcs:?}");
    let subnets = aws
        .ec2
        .describe_subnets()
        .filters(tag())
        .send()
        .await
        .expect("subnets");
    assert!(subnets.subnets().is_empty(), "no subnet of {stack}");
    let igws = aws
        .ec2
        .describe_internet_gateways()
        .filters(tag())
        .send()
        .await
        .expect("igws");
    assert!(
        igws.internet_gateways().is_empty(),
        "no internet gateway of {stack}"
    );
    let addresses = aws
        .ec2
        .describe_addresses()
        .filters(tag())
        .send()
        .await
        .expect("eips");
    assert!(addresses.addresses().is_empty(), "no elastic IP of {stack}");
    let tables = aws
        .ec2
        .describe_route_tables()
        .filters(tag())
        .send()
        .await
        .expect("tables");
    assert!(
        tables.route_tables().is_empty(),
        "no route table of {stack}"
    );
    let nats = aws.ec2.describe_nat_gateways().send().await.expect("nats");
    let live_nats: Vec<_> = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.tags().iter().any(|t| t.value() == Some(stack)))
        .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
        .collect();
    assert!(
        live_nats.is_empty(),
        "no NAT gateway of {stack}: {live_nats:?}"
    );
    let endpoints = aws
        .ec2
        .describe_vpc_endpoints()
        .send()
        .await
        .expect("endpoints");
    let live: Vec<_> = endpoints
        .vpc_endpoints()
        .iter()
        .filter(|e| e.tags().iter().any(|t| t.value() == Some(stack)))
        .filter(|e| {
            !matches!(
                e.state()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .as_deref(),
                Some("deleted") | Some("deleting")
            )
        })
        .collect();
    assert!(live.is_empty(), "no VPC endpoint of {stack}: {live:?}");
}
