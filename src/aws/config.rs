//! One `SdkConfig` for the whole run, from the standard credential chain and the global
//! flags, and the clients built from it once (clients are costly to build, cheap to clone).

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use super::{AwsError, CallCounter};
use crate::stack::regions;

/// Attempts per AWS call, the first included (see `AwsContext::load`).
pub const MAX_ATTEMPTS: u32 = 8;

/// What the command line (or a profile) says about where to find AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// A profile in the shared config files; `None` follows AWS_PROFILE, then `default`.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Overrides every service endpoint (emulators); `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
}

/// The resolved configuration and its clients. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsContext {
    pub sdk: SdkConfig,
    pub region: String,
    pub calls: CallCounter,
    pub(super) ec2: aws_sdk_ec2::Client,
    pub(super) sts: aws_sdk_sts::Client,
    pub(super) ecs: aws_sdk_ecs::Client,
    pub(super) iam: aws_sdk_iam::Client,
    pub(super) secrets: aws_sdk_secretsmanager::Client,
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    pub(super) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(super) sqs: aws_sdk_sqs::Client,
    pub(super) events: aws_sdk_eventbridge::Client,
    pub(super) sns: aws_sdk_sns::Client,
    pub(super) autoscaling: aws_sdk_applicationautoscaling::Client,
}

impl AwsContext {
    /// Loads configuration, checks the region, and resolves credentials once up front so a
    /// missing credential is reported as such rather than as the first call's failure.
    pub async fn load(settings: &AwsSettings) -> Result<Self, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // The standard retry mode, with more attempts than its default of 3: at a 20%
        // failure rate (throttling, 5xx, dropped connections) three attempts leave about
        // one call in 125 failed, and a deploy makes dozens; eight leave one in 390,000.
        // The backoff stays the SDK's (exponential with jitter, capped at 20 s), and so
        // does its retry quota. `AWS_MAX_ATTEMPTS` / `AWS_RETRY_MODE` still decide when set.
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
            && std::env::var_os("AWS_RETRY_MODE").is_none()
        {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        }
        let sdk = loader.load().await;

        let region = sdk
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or(AwsError::NoRegion)?;
        if !regions::is_known(&region) {
            return Err(AwsError::UnknownRegion {
                suggestion: regions::suggest(&region),
                region,
            });
        }

        let profile = settings
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok());
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| AwsError::NoCredentials {
                profile: profile.clone(),
                detail: "no credential provider is configured".to_owned(),
            })?;
        provider
            .provide_credentials()
            .await
            .map_err(|e| credentials_error(e, profile))?;
        Ok(Self::from_sdk_config(sdk, region))
    }

    /// Builds the clients from a configuration resolved elsewhere (tests and benchmarks
    /// that bring their own credentials). Does no I/O.
    pub fn from_sdk_config(sdk: SdkConfig, region: String) -> Self {
        let calls = CallCounter::default();
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let ecs = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let secrets = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let autoscaling = aws_sdk_applicationautoscaling::Client::from_conf(
            aws_sdk_applicationautoscaling::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        Self {
            sdk,
            region,
            calls,
            sqs,
            events,
            sns,
            autoscaling,
            ec2,
            sts,
            ecs,
            iam,
            secrets,
            logs,
            cloudwatch,
        }
    }
}

fn credentials_error(err: CredentialsError, profile: Option<String>) -> AwsError {
    let detail = aws_sdk_ec2::error::DisplayErrorContext(&err).to_string();
    match err {
        CredentialsError::CredentialsNotLoaded(_) => {
            // The chain reports a misspelt profile as "no credentials"; say what is wrong.
            if let Some(name) = &profile {
                let known = super::profiles::shared_profile_names();
                if !known.contains(name) {
                    return AwsError::UnknownProfile {
                        name: name.clone(),
                        known,
                    };
                }
            }
            AwsError::NoCredentials { profile, detail }
        }
        _ => AwsError::CredentialsUnusable { detail },
    }
}
