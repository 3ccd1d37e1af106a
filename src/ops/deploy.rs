//! Deploy, the whole operation: `prepare` reads everything and plans (no write); `deploy`
//! then checks the credential, applies the plan with progress, fills the work pool's
//! defaults and waits at the online gate. The `deploy` command, the wizard and the line
//! prompts all call these two, so a deploy behaves and fails the same from each.
//!
//! `prepare` does only reads: identity, the profile's network (checked, and its egress
//! verdicts deciding the public IP), and the stack as it exists; then the pure `plan`.

use std::time::{Duration, SystemTime};

use crate::aws::{ApplyError, ApplyOutcome, AwsContext, AwsSettings, Identity};
use crate::network::{Egress, Layout, promised_egress, subnet_verdict};
use crate::prefect::PrefectClient;
use crate::secret::SecretValue;
use crate::stack::desired::{Desired, desired};
use crate::stack::network::{ObservedNetwork, network_changes};
use crate::stack::observed::Observed;
use crate::stack::plan::{Action, Plan, Resource, plan};
use crate::stack::{StackSpec, assign_public_ip, endpoints_image_problem, is_regional_ecr};

use super::OpsError;
use super::connect::prefect_client;
use super::exists::{self, WhatExists};
use super::gate::{GateError, NotOnline, online_gate};
use super::pool::{configure_pool, observe_pool};
use super::progress::{Progress, ProgressEvent, emit};

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
    /// The profile's spec, in the VPC and subnets of the stack's own network once they
    /// exist (the profile's spec itself when it brings its network).
    pub spec: StackSpec,
    /// The stack's own network's range and subnets, when the profile makes one.
    pub layout: Option<Layout>,
}

impl Prepared {
    /// Whether the stack's own network has parts to make first.
    pub fn network_pending(&self) -> bool {
        self.layout.is_some()
            && self
                .plan
                .changes
                .iter()
                .any(|c| is_network(c.resource) && c.action != Action::Noop)
    }
}

/// The plan rows of the stack's own network.
pub fn is_network(resource: Resource) -> bool {
    matches!(
        resource,
        Resource::Vpc
            | Resource::Subnets
            | Resource::InternetGateway
            | Resource::NatGateway
            | Resource::RouteTables
            | Resource::VpcEndpoints
    )
}

/// For a profile that makes its network: reads what exists of it, decides its range (a
/// clash is bad input), and returns the spec in its VPC and subnets when they exist.
async fn resolve_network(
    aws: &AwsContext,
    spec: &StackSpec,
) -> Result<(StackSpec, Option<(ObservedNetwork, Layout)>), OpsError> {
    let Some(owned) = &spec.owned_network else {
        return Ok((spec.clone(), None));
    };
    let net = aws.observe_stack_network(&spec.names.stack).await?;
    let layout =
        crate::stack::network::layout(owned, &net).map_err(|message| OpsError::BadInput {
            message,
            hint: "Fix `create` or `cidr` under [network] in the profile.".to_owned(),
        })?;
    let mut resolved = spec.clone();
    if let Some(vpc) = &net.vpc {
        resolved.vpc_id = vpc.id.clone();
        resolved.subnet_ids = net.worker_subnet_ids(&layout).unwrap_or_default();
    }
    Ok((resolved, Some((net, layout))))
}

