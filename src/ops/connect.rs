//! A stack's context: the AWS settings a profile implies, the account, what of the stack
//! exists, and a Prefect client with the credential the worker uses. `status`, `monitor`,
//! `destroy` and `logs` start from here.

use crate::aws::{AwsContext, AwsSettings, Identity};
use crate::prefect::{PrefectAuth, PrefectClient};
use crate::profile::Credential;
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::observed::Observed;

use super::OpsError;

/// Everything a read or a change of one stack starts from.
#[derive(Debug, Clone)]
pub struct StackContext {
    pub aws: AwsContext,
    pub identity: Identity,
    pub observed: Observed,
    pub prefect: PrefectClient,
    /// Where the Prefect client's credential came from.
    pub credential: CredentialSource,
}

/// Where the credential for the Prefect API came from, so a refusal can name the real cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// Given on this run (environment, standard input, the wizard's field).
    Given,
    /// Read from the stack's secret.
    Stored,
    /// None: the profile needs none.
    NotNeeded,
    /// None given, and the stack's secret does not exist.
    SecretMissing,
    /// None given, and the stack's secret is scheduled for deletion (after a destroy).
    SecretPendingDeletion,
}

/// AWS settings for a profile: the profile's region is authoritative (the stack lives
/// there); `--aws-profile` and `--endpoint-url` from the command line win.
pub fn aws_settings_for(spec: &StackSpec, flags: &AwsSettings) -> Result<AwsSettings, OpsError> {
    if let Some(region) = &flags.region
        && region != &spec.region
    {
        return Err(OpsError::BadInput {
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

/// The AWS context for a profile's stack.
pub async fn aws_for(flags: &AwsSettings, spec: &StackSpec) -> Result<AwsContext, OpsError> {
    Ok(AwsContext::load(&aws_settings_for(spec, flags)?).await?)
}

/// Reads who we are and what of the stack exists, and makes the Prefect client.
pub async fn connect(flags: &AwsSettings, spec: &StackSpec) -> Result<StackContext, OpsError> {
    let aws = aws_for(flags, spec).await?;
    let identity = aws.identity().await?;
    let observed = aws.observe(spec, &identity, None).await?;
    let (prefect, credential) = prefect_client(&aws, spec, &observed, None).await?;
    Ok(StackContext {
        aws,
        identity,
        observed,
        prefect,
        credential,
    })
}

/// What the monitor needs before its first frame: who we are and a Prefect client with the
/// stack's stored credential, from three calls (the identity and the secret's description
/// at once, then its value) rather than a read of the whole stack, which the monitor makes
/// itself with its first frame on screen.
pub struct Watching {
    pub aws: AwsContext,
    pub identity: Identity,
    pub prefect: PrefectClient,
}

pub async fn connect_to_watch(flags: &AwsSettings, spec: &StackSpec) -> Result<Watching, OpsError> {
    let aws = aws_for(flags, spec).await?;
    let (identity, secret) = tokio::join!(aws.identity(), aws.observe_secret(spec, None));
    let identity = identity?;
    // Only the secret is read here: the client below looks at nothing else.
    let observed = Observed {
        secret: secret?,
        ..Observed::default()
    };
    let (prefect, _) = prefect_client(&aws, spec, &observed, None).await?;
    Ok(Watching {
        aws,
        identity,
        prefect,
    })
}

/// A client for the profile's Prefect API with the credential the worker will use: the one
/// supplied, else the one stored in the stack's secret.
pub async fn prefect_client(
    aws: &AwsContext,
    spec: &StackSpec,
    observed: &Observed,
    key: Option<&SecretValue>,
) -> Result<(PrefectClient, CredentialSource), OpsError> {
    let (credential, source) = match (key, &observed.secret) {
        _ if spec.credential == Credential::None => (None, CredentialSource::NotNeeded),
        (Some(key), _) => (Some(key.clone()), CredentialSource::Given),
        (None, Some(secret)) if secret.owned && !secret.pending_deletion => {
            match aws.read_secret(&secret.arn).await? {
                Some(stored) => (Some(stored), CredentialSource::Stored),
                None => (None, CredentialSource::SecretMissing),
            }
        }
        (None, Some(secret)) if secret.pending_deletion => {
            (None, CredentialSource::SecretPendingDeletion)
        }
        (None, _) => (None, CredentialSource::SecretMissing),
    };
    let auth = match (spec.credential, credential) {
        (Credential::ApiKey, Some(k)) => PrefectAuth::ApiKey(k),
        (Credential::AuthString, Some(k)) => PrefectAuth::AuthString(k),
        _ => PrefectAuth::None,
    };
    Ok((PrefectClient::new(&spec.prefect.api_url(), auth)?, source))
}
