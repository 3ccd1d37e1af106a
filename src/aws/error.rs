//! AWS failures, classified once at the bottom so callers can tell "not found" from
//! "throttled" from "denied" without parsing strings. Sentences and hints for people are
//! built from these fields at the edge (`hint()` is for that edge, not for logic).

use std::error::Error as StdError;

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What kind of failure an AWS call ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    Throttled,
    AccessDenied,
    /// The request was refused as malformed or invalid.
    Invalid,
    /// The credentials were refused (unknown key, expired token, bad signature).
    BadCredentials,
    /// No response: connection refused, DNS, timeout.
    Unreachable,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS credentials were found")]
    NoCredentials {
        /// The shared-config profile that was looked for, if one was named.
        profile: Option<String>,
        detail: String,
    },
    #[error("AWS profile '{name}' is not defined in the shared config or credentials files")]
    UnknownProfile { name: String, known: Vec<String> },
    #[error("AWS credentials could not be loaded: {detail}")]
    CredentialsUnusable { detail: String },
    #[error("no AWS region is set")]
    NoRegion,
    #[error("unknown AWS region '{region}'")]
    UnknownRegion {
        region: String,
        suggestion: Option<&'static str>,
    },
    #[error("{}", call_summary(.action, *.kind, .code.as_deref(), .message.as_deref()))]
    Call {
        /// `service:Operation`, the IAM action name of the call.
        action: &'static str,
        kind: ErrorKind,
        code: Option<String>,
        message: Option<String>,
    },
}

