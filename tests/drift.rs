//! Drift: a stack changed outside the profile (with the AWS API, as a person would in the
//! console or from the monitor) shows in `plan` with the live and the wanted value, and
//! `deploy` puts it back. Checked through the SDK, not through the tool's own output.
//! Plain moto is enough: `deploy --no-wait` needs no worker.

mod common;

use std::path::PathBuf;

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration};
use common::stack::{Clients, public_network, run, text, write_profile};
use serde_json::Value;

const REGION: &str = "us-east-2";
const KEY: &str = "pnu_drift_key_0123456789";

/// A deployed stack: its name, its profile, and the subnets it was deployed into.
struct Deployed {
    stack: String,
    profile: PathBuf,
    subnets: Vec<String>,
    vpc: String,
    _dir: tempfile::TempDir,
}

impl Deployed {
    async fn new(moto: &str, name: &str, octet: u8) -> Self {
        let stack = common::unique(name);
        let (vpc, subnets) = public_network(moto, REGION, octet).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let profile = write_profile(dir.path(), &stack, REGION, &vpc, &subnets, "");
        let deployed = Self {
            stack,
            profile,
            subnets,
            vpc,
            _dir: dir,
        };
        let out = deployed.deploy(moto);
        assert!(out.status.success(), "{}", text(&out));
        deployed.assert_plans_nothing(moto);
        deployed
    }

    fn profile(&self) -> String {
        self.profile.to_string_lossy().into_owned()
    }

    fn deploy(&self, moto: &str) -> std::process::Output {
        run(
            moto,
            REGION,
            &["deploy", "--profile", &self.profile(), "--yes", "--no-wait"],
            Some(KEY),
        )
    }

    fn plan_json(&self, moto: &str) -> Value {
        let out = run(
            moto,
            REGION,
            &["plan", "--profile", &self.profile(), "--output", "json"],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).expect("plan JSON")
    }

    fn plan_table(&self, moto: &str) -> String {
        let out = run(moto, REGION, &["plan", "--profile", &self.profile()], None);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn assert_plans_nothing(&self, moto: &str) {
        let plan = self.plan_json(moto);
        let changes = plan["changes"].as_array().cloned().unwrap_or_default();
        assert_eq!(changes.len(), 11, "{plan:#}");
        assert!(changes.iter().all(|c| c["action"] == "noop"), "{plan:#}");
    }

    /// Drift put back: `deploy` succeeds and the plan is all noop again.
    fn deploy_puts_it_back(&self, moto: &str) -> String {
        let out = self.deploy(moto);
        let output = text(&out);
        assert!(out.status.success(), "{output}");
        assert!(!output.contains("Nothing to change"), "{output}");
        self.assert_plans_nothing(moto);
        output
    }

    fn cluster(&self) -> String {
        format!("prefect-tui-{}", self.stack)
    }

    fn service(&self) -> String {
        format!("prefect-tui-{}-worker", self.stack)
    }

    async fn describe_service(&self, aws: &Clients) -> aws_sdk_ecs::types::Service {
        aws.ecs
            .describe_services()
            .cluster(self.cluster())
            .services(self.service())
            .send()
            .await
            .expect("describe")
            .services()
            .first()
            .cloned()
            .expect("the service")
    }
}

/// The change planned for `resource`.
fn change<'a>(plan: &'a Value, resource: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["resource"] == resource))
        .unwrap_or_else(|| panic!("no {resource} in {plan:#}"))
}

/// The live and wanted values of `field` in the change for `resource`.
fn values<'a>(plan: &'a Value, resource: &str, field: &str) -> &'a Value {
    let change = change(plan, resource);
    change["values"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["field"] == field))
        .unwrap_or_else(|| panic!("no {field} among the values of {change:#}"))
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_scaled_by_hand_is_planned_and_put_back() {
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "scaled", 110).await;
    let aws = Clients::new(&moto, REGION);
    aws.ecs
        .update_service()
        .cluster(stack.cluster())
        .service(stack.service())
        .desired_count(2)
        .send()
        .await
        .expect("scale by hand");

    let plan = stack.plan_json(&moto);
    assert_eq!(change(&plan, "service")["action"], "update", "{plan:#}");
    let count = values(&plan, "service", "desiredCount");
    assert_eq!(
        (&count["live"], &count["wanted"]),
        (&Value::from(2), &Value::from(1))
    );
    assert_eq!(count["keep"]["profile_key"], "worker.desired_count");
    assert_eq!(count["keep"]["value"], 2);
    assert_eq!(change(&plan, "task_definition")["action"], "noop");
    let table = stack.plan_table(&moto);
    assert!(
        table.contains("desiredCount: 2 -> 1")
            && table.contains("set desired_count = 2 under [worker]"),
        "the table says what changes and how to keep it instead:\n{table}"
    );

    stack.deploy_puts_it_back(&moto);
    assert_eq!(stack.describe_service(&aws).await.desired_count(), 1);
}

