//! `Desired`: the documents and policies a spec calls for, given what exists. ARNs that
//! only exist once a resource is created are predicted where AWS makes them predictable
//! (roles, cluster, log group) and left as `<placeholders>` otherwise (secret, security
//! group); a document holding a placeholder is always re-rendered before it is sent.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::alerting::AlertArns;
use super::observed::Observed;
use super::observer::ObserverArns;
use super::policies;
use super::render::{RenderContext, RenderError, RenderedStack, render_customized};
use super::spec::StackSpec;

pub const SPEC_HASH_TAG: &str = "prefect-tui:spec-hash";
pub const PLACEHOLDER_SECRET_ARN: &str = "<secret ARN, known after it is created>";
pub const PLACEHOLDER_SECURITY_GROUP: &str = "<security group id, known after it is created>";

#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub rendered: RenderedStack,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    pub cluster_arn: String,
    pub log_group_arn: String,
    /// The event observer's queue, dead-letter queue and rule.
    pub observer: ObserverArns,
    /// The alerts topic, the crash rule and the alarms' ARN prefix.
    pub alerts: AlertArns,
    /// `None` until the secret exists (or when there is no credential).
    pub secret_arn: Option<String>,
    pub execution_inline: Option<Value>,
    pub worker_inline: Value,
    pub task_definition_hash: String,
    pub service_hash: String,
    /// The work pool variables prefect-tui fills, with their values.
    pub pool_defaults: Vec<(&'static str, Value)>,
    /// Replace pool defaults a person set (`--overwrite-pool-defaults`).
    pub overwrite_pool_defaults: bool,
}

/// A short, stable fingerprint of a document, kept as a tag on what it created.
pub fn spec_hash(doc: &Value) -> String {
    let digest = Sha256::digest(doc.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What the stack should look like, with the ARNs known from `observed` (or predicted).
pub fn desired(
    spec: &StackSpec,
    observed: &Observed,
    assign_public_ip: bool,
) -> Result<Desired, RenderError> {
    let p = observed.partition.as_str();
    let account = observed.account_id.as_str();
    let region = spec.region.as_str();
    let execution_role_arn = policies::role_arn(p, account, &spec.names.execution_role());
    let task_role_arn = policies::role_arn(p, account, &spec.names.task_role());
    let cluster_arn = policies::cluster_arn(p, region, account, spec.cluster.name());
    let log_group_arn = policies::log_group_arn(p, region, account, &spec.names.log_group());
    let observer = ObserverArns::of(spec, p, account);
    let secret_arn = if spec.secret_name.is_some() {
        observed
            .secret
            .as_ref()
            .filter(|s| s.owned)
            .map(|s| s.arn.clone())
    } else {
        None
    };
    let security_group_id = observed
        .security_group
        .as_ref()
        .filter(|sg| sg.owned && sg.vpc_id == spec.vpc_id)
        .map(|sg| sg.id.clone())
        .unwrap_or_else(|| PLACEHOLDER_SECURITY_GROUP.to_owned());
    let pool_defaults = super::pool::pool_defaults(
        spec,
        &execution_role_arn,
        Some(secret_arn.as_deref().unwrap_or(PLACEHOLDER_SECRET_ARN))
            .filter(|_| spec.secret_name.is_some()),
        &security_group_id,
        assign_public_ip,
    );
    let ctx = RenderContext {
        execution_role_arn: execution_role_arn.clone(),
        task_role_arn: task_role_arn.clone(),
        secret_arn: spec.secret_name.as_ref().map(|_| {
            secret_arn
                .clone()
                .unwrap_or_else(|| PLACEHOLDER_SECRET_ARN.to_owned())
        }),
        security_group_id,
        assign_public_ip: Some(assign_public_ip),
    };
    let rendered = render_customized(spec, &ctx)?;
    let task_definition_hash = spec_hash(&rendered.task_definition);
    let service_hash = spec_hash(&rendered.service);
    let mut worker_inline = policies::worker_inline(&policies::WorkerScope {
        partition: p,
        region,
        account,
        cluster: spec.cluster.name(),
        work_pool: &spec.work_pool,
        log_group_arn: &log_group_arn,
        pass_roles: std::slice::from_ref(&execution_role_arn),
        events_queue_arn: &observer.queue,
    });
    if spec.monitoring.sidecar()
        && let Some(statements) = worker_inline["Statement"].as_array_mut()
    {
        statements.push(super::alerting::metrics_statement(&spec.names));
    }
    Ok(Desired {
        execution_inline: secret_arn.as_deref().map(policies::execution_inline),
        worker_inline,
        alerts: AlertArns::of(&spec.names, p, region, account),
        observer,
        rendered,
        execution_role_arn,
        task_role_arn,
        cluster_arn,
        log_group_arn,
        secret_arn,
        task_definition_hash,
        service_hash,
        pool_defaults,
        overwrite_pool_defaults: false,
    })
}

impl Desired {
    /// True while a document still holds a value only known after creation.
    pub fn has_placeholders(&self) -> bool {
        let td = self.rendered.task_definition.to_string();
        let svc = self.rendered.service.to_string();
        td.contains(PLACEHOLDER_SECRET_ARN) || svc.contains(PLACEHOLDER_SECURITY_GROUP)
    }
}
