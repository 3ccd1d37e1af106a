//! Redaction for anything shown to people: `preview`, logs of rendered documents. Secret
//! values never appear; names and ARNs of secrets do, because they are not secret.

use serde_json::Value;

pub const REDACTED: &str = "<redacted>";

/// Environment names whose values are treated as secret.
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY",
        "SECRET",
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "AUTH",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// Redacts in place: every `environment` value whose name looks secret, and every string
/// anywhere that contains one of `known_secrets` (the API key itself, when the caller has
/// it). Returns how many values were redacted.
pub fn redact(doc: &mut Value, known_secrets: &[&str]) -> usize {
    let mut count = 0;
    redact_value(doc, known_secrets, &mut count);
    count
}

fn redact_value(value: &mut Value, known: &[&str], count: &mut usize) {
    match value {
        Value::Object(map) => {
            let secret_name = map
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(looks_secret);
            if secret_name && map.contains_key("value") && map.len() == 2 {
                map.insert("value".to_owned(), Value::String(REDACTED.to_owned()));
                *count += 1;
            }
            for v in map.values_mut() {
                redact_value(v, known, count);
            }
        }
        Value::Array(items) => {
            for v in items {
                redact_value(v, known, count);
            }
        }
        Value::String(s) if known.iter().any(|k| !k.is_empty() && s.contains(k)) => {
            let mut text = s.clone();
            for k in known.iter().filter(|k| !k.is_empty()) {
                text = text.replace(k, REDACTED);
            }
            *s = text;
            *count += 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_looking_environment_and_known_values_are_hidden() {
        let mut doc = json!({
            "environment": [
                {"name": "PREFECT_API_URL", "value": "https://api.prefect.cloud"},
                {"name": "DB_PASSWORD", "value": "hunter2"},
                {"name": "GITHUB_TOKEN", "value": "ghp_x"},
            ],
            "command": ["sh", "-c", "echo pnu_leaked_key"],
        });
        let n = redact(&mut doc, &["pnu_leaked_key"]);
        assert_eq!(n, 3);
        assert_eq!(doc["environment"][0]["value"], "https://api.prefect.cloud");
        assert_eq!(doc["environment"][1]["value"], REDACTED);
        assert_eq!(doc["environment"][2]["value"], REDACTED);
        assert_eq!(doc["command"][2], "echo <redacted>");
        assert!(!doc.to_string().contains("hunter2"));
    }
}
