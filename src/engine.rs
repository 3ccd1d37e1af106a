//! The operations every front end shares: the plain commands (`plan`, `deploy`,
//! `destroy`) and the wizard call these, so there is one way to provision a stack.
//!
//! `prepare` does only reads: identity, the profile's network (checked, and its egress
//! verdicts deciding the public IP), and the stack as it exists; then the pure `plan`.

use crate::aws::{AwsContext, AwsError, AwsSettings, Identity, Progress, ProgressEvent};
use crate::network::{Egress, subnet_verdict};
use crate::prefect::{PrefectAuth, PrefectClient, PrefectError};
use crate::profile::Credential;
use crate::secret::SecretValue;
use crate::stack::desired::{Desired, desired};
use crate::stack::observed::{Observed, ObservedPool};
use crate::stack::plan::{Action, Plan, PlanConflicts, Resource, plan};
use crate::stack::pool::{PoolField, merge_defaults};
use crate::stack::{RenderError, StackSpec, assign_public_ip};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The profile asks for something the account cannot give (exit 2).
    #[error("{message}")]
    BadInput { message: String, hint: String },
    #[error("{0}")]
    Conflicts(#[from] PlanConflicts),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Prefect(#[from] PrefectError),
    #[error(
        "{online} of {wanted} worker(s) came online in pool {pool} within {}s",
        waited.as_secs()
    )]
    NotOnline {
        pool: String,
        online: usize,
        wanted: usize,
        waited: std::time::Duration,
        diagnosis: Vec<String>,
    },
}

/// Everything a deploy needs to know before it writes anything.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub aws: AwsContext,
    pub identity: Identity,
    pub observed: Observed,
    pub desired: Desired,
    pub plan: Plan,
    pub assign_public_ip: bool,
    /// The chosen subnets and their verdicts, in the profile's order.
    pub verdicts: Vec<(String, Egress)>,
    /// The Prefect API, with the credential the worker will use.
    pub prefect: PrefectClient,
}

/// AWS settings for a profile: the profile's region is authoritative (the stack lives
/// there); `--aws-profile` and `--endpoint-url` from the command line win.
pub fn aws_settings_for(spec: &StackSpec, flags: &AwsSettings) -> Result<AwsSettings, EngineError> {
    if let Some(region) = &flags.region
        && region != &spec.region
    {
        return Err(EngineError::BadInput {
            message: format!(
                "--region {region} disagrees with the profile, whose stack lives in {}",
                spec.region
            ),
            hint: "Drop --region, or change `region` under [aws] in the profile.".to_owned(),
        });
    }
    Ok(AwsSettings {
        profile: flags.profile.clone().or_else(|| spec.aws_profile.clone()),
        region: Some(spec.region.clone()),
        endpoint_url: flags.endpoint_url.clone(),
    })
}

/// Checks the profile's VPC and subnets against the account and judges each subnet.
pub async fn check_network(
    aws: &AwsContext,
    spec: &StackSpec,
    identity: &Identity,
) -> Result<Vec<(String, Egress)>, EngineError> {
    let net = aws.network_snapshot(Some(&spec.vpc_id)).await?;
    if net.vpcs.is_empty() {
        return Err(EngineError::BadInput {
            message: format!(
                "VPC {} from the profile does not exist in account {} in {}",
                spec.vpc_id, identity.account, spec.region
            ),
            hint: "Run `prefect-tui discover` to list the VPCs, and fix `vpc_id` under [network]."
                .to_owned(),
        });
    }
    let mut verdicts = Vec::new();
    let mut missing = Vec::new();
    for id in &spec.subnet_ids {
        match net.subnets.iter().find(|s| &s.id == id) {
            Some(subnet) => verdicts.push((id.clone(), subnet_verdict(&net, subnet).egress)),
            None => missing.push(id.clone()),
        }
    }
    if !missing.is_empty() {
        // One more read tells "does not exist" from "belongs to another VPC".
        let elsewhere = aws.subnets_vpcs(&missing).await?;
        let described: Vec<String> = missing
            .iter()
            .map(|id| match elsewhere.iter().find(|(s, _)| s == id) {
                Some((_, vpc)) => format!("{id} belongs to {vpc}, not {}", spec.vpc_id),
                None => format!("{id} does not exist in {}", spec.region),
            })
            .collect();
        return Err(EngineError::BadInput {
            message: format!(
                "subnets in the profile are not in its VPC: {}",
                described.join("; ")
            ),
            hint: format!(
                "Run `prefect-tui discover --vpc {}` to list its subnets, and fix `subnet_ids` under [network].",
                spec.vpc_id
            ),
        });
    }
    Ok(verdicts)
}

