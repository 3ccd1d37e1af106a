//! `render()`: a `StackSpec` turned into exactly what AWS receives, as JSON with AWS's own
//! field names: the RegisterTaskDefinition input and the CreateService input. Values only
//! known once the stack exists (ARNs, the security group id) come in a `RenderContext`.

use serde_json::{Value, json};

use super::alerting;
use super::customize::{self, CustomizationError};
use super::names::{
    CONTAINER_NAME, HEALTH_PORT, LOG_STREAM_PREFIX, MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG,
};
use super::spec::StackSpec;
use crate::network::Egress;
use crate::profile::{PatchTarget, PublicIp};

/// What the documents need that the profile does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext {
    pub execution_role_arn: String,
    pub task_role_arn: String,
    /// The secret's ARN (`None` when the credential is `none`).
    pub secret_arn: Option<String>,
    pub security_group_id: String,
    /// Resolved from the subnets' egress when the profile says `auto`; `None` if unknown.
    pub assign_public_ip: Option<bool>,
}

impl RenderContext {
    /// Stand-ins for a stack that is not known yet, readable in a preview.
    pub fn placeholders(spec: &StackSpec, account_id: Option<&str>) -> Self {
        let account = account_id.unwrap_or("<account-id>");
        let role = |name: String| format!("arn:aws:iam::{account}:role/{name}");
        Self {
            execution_role_arn: role(spec.names.execution_role()),
            task_role_arn: role(spec.names.task_role()),
            secret_arn: spec.secret_name.as_ref().map(|name| {
                format!(
                    "arn:aws:secretsmanager:{}:{account}:secret:{name}-<suffix>",
                    spec.region
                )
            }),
            security_group_id: "<security group id, known after deploy>".to_owned(),
            assign_public_ip: match spec.public_ip {
                PublicIp::Enabled => Some(true),
                PublicIp::Disabled => Some(false),
                PublicIp::Auto => None,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedStack {
    pub task_definition: Value,
    pub service: Value,
}

/// Decides `assignPublicIp` from the profile's choice and the chosen subnets' verdicts.
pub fn assign_public_ip(choice: PublicIp, verdicts: &[(String, Egress)]) -> Result<bool, String> {
    if let Some((id, _)) = verdicts.iter().find(|(_, e)| !e.can_run_worker()) {
        return Err(format!(
            "subnet {id} is isolated: a worker there could not pull its image. Pick subnets \
             marked nat or public (`prefect-tui discover`), or add VPC endpoints."
        ));
    }
    let any_public = verdicts.iter().any(|(_, e)| *e == Egress::Public);
    match choice {
        PublicIp::Auto => Ok(any_public),
        PublicIp::Enabled => Ok(true),
        PublicIp::Disabled if any_public => Err(
            "public_ip = \"disabled\" with public subnets: tasks there reach nothing without a \
             public IP. Use public_ip = \"auto\" or pick subnets marked nat."
                .to_owned(),
        ),
        PublicIp::Disabled => Ok(false),
    }
}

fn tags(spec: &StackSpec) -> Value {
    json!([
        { "key": STACK_TAG, "value": spec.names.stack },
        { "key": MANAGED_BY_TAG, "value": MANAGED_BY_VALUE },
    ])
}

/// The worker's start command: the pool, the ECS worker type, and the health endpoint.
pub fn worker_command(spec: &StackSpec) -> Vec<String> {
    [
        "prefect",
        "worker",
        "start",
        "--pool",
        spec.work_pool.as_str(),
        "--type",
        "ecs",
        "--with-healthcheck",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A health probe that needs nothing but the Python the worker image already has.
pub fn health_command() -> String {
    format!(
        "python -c \"import sys, urllib.request; \
         sys.exit(0 if urllib.request.urlopen('http://localhost:{HEALTH_PORT}/health', timeout=5).status == 200 else 1)\""
    )
}

/// The documents before customizations.
pub fn render(spec: &StackSpec, ctx: &RenderContext) -> RenderedStack {
    let mut container = json!({
        "name": CONTAINER_NAME,
        "image": spec.image,
        "essential": true,
        // Container-level cpu and memory equal to the task's: AWS accepts them, and the
        // emulator's RunTask fails without them.
        "cpu": spec.cpu,
        "memory": spec.memory,
        "command": worker_command(spec),
        "environment": [
            { "name": "PREFECT_API_URL", "value": spec.prefect.api_url() },
            { "name": "PREFECT_WORKER_WEBSERVER_PORT", "value": HEALTH_PORT.to_string() },
            // Fargate sets this too; the ECS worker's AWS client needs it, so say it plainly.
            { "name": "AWS_DEFAULT_REGION", "value": spec.region },
        ],
        "healthCheck": {
            "command": ["CMD-SHELL", health_command()],
            "interval": 30,
            "timeout": 10,
            "retries": 3,
            "startPeriod": 60,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": spec.names.log_group(),
                "awslogs-region": spec.region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX,
            },
        },
    });
    // The observer: flow-run tasks that stop are seen through the stack's queue.
    if let Some(env) = container["environment"].as_array_mut() {
        for (name, value) in super::observer::worker_environment(spec) {
            env.push(json!({ "name": name, "value": value }));
        }
    }
    if let (Some(env_name), Some(arn)) = (spec.credential.env_name(), &ctx.secret_arn) {
        container["secrets"] = json!([{ "name": env_name, "valueFrom": arn }]);
    }
    let mut containers = vec![container];
    if spec.monitoring.sidecar() {
        // The sidecar's share comes out of the worker's, so the task stays the size asked.
        containers[0]["cpu"] = json!(spec.cpu - alerting::SIDECAR_CPU);
        containers[0]["memory"] = json!(spec.memory - alerting::SIDECAR_MEMORY);
        let sidecar = alerting::sidecar_container(
            &spec.names,
            &spec.image,
            &spec.region,
            &spec.work_pool,
            &spec.prefect.api_url(),
            containers[0].get("secrets"),
        );
        containers.push(sidecar);
    }

    let task_definition = json!({
        "family": spec.names.task_family(),
        "taskRoleArn": ctx.task_role_arn,
        "executionRoleArn": ctx.execution_role_arn,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": spec.cpu.to_string(),
        "memory": spec.memory.to_string(),
        "runtimePlatform": { "operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64" },
        "containerDefinitions": containers,
        "tags": tags(spec),
    });

    let assign = match ctx.assign_public_ip {
        Some(true) => json!("ENABLED"),
        Some(false) => json!("DISABLED"),
        None => json!("<auto: ENABLED for public subnets, DISABLED otherwise; decided at deploy>"),
    };
    let service = json!({
        "cluster": spec.cluster.name(),
        "serviceName": spec.names.service(),
        "taskDefinition": spec.names.task_family(),
        "desiredCount": spec.desired_count,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": spec.subnet_ids,
                "securityGroups": [ctx.security_group_id],
                "assignPublicIp": assign,
            }
        },
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": { "enable": true, "rollback": true },
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "enableECSManagedTags": true,
        "propagateTags": "SERVICE",
        "tags": tags(spec),
    });
    RenderedStack {
        task_definition,
        service,
    }
}

/// Why a customized document would leak the credential, if it would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Customization(#[from] CustomizationError),
    #[error(
        "the customizations put {name} into a container's `environment`, where anyone who can \
         read the task definition sees it; the credential belongs in `secrets` (prefect-tui \
         puts it there), so remove that customization"
    )]
    SecretInEnvironment { name: String },
}

/// The documents with the profile's customizations applied, refusing any result that would
/// carry the Prefect credential in plain `environment`.
pub fn render_customized(
    spec: &StackSpec,
    ctx: &RenderContext,
) -> Result<RenderedStack, RenderError> {
    let mut rendered = render(spec, ctx);
    // The two documents are patched apart; when both fail, the one earlier in the profile
    // is reported, so fixing errors in file order never meets an older one again.
    let task_definition = customize::apply(
        &mut rendered.task_definition,
        PatchTarget::TaskDefinition,
        &spec.customizations,
    );
    let service = customize::apply(
        &mut rendered.service,
        PatchTarget::Service,
        &spec.customizations,
    );
    match (task_definition, service) {
        (Err(a), Err(b)) => return Err(if a.index < b.index { a } else { b }.into()),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(e.into()),
        (Ok(()), Ok(())) => {}
    }
    let containers = rendered.task_definition["containerDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for container in containers {
        for var in container["environment"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let name = var["name"].as_str().unwrap_or_default();
            if name == "PREFECT_API_KEY" || name == "PREFECT_API_AUTH_STRING" {
                return Err(RenderError::SecretInEnvironment {
                    name: name.to_owned(),
                });
            }
        }
    }
    Ok(rendered)
}