fn call_summary(
    action: &str,
    kind: ErrorKind,
    code: Option<&str>,
    message: Option<&str>,
) -> String {
    let what = match kind {
        ErrorKind::AccessDenied => format!("AWS denied {action}"),
        ErrorKind::Throttled => format!("AWS throttled {action}"),
        ErrorKind::Unreachable => format!("could not reach AWS for {action}"),
        ErrorKind::BadCredentials => format!("AWS refused the credentials for {action}"),
        _ => format!("{action} failed"),
    };
    match (code, message) {
        (Some(code), Some(message)) => format!("{what}: {code}: {message}"),
        (Some(code), None) => format!("{what}: {code}"),
        (None, Some(message)) => format!("{what}: {message}"),
        (None, None) => what,
    }
}

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];
const BAD_CREDENTIALS: &[&str] = &[
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "RequestExpired",
    "IncompleteSignature",
];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
];
const ALREADY_EXISTS: &[&str] = &[
    "EntityAlreadyExists",
    "ResourceExistsException",
    "ResourceAlreadyExistsException",
    "ResourceInUseException",
    // SQS, in its JSON protocol and its older query names.
    "QueueAlreadyExists",
    "QueueNameExists",
    "AWS.SimpleQueueService.QueueNameExists",
];
const SQS_NOT_FOUND: &[&str] = &[
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// Maps an AWS error code to its kind. Order matters: `InvalidVpcID.NotFound` is "not
/// found", `InvalidClientTokenId` is bad credentials, and only then is `Invalid*` invalid.
pub fn classify_code(code: &str) -> ErrorKind {
    if DENIED.contains(&code) {
        ErrorKind::AccessDenied
    } else if BAD_CREDENTIALS.contains(&code) {
        ErrorKind::BadCredentials
    } else if THROTTLED.contains(&code) {
        ErrorKind::Throttled
    } else if code.ends_with("NotFound")
        || code.ends_with("NotFoundException")
        || code == "NoSuchEntity"
        || code == "ResourceNotFoundException"
        || SQS_NOT_FOUND.contains(&code)
    {
        ErrorKind::NotFound
    } else if ALREADY_EXISTS.contains(&code) || code.ends_with(".Duplicate") {
        ErrorKind::AlreadyExists
    } else if code.starts_with("Invalid")
        || code.starts_with("Validation")
        || code.starts_with("Missing")
        || code == "OptInRequired"
    {
        ErrorKind::Invalid
    } else {
        ErrorKind::Other
    }
}

/// The innermost error's text ("Connection refused (os error 111)"): the layers above a
/// dispatch failure only say "dispatch failure: io error: client error".
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

impl AwsError {
    /// Classifies any SDK error from the call named by `action` (`ec2:DescribeVpcs`).
    pub fn from_sdk<E, R>(action: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let (kind, code, message) = match &err {
            SdkError::TimeoutError(_) => (
                ErrorKind::Unreachable,
                None,
                Some("the request timed out".to_owned()),
            ),
            SdkError::DispatchFailure(_) => (ErrorKind::Unreachable, None, Some(root_cause(&err))),
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => match err.code() {
                Some(code) => (
                    classify_code(code),
                    Some(code.to_owned()),
                    err.message().map(str::to_owned),
                ),
                None => (
                    ErrorKind::Other,
                    None,
                    Some(DisplayErrorContext(&err).to_string()),
                ),
            },
            _ => (
                ErrorKind::Other,
                None,
                Some(DisplayErrorContext(&err).to_string()),
            ),
        };
        AwsError::Call {
            action,
            kind,
            code,
            message,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            AwsError::Call { kind, .. } => *kind,
            AwsError::NoCredentials { .. }
            | AwsError::UnknownProfile { .. }
            | AwsError::CredentialsUnusable { .. } => ErrorKind::BadCredentials,
            AwsError::NoRegion | AwsError::UnknownRegion { .. } => ErrorKind::Invalid,
        }
    }

    /// True when the user can fix this by changing what they passed or configured, which
    /// the command line reports with exit code 2.
    pub fn is_bad_input(&self) -> bool {
        match self {
            AwsError::NoCredentials { .. }
            | AwsError::UnknownProfile { .. }
            | AwsError::CredentialsUnusable { .. }
            | AwsError::NoRegion
            | AwsError::UnknownRegion { .. } => true,
            AwsError::Call { kind, .. } => {
                matches!(kind, ErrorKind::BadCredentials | ErrorKind::Invalid)
            }
        }
    }

    /// What the user can do about it, for the CLI's stderr and the TUI's popups.
    pub fn hint(&self) -> Option<String> {
        match self {
            AwsError::NoCredentials { profile, .. } => {
                let looked = match profile {
                    Some(p) => format!("profile '{p}' in ~/.aws/config and ~/.aws/credentials"),
                    None => "the default profile in ~/.aws/config and ~/.aws/credentials".to_owned(),
                };
                Some(format!(
                    "Tried, in order: the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), \
                     {looked} (keys, SSO, assume-role, credential_process), a web identity token \
                     (AWS_WEB_IDENTITY_TOKEN_FILE), ECS container credentials, and EC2 instance \
                     metadata.\nProvide one: run `aws configure` or `aws sso login --profile NAME` \
                     and pass `--aws-profile NAME`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
                ))
            }
            AwsError::UnknownProfile { known, .. } => Some(if known.is_empty() {
                "No profiles are defined (looked in AWS_CONFIG_FILE / ~/.aws/config and \
                 AWS_SHARED_CREDENTIALS_FILE / ~/.aws/credentials). Create one with \
                 `aws configure --profile NAME`, or leave out --aws-profile and AWS_PROFILE."
                    .to_owned()
            } else {
                format!(
                    "Profiles defined here: {}. Check the spelling of --aws-profile or AWS_PROFILE.",
                    known.join(", ")
                )
            }),
            AwsError::CredentialsUnusable { .. } => Some(
                "Check the profile in ~/.aws/config (`aws configure list --profile NAME` shows what it resolves to); \
                 for SSO, run `aws sso login`."
                    .to_owned(),
            ),
            AwsError::NoRegion => Some(
                "Pass --region (for example --region us-east-1), export AWS_REGION, or set \
                 `region` in the profile's section of ~/.aws/config."
                    .to_owned(),
            ),
            // The nearest code, not the whole list: a typo is one edit away from its fix.
            AwsError::UnknownRegion { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("Did you mean {s}?"),
                None => "Use a region code such as us-east-1, eu-west-1 or ap-southeast-2."
                    .to_owned(),
            }),
            AwsError::Call { action, kind, .. } => match kind {
                ErrorKind::AccessDenied => Some(format!(
                    "The identity in use is not allowed to call {action}. Ask an administrator \
                     to allow `{action}` for it, or use a profile that has it (--aws-profile)."
                )),
                ErrorKind::BadCredentials => Some(
                    "The credentials are unknown, expired or wrong. Refresh them (`aws sso login`, \
                     or new access keys) and try again."
                        .to_owned(),
                ),
                ErrorKind::Throttled => Some(
                    "AWS is rate-limiting this account. Wait a minute and try again.".to_owned(),
                ),
                ErrorKind::Unreachable => Some(
                    "Check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL if set."
                        .to_owned(),
                ),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_by_kind_not_by_prefix_alone() {
        let table = [
            ("InvalidVpcID.NotFound", ErrorKind::NotFound),
            ("InvalidSubnetID.NotFound", ErrorKind::NotFound),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("NoSuchEntity", ErrorKind::NotFound),
            ("ClusterNotFoundException", ErrorKind::NotFound),
            ("UnauthorizedOperation", ErrorKind::AccessDenied),
            ("AccessDenied", ErrorKind::AccessDenied),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("InvalidClientTokenId", ErrorKind::BadCredentials),
            ("AuthFailure", ErrorKind::BadCredentials),
            ("ExpiredToken", ErrorKind::BadCredentials),
            ("RequestLimitExceeded", ErrorKind::Throttled),
            ("ThrottlingException", ErrorKind::Throttled),
            ("Throttling", ErrorKind::Throttled),
            ("EntityAlreadyExists", ErrorKind::AlreadyExists),
            ("InvalidPermission.Duplicate", ErrorKind::AlreadyExists),
            ("InvalidParameterValue", ErrorKind::Invalid),
            ("ValidationError", ErrorKind::Invalid),
            ("InternalError", ErrorKind::Other),
        ];
        for (code, kind) in table {
            assert_eq!(classify_code(code), kind, "code {code}");
        }
    }

    #[test]
    fn denied_call_names_the_action_in_message_and_hint() {
        let err = AwsError::Call {
            action: "ec2:DescribeRouteTables",
            kind: ErrorKind::AccessDenied,
            code: Some("UnauthorizedOperation".into()),
            message: Some("not authorized".into()),
        };
        assert!(
            err.to_string()
                .starts_with("AWS denied ec2:DescribeRouteTables")
        );
        assert!(
            err.hint()
                .unwrap_or_default()
                .contains("`ec2:DescribeRouteTables`")
        );
        assert!(!err.is_bad_input());
    }
}
