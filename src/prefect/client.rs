//! The HTTP client and its errors.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::secret::SecretValue;

/// How requests prove who they are.
#[derive(Clone)]
pub enum PrefectAuth {
    /// Prefect Cloud, or a server with API keys: `Authorization: Bearer <key>`.
    ApiKey(SecretValue),
    /// A self-hosted server behind basic auth (`PREFECT_API_AUTH_STRING`, `user:password`).
    AuthString(SecretValue),
    None,
}

impl fmt::Debug for PrefectAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrefectAuth::ApiKey(_) => "ApiKey(<redacted>)",
            PrefectAuth::AuthString(_) => "AuthString(<redacted>)",
            PrefectAuth::None => "None",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrefectError {
    #[error("the Prefect API at {url} cannot be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the Prefect API at {url} rejected the credential (HTTP 401)")]
    Rejected { url: String },
    #[error(
        "the Prefect API at {url} answered {status}: this workspace is not in the account the key belongs to, or does not exist"
    )]
    WorkspaceNotFound { url: String, status: u16 },
    #[error("the Prefect API at {url} answered {status}: {detail}")]
    Http {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("the Prefect API at {url} sent an answer that could not be read: {detail}")]
    Decode { url: String, detail: String },
}

impl PrefectError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            PrefectError::Unreachable { .. } => {
                "Check the URL, your network, and that the server is running (self-hosted: \
                 `prefect server start`; its API URL ends in /api)."
                    .to_owned()
            }
            PrefectError::Rejected { .. } => {
                "Create a new API key in Prefect (Settings > API keys), or check the server's \
                 auth string, and try again."
                    .to_owned()
            }
            PrefectError::WorkspaceNotFound { .. } => {
                "Copy the workspace URL from the browser while the workspace is open, and use \
                 a key from the same account."
                    .to_owned()
            }
            _ => return None,
        })
    }
}

/// Attempts per Prefect API call, and the first pause between them (doubling): about 1.4 s
/// in all, so a server that is really down is reported quickly.
const ATTEMPTS: u32 = 4;
const RETRY_BASE: Duration = Duration::from_millis(200);

#[derive(Clone, Debug)]
pub struct PrefectClient {
    http: reqwest::Client,
    /// The API root, without a trailing slash (`.../api` or `.../workspaces/<id>`).
    pub api_url: String,
    auth: PrefectAuth,
    /// True for Prefect Cloud workspace URLs: 403/404 on the workspace mean "not yours".
    cloud_workspace: bool,
}

impl PrefectClient {
    pub fn new(api_url: &str, auth: PrefectAuth) -> Result<Self, PrefectError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("prefect-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PrefectError::Unreachable {
                url: api_url.to_owned(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            cloud_workspace: api_url.contains("api.prefect.cloud")
                && api_url.contains("/workspaces/"),
            auth,
        })
    }

    fn request(&self, method: Method, path: &str) -> (String, RequestBuilder) {
        let url = format!("{}/{}", self.api_url, path.trim_start_matches('/'));
        let builder = self.http.request(method, &url);
        let builder = match &self.auth {
            PrefectAuth::ApiKey(key) => builder.bearer_auth(key.expose()),
            PrefectAuth::AuthString(auth) => {
                let (user, password) = auth.expose().split_once(':').unwrap_or((auth.expose(), ""));
                builder.basic_auth(user, Some(password))
            }
            PrefectAuth::None => builder,
        };
        (url, builder)
    }

    /// Sends a request and reads a JSON answer; `Ok(None)` for 404 where `absent_ok`.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        absent_ok: bool,
    ) -> Result<Option<T>, PrefectError> {
        // Reads (GET, the `filter` POSTs, health) and PATCH/PUT/DELETE say the same when
        // sent twice, so any transient failure is retried. A creating POST is retried only
        // when it surely was not carried out: no connection was made, or the server
        // answered 429 or 503 (refused before doing anything).
        let repeatable = method != Method::POST || path.ends_with("/filter");
        let mut attempt = 1;
        let response = loop {
            let (url, mut builder) = self.request(method.clone(), path);
            if let Some(body) = body {
                builder = builder.json(body);
            }
            let transient = match builder.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry = match status {
                        429 | 503 => true,
                        500 | 502 | 504 => repeatable,
                        _ => false,
                    };
                    if !retry || attempt == ATTEMPTS {
                        break response;
                    }
                    format!("HTTP {status}")
                }
                Err(e) if attempt < ATTEMPTS && (repeatable || e.is_connect()) => root_cause(&e),
                Err(e) => {
                    return Err(PrefectError::Unreachable {
                        url,
                        detail: root_cause(&e),
                    });
                }
            };
            tracing::debug!(%url, attempt, "transient Prefect API failure ({transient}); retrying");
            tokio::time::sleep(RETRY_BASE * 2u32.pow(attempt - 1)).await;
            attempt += 1;
        };
        let url = response.url().to_string();
        let status = response.status();
        if status == StatusCode::NOT_FOUND && absent_ok {
            return Ok(None);
        }
        let text = response
            .text()
            .await
            .map_err(|e| PrefectError::Unreachable {
                url: url.clone(),
                detail: root_cause(&e),
            })?;
        if !status.is_success() {
            return Err(classify(&url, status.as_u16(), &text, self.cloud_workspace));
        }
        let text = if text.trim().is_empty() {
            "null".to_owned()
        } else {
            text
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| PrefectError::Decode {
                url,
                detail: e.to_string(),
            })
    }

    /// The API is reachable and accepts the credential: a self-hosted server's `/health`
    /// first (so "unreachable" and "refused" read apart), then an authenticated read.
    pub async fn check(&self) -> Result<(), PrefectError> {
        if !self.cloud_workspace {
            let _: Option<Value> = self.call(Method::GET, "health", None, false).await?;
        }
        // /health is open on some servers, and a Cloud workspace has none: an authenticated
        // read proves the credential (and, on Cloud, the workspace) together.
        let _: Option<Value> = self
            .call(
                Method::POST,
                "work_pools/filter",
                Some(&serde_json::json!({"limit": 1})),
                false,
            )
            .await?;
        Ok(())
    }
}

/// Turns an HTTP failure into the error that names its fix. Pure, for tests on recorded
/// responses.
pub fn classify(url: &str, status: u16, body: &str, cloud_workspace: bool) -> PrefectError {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("detail").map(|d| {
                d.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| d.to_string())
            })
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status {
        401 => PrefectError::Rejected {
            url: url.to_owned(),
        },
        403 | 404 if cloud_workspace => PrefectError::WorkspaceNotFound {
            url: url.to_owned(),
            status,
        },
        _ => PrefectError::Http {
            url: url.to_owned(),
            status,
            detail,
        },
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
