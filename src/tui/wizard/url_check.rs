//! The Prefect URL as a person types it, checked in their words before the URL parser's
//! ("relative URL without a base" means a missing `https://`), then read as the API URL
//! the worker will use. Shared by the wizard and `init --plain` through `checks`.

use super::checks::Problem;
use crate::stack::PrefectApi;

/// Where the worker's Prefect lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefectKind {
    Cloud,
    SelfHosted,
}

/// The Prefect URL as the API URL the worker will use.
pub fn check_prefect_url(kind: PrefectKind, url: &str) -> Result<PrefectApi, Problem> {
    let url = url.trim();
    if url.is_empty() {
        return Err(match kind {
            PrefectKind::Cloud => Problem::new(
                "No workspace given.",
                "Paste the workspace URL from your browser, or leave it empty and press Enter to pick from the workspaces your key reaches.",
            ),
            PrefectKind::SelfHosted => Problem::new(
                "No server URL given.",
                "Type your Prefect server's API URL, for example https://prefect.example.com/api.",
            ),
        });
    }
    check_url_shape(kind, url)?;
    let api = PrefectApi::parse(url).map_err(|e| {
        Problem::new(
            e,
            "Paste the workspace URL from the browser, or the API URL (ending in /api).",
        )
    })?;
    match (kind, api.is_cloud()) {
        (PrefectKind::Cloud, false) => Err(Problem::new(
            format!("{url} is not a Prefect Cloud workspace URL."),
            "Choose \"self-hosted\" for your own server, or paste the URL of a workspace on app.prefect.cloud.",
        )),
        (PrefectKind::SelfHosted, true) => Err(Problem::new(
            format!("{url} is a Prefect Cloud workspace."),
            "Choose \"Prefect Cloud\" above for Cloud workspaces.",
        )),
        _ => Ok(api),
    }
}

/// What a person would get wrong in a URL, said in their words before the URL parser's
/// ("relative URL without a base" means a missing `https://`).
fn check_url_shape(kind: PrefectKind, url: &str) -> Result<(), Problem> {
    let example = match kind {
        PrefectKind::Cloud => "https://app.prefect.cloud/account/…/workspace/…",
        PrefectKind::SelfHosted => "https://prefect.example.com/api",
    };
    if url.contains(char::is_whitespace) {
        return Err(Problem::new(
            "The URL has a space or a line break in it.",
            "Paste the URL alone, as the browser's address bar shows it.",
        ));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Problem::new(
            "The URL needs to start with https:// (or http:// for a server on your network).",
            match kind {
                PrefectKind::Cloud => {
                    format!("Paste the whole address from the browser, e.g. {example}.")
                }
                PrefectKind::SelfHosted => {
                    format!("Type it as https://{url}, or http://{url} for a server without TLS.")
                }
            },
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Problem::new(
            format!(
                "The URL starts with {scheme}://, but Prefect is reached over https:// (or http:// for a server on your network)."
            ),
            format!("Start it with https://, e.g. {example}."),
        ));
    }
    use url::ParseError;
    let words = match url::Url::parse(url) {
        Ok(_) => return Ok(()),
        Err(ParseError::EmptyHost) => (
            format!("The URL has no server name after {scheme}://."),
            format!("Type the server's name or address after it, e.g. {example}."),
        ),
        Err(ParseError::InvalidPort) => (
            "The port in the URL is not a number from 1 to 65535.".to_owned(),
            "Write the port after a colon, e.g. http://prefect.internal:4200/api.".to_owned(),
        ),
        Err(
            ParseError::InvalidIpv4Address
            | ParseError::InvalidIpv6Address
            | ParseError::InvalidDomainCharacter
            | ParseError::IdnaError,
        ) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            (
                format!("\"{host}\" is not a server name or address."),
                format!("Check the part after {scheme}:// for a typo, e.g. {example}."),
            )
        }
        Err(e) => (
            format!("The URL cannot be read ({e})."),
            format!("Paste it again as the browser shows it, e.g. {example}."),
        ),
    };
    Err(Problem::new(words.0, words.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_match_the_kind_chosen() {
        let cloud = "https://app.prefect.cloud/account/0c1d2e3f-1111-4222-8333-444455556666/workspace/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd/dashboard";
        assert!(
            check_prefect_url(PrefectKind::Cloud, cloud)
                .expect("ok")
                .is_cloud()
        );
        assert!(check_prefect_url(PrefectKind::SelfHosted, cloud).is_err());
        assert!(check_prefect_url(PrefectKind::Cloud, "http://localhost:4200/api").is_err());
        assert!(check_prefect_url(PrefectKind::SelfHosted, "http://localhost:4200/api").is_ok());
        assert!(check_prefect_url(PrefectKind::SelfHosted, "  ").is_err());
    }

    #[test]
    fn a_url_gets_plain_words_for_what_is_wrong_with_it() {
        use PrefectKind::{Cloud, SelfHosted};
        let cases: &[(PrefectKind, &str, &str, &str)] = &[
            (
                SelfHosted,
                "prefect.example.com/api",
                "The URL needs to start with https:// (or http:// for a server on your network).",
                "Type it as https://prefect.example.com/api, or http://prefect.example.com/api",
            ),
            (
                SelfHosted,
                "localhost:4200/api",
                "The URL needs to start with https://",
                "http://localhost:4200/api",
            ),
            (
                Cloud,
                "app.prefect.cloud/account/x/workspace/y",
                "The URL needs to start with https://",
                "Paste the whole address from the browser",
            ),
            (
                SelfHosted,
                "ftp://prefect.example.com/api",
                "The URL starts with ftp://, but Prefect is reached over https://",
                "Start it with https://",
            ),
            (
                SelfHosted,
                "https://",
                "The URL has no server name after https://.",
                "Type the server's name or address",
            ),
            (
                SelfHosted,
                "http://prefect.internal:99999/api",
                "The port in the URL is not a number from 1 to 65535.",
                "after a colon",
            ),
            (
                SelfHosted,
                "https://prefect example.com/api",
                "The URL has a space or a line break in it.",
                "Paste the URL alone",
            ),
            (
                SelfHosted,
                "http://[::1/api",
                "\"[::1\" is not a server name or address.",
                "for a typo",
            ),
            (
                SelfHosted,
                "https://prefect.example.com",
                "has no path; a self-hosted Prefect API URL ends in /api",
                "ending in /api",
            ),
            (
                SelfHosted,
                "https://user:pw@prefect.example.com/api",
                "the URL has a user name or password in it",
                "",
            ),
        ];
        for (kind, input, message, hint) in cases {
            let err = check_prefect_url(*kind, input).expect_err(input);
            assert!(
                err.message.contains(message),
                "{input}: {:?} does not say {message:?}",
                err.message
            );
            assert!(
                !err.message.contains("relative URL") && !err.message.contains("base"),
                "{input}: the parser's words leak: {}",
                err.message
            );
            let got = err.hint.unwrap_or_default();
            assert!(got.contains(hint), "{input}: hint {got:?} lacks {hint:?}");
            assert!(
                !err.message.contains("pw@"),
                "a password in the URL is not repeated"
            );
        }
        assert!(check_prefect_url(SelfHosted, "HTTP://prefect.internal:4200/api").is_ok());
    }
}
