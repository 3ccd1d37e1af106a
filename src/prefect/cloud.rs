//! Prefect Cloud's account endpoints: the workspaces a key can reach. These cannot run
//! locally; `tests` below checks the client against recorded response shapes.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{PrefectAuth, PrefectClient, PrefectError};
use crate::secret::SecretValue;

pub const CLOUD_API: &str = "https://api.prefect.cloud/api";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub account_id: String,
    pub account_handle: String,
    pub workspace_id: String,
    pub workspace_handle: String,
}

impl Workspace {
    pub fn api_url(&self) -> String {
        format!(
            "{CLOUD_API}/accounts/{}/workspaces/{}",
            self.account_id, self.workspace_id
        )
    }

    /// `account/workspace`, as Prefect shows it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.account_handle, self.workspace_handle)
    }
}

/// The workspaces a key reaches (`GET /me/workspaces`). 401 means the key was refused.
pub async fn workspaces(
    key: &SecretValue,
    base: Option<&str>,
) -> Result<Vec<Workspace>, PrefectError> {
    let client = PrefectClient::new(base.unwrap_or(CLOUD_API), PrefectAuth::ApiKey(key.clone()))?;
    let found: Option<Vec<Workspace>> = client
        .call(Method::GET, "me/workspaces", None, false)
        .await?;
    Ok(found.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    //! Prefect Cloud cannot be emulated locally: these tests pin the client to response
    //! shapes recorded from Prefect Cloud's documented API, not to a live service.

    use super::*;
    use crate::prefect::client::classify;

    const RECORDED_WORKSPACES: &str = r#"[
      {"account_id": "0c1d2e3f-1111-4222-8333-444455556666", "account_name": "Data Team",
       "account_handle": "data-team", "workspace_id": "9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd",
       "workspace_name": "Production", "workspace_description": "", "workspace_handle": "production"}
    ]"#;

    #[test]
    fn recorded_workspace_list_parses_into_api_urls() {
        let list: Vec<Workspace> =
            serde_json::from_str(RECORDED_WORKSPACES).expect("recorded shape");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].label(), "data-team/production");
        assert_eq!(
            list[0].api_url(),
            "https://api.prefect.cloud/api/accounts/0c1d2e3f-1111-4222-8333-444455556666/workspaces/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd"
        );
    }

    #[test]
    fn recorded_errors_name_their_fix() {
        let url = "https://api.prefect.cloud/api/accounts/a/workspaces/w/work_pools/filter";
        let rejected = classify(url, 401, r#"{"detail":"Unauthorized"}"#, true);
        assert!(
            rejected
                .to_string()
                .contains("rejected the credential (HTTP 401)"),
            "{rejected}"
        );
        assert!(rejected.hint().unwrap_or_default().contains("new API key"));
        for status in [403, 404] {
            let missing = classify(url, status, r#"{"detail":"Workspace not found"}"#, true);
            assert!(
                missing
                    .to_string()
                    .contains("this workspace is not in the account"),
                "{missing}"
            );
        }
        let other = classify(url, 500, r#"{"detail":"Internal Server Error"}"#, true);
        assert!(
            other
                .to_string()
                .ends_with("answered 500: Internal Server Error"),
            "{other}"
        );
    }
}
