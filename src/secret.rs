//! The Prefect credential in memory. It reaches AWS Secrets Manager and nothing else: no
//! `Debug`, `Display` or serialization shows it, and it is read only from the environment
//! or standard input, never from a command-line argument.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl SecretValue {
    /// Accepts a key as pasted: surrounding whitespace and line breaks are dropped; one
    /// with whitespace or control characters inside is refused (it is two things pasted).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("the API key is empty".to_owned());
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(
                "the API key has spaces or line breaks inside it; paste the key alone".to_owned(),
            );
        }
        Ok(Self(value.to_owned()))
    }

    /// The value, for the one call that stores it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_and_pasting_is_forgiving_but_strict() {
        let key = SecretValue::parse("  pnu_abc123\n").expect("trimmed");
        assert_eq!(key.expose(), "pnu_abc123");
        assert_eq!(format!("{key:?}"), "SecretValue(<redacted>)");
        assert!(SecretValue::parse("\n \t").is_err());
        assert!(SecretValue::parse("pnu_abc pnu_def").is_err());
        assert!(SecretValue::parse("pnu_abc\npnu_def").is_err());
    }
}
