//! Where the worker finds Prefect: a Prefect Cloud workspace or a self-hosted server.
//!
//! People paste what their browser shows (`https://app.prefect.cloud/account/<id>/
//! workspace/<id>/dashboard`); the worker needs the API URL
//! (`https://api.prefect.cloud/api/accounts/<id>/workspaces/<id>`). Both are accepted.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefectApi {
    Cloud {
        account_id: String,
        workspace_id: String,
    },
    SelfHosted {
        api_url: String,
    },
}

impl PrefectApi {
    /// The value of `PREFECT_API_URL` for the worker.
    pub fn api_url(&self) -> String {
        match self {
            PrefectApi::Cloud {
                account_id,
                workspace_id,
            } => format!(
                "https://api.prefect.cloud/api/accounts/{account_id}/workspaces/{workspace_id}"
            ),
            PrefectApi::SelfHosted { api_url } => api_url.clone(),
        }
    }

    pub fn is_cloud(&self) -> bool {
        matches!(self, PrefectApi::Cloud { .. })
    }

    /// Reads a Cloud workspace URL (browser or API form) or a self-hosted API URL.
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        let url = Url::parse(input).map_err(|e| {
            format!(
                "'{input}' is not a URL ({e}); use a Prefect Cloud workspace URL \
                 (https://app.prefect.cloud/account/<id>/workspace/<id>) or your server's API \
                 URL (for example http://prefect.internal:4200/api)"
            )
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!(
                "'{input}' is neither a Prefect Cloud workspace URL nor an http(s) URL"
            ));
        }
        // The URL reaches the task definition's `environment` and the profile, where a
        // credential must never be; the message does not repeat it either.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "the URL has a user name or password in it (https://user:password@...); \
                 a credential must not sit in a profile or the worker's environment. Give the \
                 address alone ({}://{}{}) with credential = \"auth-string\", and pass \
                 user:password through PREFECT_API_AUTH_STRING or --api-key-stdin",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ));
        }
        let host = url.host_str().unwrap_or_default();
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        if host == "app.prefect.cloud" || host == "api.prefect.cloud" {
            return cloud_ids(&segments).ok_or_else(|| {
                format!(
                    "'{input}' is a Prefect Cloud address but names no workspace; open the \
                     workspace in the browser and copy its URL \
                     (https://app.prefect.cloud/account/<id>/workspace/<id>)"
                )
            });
        }
        if segments.is_empty() {
            return Err(format!(
                "'{input}' has no path; a self-hosted Prefect API URL ends in /api \
                 (for example {}/api)",
                input.trim_end_matches('/')
            ));
        }
        Ok(PrefectApi::SelfHosted {
            api_url: input.trim_end_matches('/').to_owned(),
        })
    }
}

/// Finds `account[s]/<uuid>/workspace[s]/<uuid>` anywhere in the path.
fn cloud_ids(segments: &[&str]) -> Option<PrefectApi> {
    segments.windows(4).find_map(|w| {
        let accounts = w[0] == "account" || w[0] == "accounts";
        let workspaces = w[2] == "workspace" || w[2] == "workspaces";
        (accounts && workspaces && is_uuid(w[1]) && is_uuid(w[3])).then(|| PrefectApi::Cloud {
            account_id: w[1].to_ascii_lowercase(),
            workspace_id: w[3].to_ascii_lowercase(),
        })
    })
}

pub(crate) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0c1d2e3f-1111-4222-8333-444455556666";
    const WORKSPACE: &str = "9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd";

    #[test]
    fn browser_url_becomes_the_api_url() {
        let browser =
            format!("https://app.prefect.cloud/account/{ACCOUNT}/workspace/{WORKSPACE}/dashboard");
        let api = PrefectApi::parse(&browser).expect("accepted");
        assert_eq!(
            api.api_url(),
            format!("https://api.prefect.cloud/api/accounts/{ACCOUNT}/workspaces/{WORKSPACE}")
        );
        assert!(api.is_cloud());
        let again = PrefectApi::parse(&api.api_url()).expect("API form accepted too");
        assert_eq!(again, api);
    }

    #[test]
    fn self_hosted_urls_are_kept_and_nonsense_is_explained() {
        let api = PrefectApi::parse("http://prefect.internal:4200/api/").expect("accepted");
        assert_eq!(api.api_url(), "http://prefect.internal:4200/api");
        assert!(!api.is_cloud());
        let err = PrefectApi::parse("http://prefect.internal:4200")
            .err()
            .unwrap_or_default();
        assert!(err.contains("ends in /api"), "{err}");
        let err = PrefectApi::parse("prefect.internal")
            .err()
            .unwrap_or_default();
        assert!(err.contains("is not a URL"), "{err}");
        let err = PrefectApi::parse("ftp://x/api").err().unwrap_or_default();
        assert!(
            err.contains("neither a Prefect Cloud workspace URL nor an http(s) URL"),
            "{err}"
        );
        let err = PrefectApi::parse("https://app.prefect.cloud/account/x/workspace/y")
            .err()
            .unwrap_or_default();
        assert!(err.contains("names no workspace"), "{err}");
    }

    #[test]
    fn a_credential_inside_the_url_is_refused_without_repeating_it() {
        let err = PrefectApi::parse("https://admin:hunter2@prefect.internal:4200/api")
            .err()
            .unwrap_or_default();
        assert!(err.contains("has a user name or password in it"), "{err}");
        assert!(err.contains("(https://prefect.internal:4200)"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("admin"), "{err}");
    }
}
