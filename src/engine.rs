//! The operations every front end shares: the plain commands (`plan`, `deploy`,
//! `destroy`) and the wizard call these, so there is one way to provision a stack.
//!
//! `prepare` does only reads: identity, the profile's network (checked, and its egress
//! verdicts deciding the public IP), and the stack as it exists; then the pure `plan`.

use crate::aws::{AwsContext, AwsError, AwsSettings, Identity};
use crate::network::{Egress, subnet_verdict};
use crate::secret::SecretValue;
use crate::stack::desired::{Desired, desired};
use crate::stack::observed::Observed;
use crate::stack::plan::{Plan, PlanConflicts, plan};
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
) -> Result<Prepared, EngineError> {
    let aws = AwsContext::load(&aws_settings_for(spec, settings)?).await?;
    prepare_in(aws, spec, key).await
}

/// `prepare` with a context built elsewhere (tests and benchmarks that bring their own
/// credentials).
pub async fn prepare_in(
    aws: AwsContext,
    spec: &StackSpec,
    key: Option<&SecretValue>,
) -> Result<Prepared, EngineError> {
    let identity = aws.identity().await?;
    let (verdicts, observed) = tokio::try_join!(check_network(&aws, spec, &identity), async {
        aws.observe(spec, &identity, key)
            .await
            .map_err(EngineError::from)
    },)?;
    let public_ip =
        assign_public_ip(spec.public_ip, &verdicts).map_err(|message| EngineError::BadInput {
            message,
            hint: "Change `subnet_ids` or `public_ip` under [network] in the profile.".to_owned(),
        })?;
    let desired = desired(spec, &observed, public_ip)?;
    let plan = plan(spec, &observed, &desired)?;
    Ok(Prepared {
        aws,
        identity,
        observed,
        desired,
        plan,
        assign_public_ip: public_ip,
        verdicts,
    })
}
