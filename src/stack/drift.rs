//! Drift: the fields the stack owns, as they are live, against what the profile wants.
//!
//! A tag with the hash of the last document sent only says whether the profile changed
//! since the last deploy; it cannot see a service scaled by hand or a revision registered
//! from the console. So the fields the stack owns are compared by value: the live value
//! read back (`Observed`'s summaries) against the wanted one (the rendered, customized
//! document). Pure, like `plan()`: values in, changes out, no words but `describe()`.
//!
//! Order does not count where AWS does not keep it (subnets, security groups, environment
//! variables by name). A field the profile's customizations removed is not compared.
//!
//! Also here: the leaf-by-leaf difference of two whole documents (`diff_fields`), which
//! names what a changed profile changes, and the difference of two policies by action.

use serde::Serialize;
use serde_json::Value;

/// One field whose live value is not the wanted one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// Where it is, in the document's own names (`containerDefinitions[0].image`).
    pub field: String,
    /// As it is now in AWS (`null`: not set).
    pub live: Value,
    /// As the profile wants it (`null`: not set).
    pub wanted: Value,
    /// The profile setting that keeps the live value, where it may have been changed on
    /// purpose (scaled from the monitor or by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<KeepLive>,
}

/// How to keep a live value: set this profile key to this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeepLive {
    /// `table.key` in the profile file.
    pub profile_key: &'static str,
    pub value: Value,
}

impl FieldChange {
    pub fn new(field: impl Into<String>, live: Value, wanted: Value) -> Self {
        Self {
            field: field.into(),
            live,
            wanted,
            keep: None,
        }
    }

    /// For people: `desiredCount: 2 -> 1`, and how to keep the live value where it may be
    /// intended.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{}: {} -> {}",
            self.field,
            shown(&self.live),
            shown(&self.wanted)
        );
        if let Some(keep) = &self.keep {
            let (table, key) = keep
                .profile_key
                .split_once('.')
                .unwrap_or(("", keep.profile_key));
            // Neutral on who changed what: the profile, the live service, or both.
            text.push_str(&format!(
                " (deploy sets it to {}; to keep {} instead, set {key} = {} under [{table}] in \
                 the profile)",
                shown(&self.wanted),
                shown(&keep.value),
                shown(&keep.value),
            ));
        }
        text
    }
}

fn shown(v: &Value) -> String {
    let text = match v {
        Value::Null => "(unset)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(shown).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    };
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(77).collect::<String>())
    } else {
        text
    }
}

/// Task-level fields the stack owns.
const TASK_FIELDS: &[&str] = &["cpu", "memory", "taskRoleArn", "executionRoleArn"];
/// Container fields compared as one value.
const CONTAINER_FIELDS: &[&str] = &["image", "cpu", "memory", "command"];
/// Container lists compared entry by entry, by name.
const CONTAINER_NAMED_LISTS: &[&str] = &["environment", "secrets"];

/// The owned fields of a task definition that differ live.
pub fn task_definition(wanted: &Value, live: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for field in TASK_FIELDS {
        compare(&mut out, field, wanted.get(*field), live.get(*field));
    }
    let empty = Vec::new();
    let wanted_containers = wanted["containerDefinitions"].as_array().unwrap_or(&empty);
    let live_containers = live["containerDefinitions"].as_array().unwrap_or(&empty);
    for (i, want) in wanted_containers.iter().enumerate() {
        // Containers are matched by name: a revision from elsewhere may order them apart.
        let have = live_containers
            .iter()
            .find(|c| c["name"] == want["name"])
            .unwrap_or(&Value::Null);
        let prefix = format!("containerDefinitions[{i}]");
        if have.is_null() {
            out.push(FieldChange::new(prefix, Value::Null, want["name"].clone()));
            continue;
        }
        for field in CONTAINER_FIELDS {
            compare(
                &mut out,
                &format!("{prefix}.{field}"),
                want.get(*field),
                have.get(*field),
            );
        }
        compare(
            &mut out,
            &format!("{prefix}.logConfiguration.options"),
            want.pointer("/logConfiguration/options"),
            have.pointer("/logConfiguration/options"),
        );
        for list in CONTAINER_NAMED_LISTS {
            named_entries(
                &mut out,
                &format!("{prefix}.{list}"),
                want.get(*list),
                have.get(*list),
            );
        }
    }
    out
}

/// The owned fields of a service that differ live. `desiredCount` says how to keep the
/// live count: scaling from the monitor changes it on purpose.
pub fn service(wanted: &Value, live: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    if let Some(want) = wanted.get("desiredCount") {
        let have = live.get("desiredCount").cloned().unwrap_or(Value::Null);
        if *want != have {
            out.push(FieldChange {
                keep: (!have.is_null()).then(|| KeepLive {
                    profile_key: "worker.desired_count",
                    value: have.clone(),
                }),
                ..FieldChange::new("desiredCount", have, want.clone())
            });
        }
    }
    for field in ["subnets", "securityGroups", "assignPublicIp"] {
        let pointer = format!("/networkConfiguration/awsvpcConfiguration/{field}");
        compare(
            &mut out,
            &format!("networkConfiguration.awsvpcConfiguration.{field}"),
            wanted.pointer(&pointer),
            live.pointer(&pointer),
        );
    }
    out
}