/// Reads everything and plans. No write call is made.
pub async fn prepare(
    settings: &AwsSettings,
    spec: &StackSpec,
    key: Option<&SecretValue>,
    overwrite_pool_defaults: bool,
) -> Result<Prepared, EngineError> {
    let aws = AwsContext::load(&aws_settings_for(spec, settings)?).await?;
    prepare_in(aws, spec, key, overwrite_pool_defaults).await
}

/// `prepare` with a context built elsewhere (tests and benchmarks that bring their own
/// credentials).
pub async fn prepare_in(
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<&SecretValue>,
    overwrite_pool_defaults: bool,
) -> Result<Prepared, EngineError> {
    let identity = aws.identity().await?;
    let (verdicts, mut observed) = tokio::try_join!(check_network(&aws, spec, &identity), async {
        aws.observe(spec, &identity, key)
            .await
            .map_err(EngineError::from)
    },)?;
    let public_ip =
        assign_public_ip(spec.public_ip, &verdicts).map_err(|message| EngineError::BadInput {
            message,
            hint: "Change `subnet_ids` or `public_ip` under [network] in the profile.".to_owned(),
        })?;
    let prefect = prefect_client(&aws, spec, &observed, key).await?;
    observe_pool(&prefect, spec, &mut observed).await?;
    let mut desired = desired(spec, &observed, public_ip)?;
    desired.overwrite_pool_defaults = overwrite_pool_defaults;
    let plan = plan(spec, &observed, &desired)?;
    Ok(Prepared {
        prefect,
        aws,
        identity,
        observed,
        desired,
        plan,
        assign_public_ip: public_ip,
        verdicts,
    })
}