/// Checks the profile's VPC and subnets against the account and judges each subnet.
pub async fn check_network(
    aws: &AwsContext,
    spec: &StackSpec,
    identity: &Identity,
) -> Result<Vec<(String, Egress)>, OpsError> {
    let net = aws.network_snapshot(Some(&spec.vpc_id)).await?;
    if net.vpcs.is_empty() {
        return Err(OpsError::BadInput {
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
        return Err(OpsError::BadInput {
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
) -> Result<Prepared, OpsError> {
    let aws = super::connect::aws_for(settings, spec).await?;
    prepare_in(aws, spec, key, overwrite_pool_defaults).await
}

/// `prepare` with a context built elsewhere (tests and benchmarks that bring their own
/// credentials).
pub async fn prepare_in(
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<&SecretValue>,
    overwrite_pool_defaults: bool,
) -> Result<Prepared, OpsError> {
    let identity = aws.identity().await?;
    let (resolved, network) = Box::pin(resolve_network(&aws, spec)).await?;
    let spec = &resolved;
    // A network still to be made is judged by what its shape promises; once made, by
    // discovery like any other (so a route removed by hand shows).
    let promised = network.as_ref().and_then(|(net, layout)| {
        let complete = network_changes(
            &spec.names,
            layout,
            net,
            net.taken.len(),
            spec.desired_count,
        )
        .iter()
        .all(|c| c.action == Action::Noop);
        (!complete).then(|| {
            layout
                .worker_subnets()
                .map(|s| {
                    (
                        format!("{} (to be made)", s.role),
                        promised_egress(layout.shape),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let (verdicts, mut observed) = match promised {
        Some(verdicts) => (
            verdicts,
            aws.observe(spec, &identity, key)
                .await
                .map_err(OpsError::from)?,
        ),
        None => tokio::try_join!(check_network(&aws, spec, &identity), async {
            aws.observe(spec, &identity, key)
                .await
                .map_err(OpsError::from)
        },)?,
    };
    let layout = network.map(|(net, layout)| {
        observed.network = Some(net);
        layout
    });
    if verdicts.iter().any(|(_, e)| *e == Egress::Endpoints)
        && !is_regional_ecr(&spec.image, &spec.region)
    {
        return Err(OpsError::BadInput {
            message: format!(
                "the worker's subnets reach AWS only through VPC endpoints: {}",
                endpoints_image_problem(&spec.image, &spec.region)
            ),
            hint: "Set `image` under [worker] to an ECR image in the stack's region, or choose \
                   subnets marked nat or public."
                .to_owned(),
        });
    }
    let public_ip =
        assign_public_ip(spec.public_ip, &verdicts).map_err(|message| OpsError::BadInput {
            message,
            hint: "Change `subnet_ids` or `public_ip` under [network] in the profile.".to_owned(),
        })?;
    let (prefect, credential) = prefect_client(&aws, spec, &observed, key).await?;
    observe_pool(&prefect, spec, credential, &mut observed).await?;
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
        spec: resolved,
        layout,
    })
}

/// How a deploy runs once planned.
#[derive(Debug, Clone, Copy)]
pub struct DeployOptions<'a> {
    /// The credential for a new secret (or a new version of it).
    pub key: Option<&'a SecretValue>,
    /// Replace pool defaults that someone set by hand.
    pub overwrite_pool_defaults: bool,
    /// Wait for the workers at the online gate this long; `None` returns once AWS and
    /// Prefect accepted the changes.
    pub gate_timeout: Option<Duration>,
}

/// What a deploy did.
#[derive(Debug, Clone)]
pub struct DeployReport {
    /// The apply's outcome; `None` when the plan had nothing to change.
    pub applied: Option<ApplyOutcome>,
    pub online: Online,
}

/// Where the deploy left the workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Online {
    /// These workers are online, heard from after the deploy.
    Workers(Vec<String>),
    /// Not waited for, as asked.
    NotWaited,
    /// Not waited for: the Prefect API cannot be reached from here (the note says why).
    Unreachable(String),
}

/// Why a deploy stopped, with what exists after it where something may have been made.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A new secret is needed and no credential was given to put in it. Nothing was written.
    #[error("the secret {secret} does not exist yet, and no API key was given")]
    MissingKey { secret: String, var: &'static str },
    #[error("{error}")]
    Apply {
        error: ApplyError,
        existing: WhatExists,
    },
    #[error("{error}")]
    Pool {
        error: OpsError,
        existing: WhatExists,
    },
    #[error(transparent)]
    NotOnline(#[from] NotOnline),
}

/// Refuses, before anything is written, a plan that creates the secret without a key.
pub fn check_key(
    prepared: &Prepared,
    spec: &StackSpec,
    key: Option<&SecretValue>,
) -> Result<(), DeployError> {
    if prepared.plan.action(Resource::Secret) == Action::Create && key.is_none() {
        return Err(DeployError::MissingKey {
            secret: spec.secret_name.clone().unwrap_or_default(),
            var: spec.credential.env_name().unwrap_or("PREFECT_API_KEY"),
        });
    }
    Ok(())
}

/// Runs a prepared deploy: the plan's changes (none when it is a no-op), the work pool's
/// defaults, then the online gate. On a failure that may have left something made, the
/// error carries what exists, read back from AWS.
pub async fn deploy(
    prepared: &Prepared,
    spec: &StackSpec,
    options: DeployOptions<'_>,
    progress: &Progress,
) -> Result<DeployReport, DeployError> {
    check_key(prepared, spec, options.key)?;
    let (Some(layout), true) = (&prepared.layout, prepared.network_pending()) else {
        return Box::pin(deploy_stack(prepared, options, progress)).await;
    };
    // The network first; then everything else is planned again inside it (the rows shown
    // are the same: what did not exist before the network does not exist in it either).
    let empty = ObservedNetwork::default();
    let net = prepared.observed.network.as_ref().unwrap_or(&empty);
    // Boxed, like the rest below: the futures are large, and a test's thread stack small.
    if let Err(failure) =
        Box::pin(
            prepared
                .aws
                .apply_network(&prepared.spec, layout, net, &prepared.plan, progress),
        )
        .await
    {
        let existing = exists::read(&prepared.aws, &prepared.spec, &prepared.identity).await;
        return Err(DeployError::Apply {
            error: ApplyError::Failed {
                failures: vec![failure],
            },
            existing,
        });
    }
    let again = match Box::pin(prepare_in(
        prepared.aws.clone(),
        spec,
        options.key,
        options.overwrite_pool_defaults,
    ))
    .await
    {
        Ok(again) => again,
        Err(error) => {
            let existing = exists::read(&prepared.aws, &prepared.spec, &prepared.identity).await;
            return Err(DeployError::Pool { error, existing });
        }
    };
    Box::pin(deploy_stack(&again, options, progress)).await
}

/// `deploy` once the stack's network (if it makes one) exists.
async fn deploy_stack(
    prepared: &Prepared,
    options: DeployOptions<'_>,
    progress: &Progress,
) -> Result<DeployReport, DeployError> {
    let spec = &prepared.spec;
    let mut since: Option<SystemTime> = None;
    let applied = if prepared.plan.is_noop() {
        None
    } else {
        let outcome = prepared
            .aws
            .apply(
                spec,
                &prepared.observed,
                &prepared.plan,
                prepared.assign_public_ip,
                options.key,
                progress,
            )
            .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(ApplyError::KeyRequired { secret }) => {
                return Err(DeployError::MissingKey {
                    secret,
                    var: spec.credential.env_name().unwrap_or("PREFECT_API_KEY"),
                });
            }
            Err(error) => {
                let existing = exists::read(&prepared.aws, spec, &prepared.identity).await;
                return Err(DeployError::Apply { error, existing });
            }
        };
        let mut now = outcome.observed.clone();
        now.work_pool = prepared.observed.work_pool.clone();
        if let Err(error) = configure_pool(
            &prepared.prefect,
            spec,
            &now,
            prepared.assign_public_ip,
            options.overwrite_pool_defaults,
            progress,
        )
        .await
        {
            let existing = exists::read(&prepared.aws, spec, &prepared.identity).await;
            return Err(DeployError::Pool { error, existing });
        }
        since = outcome.started_at;
        Some(outcome)
    };
    emit(progress, ProgressEvent::Applied { started_at: since });
    let online = match (options.gate_timeout, &prepared.observed.work_pool_note) {
        (None, _) => Online::NotWaited,
        (Some(_), Some(note)) => Online::Unreachable(note.clone()),
        (Some(timeout), None) => {
            match online_gate(
                &prepared.aws,
                &prepared.prefect,
                spec,
                since,
                timeout,
                progress,
            )
            .await
            {
                Ok(workers) => Online::Workers(workers),
                Err(GateError::NotOnline(e)) => return Err(e.into()),
                Err(GateError::Ops(error)) => {
                    let existing = exists::read(&prepared.aws, spec, &prepared.identity).await;
                    return Err(DeployError::Pool { error, existing });
                }
            }
        }
    };
    Ok(DeployReport { applied, online })
}