/// Adds a change when the wanted value (if the document has one) is not the live one.
fn compare(out: &mut Vec<FieldChange>, field: &str, wanted: Option<&Value>, live: Option<&Value>) {
    let Some(wanted) = wanted else { return };
    let live = live.cloned().unwrap_or(Value::Null);
    if unordered(wanted) != unordered(&live) && !same_number(wanted, &live) {
        out.push(FieldChange::new(field, live, wanted.clone()));
    }
}

/// `"512"` and `512` are the same cpu: the task level takes strings, containers numbers,
/// and what comes back is not always the type that was sent.
fn same_number(a: &Value, b: &Value) -> bool {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    number(a).is_some() && number(a) == number(b)
}

/// A list of strings as a set; anything else as it is.
fn unordered(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let mut sorted = items.clone();
            sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            sorted.dedup();
            Value::Array(sorted)
        }
        other => other.clone(),
    }
}

/// `[{name, value|valueFrom}]` lists, compared by name: one change per entry that differs,
/// one that was added by hand, one that went missing.
fn named_entries(
    out: &mut Vec<FieldChange>,
    field: &str,
    wanted: Option<&Value>,
    live: Option<&Value>,
) {
    let Some(wanted) = wanted else { return };
    let empty = Vec::new();
    let wanted = wanted.as_array().unwrap_or(&empty);
    let live = live.and_then(Value::as_array).unwrap_or(&empty);
    let value_of = |entry: &Value| {
        entry
            .get("value")
            .or_else(|| entry.get("valueFrom"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let find = |list: &[Value], name: &Value| list.iter().find(|e| e["name"] == *name).cloned();
    for want in wanted {
        let have = find(live, &want["name"])
            .map(|e| value_of(&e))
            .unwrap_or(Value::Null);
        if have != value_of(want) {
            out.push(FieldChange::new(
                format!("{field}.{}", shown(&want["name"])),
                have,
                value_of(want),
            ));
        }
    }
    for have in live {
        if find(wanted, &have["name"]).is_none() {
            out.push(FieldChange::new(
                format!("{field}.{}", shown(&have["name"])),
                value_of(have),
                Value::Null,
            ));
        }
    }
}

/// True when a line of `diff_fields` is about a field `changed` already names.
pub(super) fn covered(line: &str, changed: &[FieldChange]) -> bool {
    changed.iter().any(|c| {
        line.strip_prefix(c.field.as_str()).is_some_and(|rest| {
            rest.starts_with(':') || rest.starts_with('[') || rest.starts_with('.')
        })
    })
}

/// What a live policy allows that the wanted one does not, and the other way round, by
/// action: `: live also allows s3:*; lacks ecs:RunTask`.
pub(super) fn policy_difference(live: Option<&Value>, wanted: &Value) -> String {
    let Some(live) = live else {
        return ": missing".to_owned();
    };
    let actions = |doc: &Value| -> std::collections::BTreeSet<String> {
        let statements = match &doc["Statement"] {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        statements
            .iter()
            .flat_map(|st| match &st["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
                _ => vec![],
            })
            .collect()
    };
    let (have, want) = (actions(live), actions(wanted));
    let extra: Vec<&str> = have.difference(&want).map(String::as_str).collect();
    let lacking: Vec<&str> = want.difference(&have).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!("live also allows {}", extra.join(", ")));
    }
    if !lacking.is_empty() {
        parts.push(format!("live lacks {}", lacking.join(", ")));
    }
    if parts.is_empty() {
        parts.push("live resources or conditions differ".to_owned());
    }
    format!(": {}", parts.join("; "))
}

/// Leaf paths of `desired` whose value differs from `observed`, as `a.b[0].c: old -> new`.
pub fn diff_fields(desired: &Value, observed: &Value, skip: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(desired, Some(observed), String::new(), skip, &mut out);
    out
}

fn diff_into(
    desired: &Value,
    observed: Option<&Value>,
    path: String,
    skip: &[&str],
    out: &mut Vec<String>,
) {
    match desired {
        Value::Object(map) => {
            for (key, value) in map {
                if path.is_empty() && skip.contains(&key.as_str()) {
                    continue;
                }
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_into(value, observed.and_then(|o| o.get(key)), child, skip, out);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            for (i, item) in items.iter().enumerate() {
                diff_into(
                    item,
                    observed.and_then(|o| o.get(i)),
                    format!("{path}[{i}]"),
                    skip,
                    out,
                );
            }
        }
        leaf => {
            if observed != Some(leaf) {
                let old = observed.map(short).unwrap_or_else(|| "(unset)".to_owned());
                out.push(format!("{path}: {old} -> {}", short(leaf)));
            }
        }
    }
}

fn short(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}