/// Why the write half of a deploy stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeployFailure {
    #[error(transparent)]
    Apply(#[from] crate::aws::ApplyError),
    #[error(transparent)]
    Pool(#[from] EngineError),
}

/// The write half of every deploy (the `deploy` command and the wizard): apply the plan
/// with progress events, then create the work pool or fill its defaults. Returns when AWS
/// and Prefect accepted everything; the online gate is separate. A plan with nothing to
/// change writes nothing.
pub async fn apply_prepared(
    prepared: &Prepared,
    spec: &StackSpec,
    key: Option<&SecretValue>,
    overwrite_pool_defaults: bool,
    progress: &Progress,
) -> Result<crate::aws::ApplyOutcome, DeployFailure> {
    let outcome = prepared
        .aws
        .apply(
            spec,
            &prepared.observed,
            &prepared.plan,
            prepared.assign_public_ip,
            key,
            progress,
        )
        .await?;
    let mut now = outcome.observed.clone();
    now.work_pool = prepared.observed.work_pool.clone();
    configure_pool(
        &prepared.prefect,
        spec,
        &now,
        prepared.assign_public_ip,
        overwrite_pool_defaults,
        progress,
    )
    .await?;
    Ok(outcome)
}

/// After a failure: what exists now, read back from AWS, so nothing half-made goes unsaid.
pub async fn what_exists(aws: &AwsContext, spec: &StackSpec, identity: &Identity) -> String {
    match aws.observe(spec, identity, None).await {
        Ok(observed) => describe_existing(spec, &observed),
        Err(e) => format!("Could not read back what exists ({e}); `prefect-tui plan` shows it.\n"),
    }
}

/// How long the online gate waits by default.
pub const GATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// A client for the profile's Prefect API with the credential the worker will use: the one
/// supplied, else the one stored in the stack's secret.
pub async fn prefect_client(
    aws: &AwsContext,
    spec: &StackSpec,
    observed: &Observed,
    key: Option<&SecretValue>,
) -> Result<PrefectClient, EngineError> {
    let stored = match (key, &observed.secret) {
        (None, Some(secret)) if secret.owned && !secret.pending_deletion => {
            aws.read_secret(&secret.arn).await?
        }
        _ => None,
    };
    let credential = key.cloned().or(stored);
    let auth = match (spec.credential, credential) {
        (Credential::ApiKey, Some(k)) => PrefectAuth::ApiKey(k),
        (Credential::AuthString, Some(k)) => PrefectAuth::AuthString(k),
        _ => PrefectAuth::None,
    };
    Ok(PrefectClient::new(&spec.prefect.api_url(), auth)?)
}

/// Reads the work pool into `observed`. An API that cannot be reached from here is a note
/// (a self-hosted server may be reachable only from inside the VPC); a refused credential
/// is an error, because the worker would be refused too.
pub async fn observe_pool(
    client: &PrefectClient,
    spec: &StackSpec,
    observed: &mut Observed,
) -> Result<(), EngineError> {
    match client.work_pool(&spec.work_pool).await {
        Ok(Some(pool)) => {
            observed.work_pool = Some(ObservedPool::Present {
                pool_type: pool.pool_type,
                template: pool.base_job_template,
            })
        }
        Ok(None) => observed.work_pool = Some(ObservedPool::Missing),
        Err(e @ PrefectError::Unreachable { .. }) => observed.work_pool_note = Some(e.to_string()),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Creates the work pool if needed and fills its defaults from what now exists.
pub async fn configure_pool(
    client: &PrefectClient,
    spec: &StackSpec,
    now: &Observed,
    assign_public_ip: bool,
    overwrite: bool,
    progress: &Progress,
) -> Result<(), EngineError> {
    let resource = Resource::WorkPool;
    let wanted = desired(spec, now, assign_public_ip)?.pool_defaults;
    let (template, exists) = match &now.work_pool {
        Some(ObservedPool::Present { template, .. }) => (template.clone(), true),
        Some(ObservedPool::Missing) => (client.default_ecs_template().await?, false),
        None => return Ok(()),
    };
    let (merged, fields) = merge_defaults(&template, &wanted, overwrite);
    if exists && !fields.iter().any(PoolField::changes_something) {
        let _ = progress.send(ProgressEvent::Unchanged {
            resource,
            name: spec.work_pool.clone(),
        });
        return Ok(());
    }
    let action = if exists {
        Action::Update
    } else {
        Action::Create
    };
    let _ = progress.send(ProgressEvent::Started {
        resource,
        action,
        name: spec.work_pool.clone(),
    });
    let started = std::time::Instant::now();
    let result = if exists {
        client
            .update_work_pool_template(&spec.work_pool, &merged)
            .await
    } else {
        client
            .create_work_pool(&spec.work_pool, &merged)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => {
            let set: Vec<String> = fields
                .iter()
                .filter(|f| f.changes_something())
                .map(|f| {
                    f.describe()
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            let _ = progress.send(ProgressEvent::Done {
                resource,
                action,
                elapsed: started.elapsed(),
                detail: Some(format!("defaults: {}", set.join(", "))),
            });
            Ok(())
        }
        Err(e) => {
            let _ = progress.send(ProgressEvent::Failed {
                resource,
                error: e.to_string(),
                hint: e.hint(),
            });
            Err(e.into())
        }
    }
}

/// Waits until `spec.desired_count` workers are ONLINE in the pool, heard from after
/// `since` (any ONLINE worker counts when `since` is `None`). Reports progress; on
/// timeout returns a diagnosis.
pub async fn online_gate(
    aws: &AwsContext,
    client: &PrefectClient,
    spec: &StackSpec,
    since: Option<std::time::SystemTime>,
    timeout: std::time::Duration,
    progress: &Progress,
) -> Result<Vec<String>, EngineError> {
    let want = spec.desired_count as usize;
    let started = std::time::Instant::now();
    let since_secs = since
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    loop {
        let workers = client.workers(&spec.work_pool).await?;
        let online: Vec<String> = workers
            .iter()
            .filter(|w| w.status == crate::prefect::WorkerStatus::Online)
            .filter(|w| {
                match (
                    since_secs,
                    w.last_heartbeat_time.as_deref().and_then(heartbeat_secs),
                ) {
                    (None, _) => true,
                    (Some(since), Some(beat)) => beat >= since,
                    (Some(_), None) => false,
                }
            })
            .map(|w| w.name.clone())
            .collect();
        if online.len() >= want {
            let _ = progress.send(ProgressEvent::Done {
                resource: Resource::WorkPool,
                action: Action::Noop,
                elapsed: started.elapsed(),
                detail: Some(format!("{} worker(s) online", online.len())),
            });
            return Ok(online);
        }
        if started.elapsed() >= timeout {
            let diagnosis = aws
                .diagnose(spec)
                .await
                .unwrap_or_else(|e| vec![format!("(could not read the tasks: {e})")]);
            return Err(EngineError::NotOnline {
                pool: spec.work_pool.clone(),
                online: online.len(),
                wanted: want,
                waited: timeout,
                diagnosis,
            });
        }
        let running = aws
            .service_tasks(spec.cluster.name(), &spec.names.service())
            .await
            .map(|t| t.len())
            .unwrap_or(0);
        let _ = progress.send(ProgressEvent::Note {
            resource: Resource::WorkPool,
            message: format!(
                "waiting for workers: {} of {want} online in pool {}; {running} task(s) running ({}s of {}s)",
                online.len(),
                spec.work_pool,
                started.elapsed().as_secs(),
                timeout.as_secs()
            ),
        });
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
}

/// Seconds since the epoch of a Prefect timestamp (RFC 3339, `Z` or `+00:00`).
pub fn heartbeat_secs(text: &str) -> Option<f64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let normalized = text.replace("+00:00", "Z");
    DateTime::from_str(&normalized, Format::DateTime)
        .ok()
        .map(|d| d.as_secs_f64())
}

/// Everything `status` and the monitor show about a running stack.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StackStatus {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub work_pool: String,
    pub service: Option<crate::aws::status::ServiceStatus>,
    pub tasks: Vec<crate::aws::status::TaskStatus>,
    pub workers: Vec<WorkerView>,
    pub flow_runs: Vec<crate::prefect::FlowRun>,
    /// What could not be read, in words (the rest is still shown).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkerView {
    pub name: String,
    pub status: String,
    /// Seconds since the last heartbeat.
    pub heartbeat_age: Option<u64>,
}

/// Reads the stack's state from ECS and Prefect; a source that fails is reported in
/// `errors` and the others are still read.
pub async fn stack_status(
    aws: &AwsContext,
    prefect: &PrefectClient,
    spec: &StackSpec,
    account: &str,
) -> StackStatus {
    let mut errors = Vec::new();
    let (service, tasks, workers, flow_runs) = tokio::join!(
        aws.service_status(spec),
        aws.task_statuses(spec, 5),
        prefect.workers(&spec.work_pool),
        prefect.flow_runs(&spec.work_pool, 10),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    StackStatus {
        stack: spec.names.stack.clone(),
        account: account.to_owned(),
        region: spec.region.clone(),
        cluster: spec.cluster.name().to_owned(),
        work_pool: spec.work_pool.clone(),
        service: service.unwrap_or_else(|e| {
            errors.push(format!("service: {e}"));
            None
        }),
        tasks: tasks.unwrap_or_else(|e| {
            errors.push(format!("tasks: {e}"));
            Vec::new()
        }),
        workers: workers
            .unwrap_or_else(|e| {
                errors.push(format!("workers: {e}"));
                Vec::new()
            })
            .into_iter()
            .map(|w| WorkerView {
                heartbeat_age: w
                    .last_heartbeat_time
                    .as_deref()
                    .and_then(heartbeat_secs)
                    .map(|t| (now - t).max(0.0) as u64),
                status: match w.status {
                    crate::prefect::WorkerStatus::Online => "ONLINE".to_owned(),
                    crate::prefect::WorkerStatus::Offline => "OFFLINE".to_owned(),
                },
                name: w.name,
            })
            .collect(),
        flow_runs: flow_runs.unwrap_or_else(|e| {
            errors.push(format!("flow runs: {e}"));
            Vec::new()
        }),
        errors,
    }
}

/// One line per resource of the stack: exists or not.
pub fn describe_existing(spec: &StackSpec, o: &Observed) -> String {
    let secret_state = match &o.secret {
        Some(s) if s.pending_deletion => "scheduled for deletion",
        Some(_) => "exists",
        None => "not created",
    };
    let mut out = String::from("What exists now:\n");
    if let Some(name) = &spec.secret_name {
        out.push_str(&format!(
            "  {:<17} {:<34} {secret_state}\n",
            "API key secret", name
        ));
    }
    let rows = [
        (
            "execution role",
            spec.names.execution_role(),
            o.execution_role.is_some(),
        ),
        (
            "worker task role",
            spec.names.task_role(),
            o.task_role.is_some(),
        ),
        ("log group", spec.names.log_group(), o.log_group.is_some()),
        (
            "ECS cluster",
            spec.cluster.name().to_owned(),
            o.cluster.as_ref().is_some_and(|c| c.active),
        ),
        (
            "security group",
            spec.names.security_group(),
            o.security_group.is_some(),
        ),
        (
            "task definition",
            spec.names.task_family(),
            o.task_definition.is_some(),
        ),
        (
            "ECS service",
            spec.names.service(),
            o.service.as_ref().is_some_and(|s| s.status != "INACTIVE"),
        ),
    ];
    for (label, name, exists) in rows {
        out.push_str(&format!(
            "  {:<17} {:<34} {}\n",
            label,
            name,
            if exists { "exists" } else { "not created" }
        ));
    }
    out.push_str(
        "Run the same deploy again to finish, or `prefect-tui destroy` to remove what exists.\n",
    );
    out
}
