//! Opening a CloudWatch Logs live tail session (StartLiveTail, an event stream).
//!
//! Only the opening is here: whether the endpoint gives a session at all, and why not in
//! words when it does not. The session's events go through `LogTail::admit_live`.
//!
//! Not every endpoint offers live tail (moto's server, for one, answers StartLiveTail with
//! a plain JSON document instead of an event stream). So a session counts as open only
//! once its first event arrived; anything else is a reason to poll instead.

use std::time::Duration;

use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_sdk_cloudwatchlogs::types::error::StartLiveTailResponseStreamError;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::event_stream::RawMessage;

use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::stack::names::LOG_STREAM_PREFIX;

/// How long a new session may take to say it started.
const START_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) type Stream = aws_sdk_cloudwatchlogs::primitives::event_stream::EventReceiver<
    StartLiveTailResponseStream,
    StartLiveTailResponseStreamError,
>;
pub(super) type StreamError = SdkError<StartLiveTailResponseStreamError, RawMessage>;

/// Why no session was opened.
#[derive(Debug)]
pub(super) enum Refused {
    /// The log group does not exist (yet): nothing to tail, by any means.
    NoGroup,
    /// Live tail is not available here; the text says why, for people.
    Unavailable(String),
}

/// An open session, and an update that arrived with its start, if any.
pub(super) struct Session {
    pub stream: Stream,
    pub first: Option<StartLiveTailResponseStream>,
}

/// Starts a live tail of the group's worker streams.
pub(super) async fn open(aws: &AwsContext, group: &str) -> Result<Session, Refused> {
    let arn = group_arn(aws, group).await?;
    let mut request = aws
        .logs
        .start_live_tail()
        .log_group_identifiers(arn)
        .log_stream_name_prefixes(format!("{LOG_STREAM_PREFIX}/"))
        .customize();
    if let Some(url) = aws.sdk.endpoint_url() {
        request = request.interceptor(EndpointAsGiven {
            endpoint: url.to_owned(),
        });
    }
    let mut stream = request
        .send()
        .await
        .map_err(|e| refusal(AwsError::from_sdk("logs:StartLiveTail", e)))?
        .response_stream;
    match tokio::time::timeout(START_TIMEOUT, stream.recv()).await {
        Ok(Ok(Some(StartLiveTailResponseStream::SessionStart(_)))) => Ok(Session {
            stream,
            first: None,
        }),
        Ok(Ok(Some(other))) => Ok(Session {
            stream,
            first: Some(other),
        }),
        Ok(Ok(None)) => Err(Refused::Unavailable(
            "the endpoint ended the live tail session before it started".to_owned(),
        )),
        Ok(Err(e)) => Err(Refused::Unavailable(format!(
            "the endpoint's answer to StartLiveTail is not a live tail session ({})",
            describe_stream_error(&e)
        ))),
        Err(_) => Err(Refused::Unavailable(format!(
            "no live tail session started within {} s",
            START_TIMEOUT.as_secs()
        ))),
    }
}

/// Live tail names log groups by ARN; the group's own description has it.
async fn group_arn(aws: &AwsContext, group: &str) -> Result<String, Refused> {
    let found = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("logs:DescribeLogGroups", e))
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => Refused::NoGroup,
            _ => Refused::Unavailable(format!("could not read the log group's ARN: {e}")),
        })?;
    let group = found
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group))
        .ok_or(Refused::NoGroup)?;
    // `arn` ends in ":*" (the form IAM policies use); live tail wants it without.
    group
        .log_group_arn()
        .map(str::to_owned)
        .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
        .ok_or_else(|| Refused::Unavailable("the log group has no ARN".to_owned()))
}

fn refusal(e: AwsError) -> Refused {
    match e.kind() {
        ErrorKind::NotFound => Refused::NoGroup,
        ErrorKind::AccessDenied => Refused::Unavailable(format!(
            "this identity may not call logs:StartLiveTail ({e})"
        )),
        _ => Refused::Unavailable(e.to_string()),
    }
}

/// A failure inside a session, in words.
pub(super) fn describe_stream_error(e: &StreamError) -> String {
    match e {
        SdkError::ServiceError(service) => match service.err() {
            StartLiveTailResponseStreamError::SessionTimeoutException(_) => {
                "the session reached its time limit".to_owned()
            }
            other => other.to_string(),
        },
        other => aws_sdk_cloudwatchlogs::error::DisplayErrorContext(other).to_string(),
    }
}

/// True when the session ended only because sessions have a time limit (three hours).
pub(super) fn timed_out(e: &StreamError) -> bool {
    matches!(
        e,
        SdkError::ServiceError(s)
            if matches!(s.err(), StartLiveTailResponseStreamError::SessionTimeoutException(_))
    )
}

/// StartLiveTail is sent to a `stream-` host prefixed to the endpoint. With an endpoint
/// URL the user gave (`--endpoint-url`: an emulator, a proxy), that prefix turns
/// `127.0.0.1` into a host that does not exist; the URL is used as given instead, like
/// every other call. Runs before signing, so the signature covers the host that is used.
#[derive(Debug)]
struct EndpointAsGiven {
    endpoint: String,
}

impl Intercept for EndpointAsGiven {
    fn name(&self) -> &'static str {
        "prefect-tui-endpoint-as-given"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri().to_owned();
        let given_host = self.endpoint.split("://").nth(1).unwrap_or_default();
        if let Some((scheme, rest)) = uri.split_once("://")
            && let Some(unprefixed) = rest.strip_prefix("stream-")
            && unprefixed.starts_with(given_host.trim_end_matches('/'))
            && !given_host.starts_with("stream-")
        {
            request.set_uri(format!("{scheme}://{unprefixed}"))?;
        }
        Ok(())
    }
}