/// Application Auto Scaling sets the count between the bounds (moto runs no scaling, so
/// the test sets it as the scaler would): a deploy that changes the service for another
/// reason leaves that count; a count outside the bounds is set back.
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_keeps_the_count_scaling_set_and_puts_back_one_outside_the_bounds() {
    let Some(moto) = common::moto() else { return };
    let stack = common::unique("scaled-auto");
    let (vpc, subnets) = public_network(&moto, REGION, 116).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let with_worker = |worker: &str| {
        format!(
            "\n[worker]\ndesired_count = 1\n{worker}\n[scaling]\nmin = 1\nmax = 3\non = \"cpu\"\n"
        )
    };
    let profile = write_profile(dir.path(), &stack, REGION, &vpc, &subnets, &with_worker(""));
    let profile = profile.to_string_lossy().into_owned();
    let deploy = || {
        let out = run(
            &moto,
            REGION,
            &["deploy", "--profile", &profile, "--yes", "--no-wait"],
            Some(KEY),
        );
        assert!(out.status.success(), "{}", text(&out));
    };
    deploy();
    let aws = Clients::new(&moto, REGION);
    let (cluster, service) = (
        format!("prefect-tui-{stack}"),
        format!("prefect-tui-{stack}-worker"),
    );
    let scale_to = |n: i32| {
        aws.ecs
            .update_service()
            .cluster(&cluster)
            .service(&service)
            .desired_count(n)
            .send()
    };
    let live_count = || async {
        aws.ecs
            .describe_services()
            .cluster(&cluster)
            .services(&service)
            .send()
            .await
            .expect("describe")
            .services()
            .first()
            .map(|s| s.desired_count())
    };
    scale_to(3).await.expect("scaled out, as the scaler would");

    // The service changes for another reason (a bigger task): the count stays 3.
    let bigger = with_worker("cpu = 1024\nmemory = 2048\n");
    write_profile(dir.path(), &stack, REGION, &vpc, &subnets, &bigger);
    deploy();
    let described = aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await
        .expect("describe");
    let live = described.services().first().expect("the service");
    assert!(
        live.task_definition().is_some_and(|t| !t.ends_with(":1")),
        "the deploy moved the service to a new revision: {live:?}"
    );
    assert_eq!(live_count().await, Some(3), "scaling's count is kept");

    // Outside the bounds (a person set 5): planned and set back to the profile's count.
    scale_to(5).await.expect("scaled by hand");
    let out = run(
        &moto,
        REGION,
        &["plan", "--profile", &profile, "--output", "json"],
        None,
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let count = values(&plan, "service", "desiredCount");
    assert_eq!(
        (&count["live"], &count["wanted"]),
        (&Value::from(5), &Value::from(1))
    );
    deploy();
    assert_eq!(live_count().await, Some(1));
    let out = run(
        &moto,
        REGION,
        &[
            "destroy",
            "--profile",
            &profile,
            "--yes",
            "--force-delete-secret",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// The group's egress as (protocol, from port, to port, IPv4 ranges), sorted.
async fn egress_of(
    aws: &Clients,
    stack: &str,
) -> Vec<(String, Option<i32>, Option<i32>, Vec<String>)> {
    let groups = aws.worker_security_groups(stack).await;
    let group = groups.first().expect("the worker's group");
    let mut rules: Vec<_> = group
        .ip_permissions_egress()
        .iter()
        .map(|p| {
            (
                p.ip_protocol().unwrap_or_default().to_owned(),
                p.from_port(),
                p.to_port(),
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_owned))
                    .collect(),
            )
        })
        .collect();
    rules.sort();
    rules
}

/// The worker's group lets out HTTPS only (Prefect Cloud); AWS's allow-all is gone, and
/// one opened by hand shows in the plan and is revoked by deploy.
#[tokio::test(flavor = "multi_thread")]
async fn egress_opened_by_hand_is_planned_and_revoked() {
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "egress", 115).await;
    let aws = Clients::new(&moto, REGION);
    let https = (
        "tcp".to_owned(),
        Some(443),
        Some(443),
        vec!["0.0.0.0/0".to_owned()],
    );
    assert_eq!(egress_of(&aws, &stack.stack).await, vec![https.clone()]);
    let group = aws.worker_security_groups(&stack.stack).await[0]
        .group_id()
        .unwrap_or_default()
        .to_owned();
    aws.ec2
        .authorize_security_group_egress()
        .group_id(&group)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("opened by hand");

    let plan = stack.plan_json(&moto);
    let change = change(&plan, "security_group");
    assert_eq!(change["action"], "update", "{plan:#}");
    assert_eq!(
        change["fields"][0],
        "egress: all traffic to 0.0.0.0/0, tcp 443 to 0.0.0.0/0 -> tcp 443 to 0.0.0.0/0",
        "{change:#}"
    );
    stack.deploy_puts_it_back(&moto);
    assert_eq!(egress_of(&aws, &stack.stack).await, vec![https]);
}

#[tokio::test(flavor = "multi_thread")]
async fn log_retention_changed_by_hand_is_planned_and_put_back() {
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "retention", 111).await;
    let aws = Clients::new(&moto, REGION);
    let group = format!("/ecs/prefect-tui/{}", stack.stack);
    aws.logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(7)
        .send()
        .await
        .expect("retention by hand");

    let plan = stack.plan_json(&moto);
    assert_eq!(change(&plan, "log_group")["action"], "update", "{plan:#}");
    let retention = values(&plan, "log_group", "retentionInDays");
    assert_eq!(
        (&retention["live"], &retention["wanted"]),
        (&Value::from(7), &Value::from(30))
    );

    stack.deploy_puts_it_back(&moto);
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&group)
        .send()
        .await
        .expect("groups");
    let live = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .and_then(|g| g.retention_in_days());
    assert_eq!(live, Some(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inline_policy_changed_by_hand_is_planned_and_put_back() {
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "policy", 112).await;
    let aws = Clients::new(&moto, REGION);
    let role = format!("prefect-tui-{}-worker", stack.stack);
    let policy_name = "prefect-tui-ecs-worker";
    let read = |aws: &Clients| {
        let (iam, role) = (aws.iam.clone(), role.clone());
        async move {
            let out = iam
                .get_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await
                .expect("inline policy");
            prefect_tui::aws::readback::parse_policy(out.policy_document())
        }
    };
    let deployed = read(&aws).await;
    let mut widened = deployed.clone();
    widened["Statement"]
        .as_array_mut()
        .expect("statements")
        .push(serde_json::json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    aws.iam
        .put_role_policy()
        .role_name(&role)
        .policy_name(policy_name)
        .policy_document(widened.to_string())
        .send()
        .await
        .expect("policy by hand");

    let plan = stack.plan_json(&moto);
    let task_role = change(&plan, "task_role");
    assert_eq!(task_role["action"], "update", "{plan:#}");
    let inline = values(&plan, "task_role", &format!("inline policy {policy_name}"));
    assert_eq!(inline["live"], widened);
    assert_eq!(inline["wanted"], deployed);
    let table = stack.plan_table(&moto);
    assert!(table.contains("live also allows s3:*"), "{table}");

    stack.deploy_puts_it_back(&moto);
    let now = read(&aws).await;
    assert!(!now.to_string().contains("s3:*"), "{now:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn subnets_and_security_groups_changed_by_hand_are_planned_and_put_back() {
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "network", 113).await;
    let aws = Clients::new(&moto, REGION);
    let ours = aws
        .worker_security_groups(&stack.stack)
        .await
        .first()
        .and_then(|g| g.group_id().map(str::to_owned))
        .expect("the stack's security group");
    let by_hand = aws
        .ec2
        .create_security_group()
        .group_name(format!("by-hand-{}", stack.stack))
        .description("made outside the profile")
        .vpc_id(&stack.vpc)
        .send()
        .await
        .expect("security group")
        .group_id()
        .expect("id")
        .to_owned();
    let one_subnet = vec![stack.subnets[0].clone()];
    aws.ecs
        .update_service()
        .cluster(stack.cluster())
        .service(stack.service())
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .set_subnets(Some(one_subnet.clone()))
                        .security_groups(&by_hand)
                        .assign_public_ip(AssignPublicIp::Enabled)
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .send()
        .await
        .expect("network by hand");

    let plan = stack.plan_json(&moto);
    assert_eq!(change(&plan, "service")["action"], "update", "{plan:#}");
    let subnets = values(
        &plan,
        "service",
        "networkConfiguration.awsvpcConfiguration.subnets",
    );
    assert_eq!(subnets["live"], serde_json::json!(one_subnet));
    assert_eq!(subnets["wanted"], serde_json::json!(stack.subnets));
    let groups = values(
        &plan,
        "service",
        "networkConfiguration.awsvpcConfiguration.securityGroups",
    );
    assert_eq!(groups["live"], serde_json::json!([by_hand]));
    assert_eq!(groups["wanted"], serde_json::json!([ours]));

    stack.deploy_puts_it_back(&moto);
    let service = stack.describe_service(&aws).await;
    let vpc = service
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("awsvpc");
    assert_eq!(sorted(vpc.subnets()), sorted(&stack.subnets));
    assert_eq!(vpc.security_groups(), [ours]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_registered_by_hand_is_planned_and_replaced() {
    // The console's "create new revision" copies the task definition, tags included, and
    // changes what the person edited: here the image and one environment variable.
    let Some(moto) = common::moto() else { return };
    let stack = Deployed::new(&moto, "revision", 114).await;
    let aws = Clients::new(&moto, REGION);
    let family = format!("prefect-tui-{}-worker", stack.stack);
    let current = aws
        .ecs
        .describe_task_definition()
        .task_definition(&family)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .expect("describe");
    let td = current.task_definition().expect("td");
    let mut container = td.container_definitions()[0].clone();
    let wanted_image = container.image().unwrap_or_default().to_owned();
    container.image = Some("example/by-hand:1".to_owned());
    container.environment = Some(
        container
            .environment()
            .iter()
            .map(|e| {
                if e.name() == Some("AWS_DEFAULT_REGION") {
                    aws_sdk_ecs::types::KeyValuePair::builder()
                        .name("AWS_DEFAULT_REGION")
                        .value("eu-west-1")
                        .build()
                } else {
                    e.clone()
                }
            })
            .collect(),
    );
    let registered = aws
        .ecs
        .register_task_definition()
        .family(&family)
        .set_task_role_arn(td.task_role_arn().map(str::to_owned))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_owned))
        .set_network_mode(td.network_mode().cloned())
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .set_runtime_platform(td.runtime_platform().cloned())
        .container_definitions(container)
        .set_tags(Some(current.tags().to_vec()))
        .send()
        .await
        .expect("register by hand");
    let by_hand = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("arn")
        .to_owned();
    aws.ecs
        .update_service()
        .cluster(stack.cluster())
        .service(stack.service())
        .task_definition(&by_hand)
        .send()
        .await
        .expect("point the service at it");

    let plan = stack.plan_json(&moto);
    assert_eq!(
        change(&plan, "task_definition")["action"],
        "update",
        "{plan:#}"
    );
    let image = values(&plan, "task_definition", "containerDefinitions[0].image");
    assert_eq!(image["live"], "example/by-hand:1");
    assert_eq!(image["wanted"], Value::from(wanted_image.clone()));
    let region = values(
        &plan,
        "task_definition",
        "containerDefinitions[0].environment.AWS_DEFAULT_REGION",
    );
    assert_eq!(
        (&region["live"], &region["wanted"]),
        (&Value::from("eu-west-1"), &Value::from(REGION))
    );
    assert_eq!(change(&plan, "service")["action"], "update");

    stack.deploy_puts_it_back(&moto);
    let service = stack.describe_service(&aws).await;
    let running = service.task_definition().unwrap_or_default().to_owned();
    assert_ne!(running, by_hand, "the service runs a new revision");
    let now = aws
        .ecs
        .describe_task_definition()
        .task_definition(&running)
        .send()
        .await
        .expect("describe");
    let container = &now.task_definition().expect("td").container_definitions()[0];
    assert_eq!(container.image(), Some(wanted_image.as_str()));
    assert!(
        container
            .environment()
            .iter()
            .any(|e| e.name() == Some("AWS_DEFAULT_REGION") && e.value() == Some(REGION))
    );
}
