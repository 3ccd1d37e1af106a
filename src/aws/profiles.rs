//! Names of the profiles in the shared AWS config and credentials files, read the way the
//! SDK finds those files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws).
//! Used to tell "that profile does not exist" apart from "it has no credentials", and to
//! offer the profiles by name.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn shared_file(var: &str, default_name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".aws").join(default_name))
}

/// Profile names from both files, sorted; empty when neither can be read.
pub fn shared_profile_names() -> Vec<String> {
    let mut names = BTreeSet::new();
    if let Some(text) =
        shared_file("AWS_CONFIG_FILE", "config").and_then(|p| std::fs::read_to_string(p).ok())
    {
        names.extend(section_names(&text, true));
    }
    if let Some(text) = shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        names.extend(section_names(&text, false));
    }
    names.into_iter().collect()
}

/// Section headers that name profiles. In the config file they read `[default]` or
/// `[profile NAME]` (other sections, like `[sso-session NAME]`, are not profiles); in the
/// credentials file every `[NAME]` is a profile.
fn section_names(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            if !config_file {
                return Some(inner.to_owned());
            }
            if inner == "default" {
                return Some(inner.to_owned());
            }
            let rest = inner.strip_prefix("profile")?;
            rest.starts_with(char::is_whitespace)
                .then(|| rest.trim().to_owned())
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_sections_that_are_not_profiles_are_skipped() {
        let config = "[default]\nregion = us-east-1\n[profile prod]\n[sso-session corp]\n[profileless]\n[services x]\n";
        assert_eq!(section_names(config, true), vec!["default", "prod"]);
        let credentials = "[default]\naws_access_key_id = x\n[ staging ]\n";
        assert_eq!(
            section_names(credentials, false),
            vec!["default", "staging"]
        );
    }
}
