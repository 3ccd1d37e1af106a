//! RFC 6902 JSON Patch customizations of the rendered documents, applied with the
//! `json-patch` crate. Before each operation is applied, its target is checked so a failure
//! says which operation (its index in the profile), which path, and what to do instead.
//!
//! One deliberate stricter rule than RFC 6902: `add` onto an object member that already
//! exists is refused ("use replace"), because in a profile it is almost always a mistake
//! that would silently overwrite a value the tool manages.

use json_patch::PatchOperation;
use serde_json::{Value, json};

use super::spec::PatchStep;
use crate::profile::{Customization, PatchTarget};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("customizations[{index}] ({op} {path} on the {target}): {reason}")]
pub struct CustomizationError {
    /// Position in the profile's `customizations` list, from 0.
    pub index: usize,
    pub op: &'static str,
    pub path: String,
    pub target: &'static str,
    pub reason: String,
}

/// Turns a profile entry into a JSON Patch operation, or says what is missing.
pub fn parse_operation(c: &Customization) -> Result<PatchOperation, String> {
    const OPS: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];
    if !OPS.contains(&c.op.as_str()) {
        return Err(format!(
            "'{}' is not a JSON Patch operation; use one of {}",
            c.op,
            OPS.join(", ")
        ));
    }
    let needs_value = matches!(c.op.as_str(), "add" | "replace" | "test");
    let needs_from = matches!(c.op.as_str(), "move" | "copy");
    if needs_value && c.value.is_none() {
        return Err(format!("'{}' needs a value (value = ...)", c.op));
    }
    if needs_from && c.from.is_none() {
        return Err(format!("'{}' needs a source path (from = \"/...\")", c.op));
    }
    if !needs_value && c.value.is_some() {
        return Err(format!("'{}' takes no value; remove `value`", c.op));
    }
    if !needs_from && c.from.is_some() {
        return Err(format!("'{}' takes no source; remove `from`", c.op));
    }
    for (name, pointer) in [("path", Some(&c.path)), ("from", c.from.as_ref())] {
        if let Some(p) = pointer
            && !(p.is_empty() || p.starts_with('/'))
        {
            return Err(format!(
                "{name} '{p}' is not a JSON Pointer: it starts with / (for example /containerDefinitions/0/cpu)"
            ));
        }
    }
    let mut op = json!({ "op": c.op, "path": c.path });
    if let Some(from) = &c.from {
        op["from"] = json!(from);
    }
    if let Some(value) = &c.value {
        op["value"] = value.clone();
    }
    serde_json::from_value(op).map_err(|e| format!("not a valid operation: {e}"))
}

fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

fn op_path(op: &PatchOperation) -> String {
    match op {
        PatchOperation::Add(o) => o.path.to_string(),
        PatchOperation::Remove(o) => o.path.to_string(),
        PatchOperation::Replace(o) => o.path.to_string(),
        PatchOperation::Move(o) => o.path.to_string(),
        PatchOperation::Copy(o) => o.path.to_string(),
        PatchOperation::Test(o) => o.path.to_string(),
    }
}

/// Splits `/a/b/c` into the parent pointer `/a/b` and the last token `c` (unescaped).
fn split_last(path: &str) -> Option<(&str, String)> {
    let cut = path.rfind('/')?;
    let token = path[cut + 1..].replace("~1", "/").replace("~0", "~");
    Some((&path[..cut], token))
}

/// Why `op` cannot apply to `doc`, in words, before the crate is asked to apply it.
fn precheck(doc: &Value, op: &PatchOperation) -> Option<String> {
    let path = op_path(op);
    let exists = doc.pointer(&path).is_some();
    match op {
        PatchOperation::Add(_) => {
            let (parent_path, last) = split_last(&path)?;
            match doc.pointer(parent_path) {
                None => Some(format!(
                    "its parent {} does not exist; add the parent first (op = \"add\", path = \"{}\", value = {{}})",
                    display_pointer(parent_path),
                    parent_path
                )),
                Some(Value::Object(map)) if map.contains_key(&last) => {
                    Some(format!("{path} already exists; to change it use replace"))
                }
                Some(Value::Array(items)) => {
                    let fits = last == "-" || last.parse::<usize>().is_ok_and(|i| i <= items.len());
                    (!fits).then(|| {
                        format!(
                            "the array at {} has {} items; use an index up to {} or - to append",
                            display_pointer(parent_path),
                            items.len(),
                            items.len()
                        )
                    })
                }
                Some(Value::Object(_)) => None,
                Some(other) => Some(format!(
                    "{} is a {}, not an object or array",
                    display_pointer(parent_path),
                    kind(other)
                )),
            }
        }
        PatchOperation::Remove(_) | PatchOperation::Replace(_) if !exists => {
            Some(format!("nothing exists at {path}; to create it use add"))
        }
        PatchOperation::Replace(o) => type_clash(&path, doc.pointer(&path)?, &o.value),
        PatchOperation::Move(o) if doc.pointer(o.from.as_str()).is_none() => {
            Some(format!("nothing exists at from {}", o.from))
        }
        PatchOperation::Copy(o) if doc.pointer(o.from.as_str()).is_none() => {
            Some(format!("nothing exists at from {}", o.from))
        }
        PatchOperation::Test(o) => match doc.pointer(&path) {
            None => Some(format!("nothing exists at {path} to test")),
            Some(actual) if actual != &o.value => {
                Some(format!("test failed: {path} is {actual}, not {}", o.value))
            }
            Some(_) => None,
        },
        _ => None,
    }
}

/// A `replace` that changes the JSON type of a value the tool wrote: ECS reads its
/// documents by a typed schema and would refuse the request, but only after the steps
/// before it had made the secret, the roles and the rest; refusing it here makes nothing.
/// (A `null` is no type to keep; `add` of a new member has nothing to compare with.)
fn type_clash(path: &str, current: &Value, given: &Value) -> Option<String> {
    if current.is_null() || kind(current) == kind(given) {
        return None;
    }
    let (was, now) = (with_article(kind(current)), with_article(kind(given)));
    Some(format!(
        "{} is {was}, and the value given is {now}; ECS would refuse the document. \
         Give {was} (it is {current} now)",
        display_pointer(path),
    ))
}

fn with_article(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "the document root" } else { p }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Applies, in profile order, every step aimed at `target`. `steps` is the whole list so
/// errors carry the index the user sees in the profile.
pub fn apply(
    doc: &mut Value,
    target: PatchTarget,
    steps: &[PatchStep],
) -> Result<(), CustomizationError> {
    for (index, step) in steps.iter().enumerate() {
        if step.target != target {
            continue;
        }
        let error = |reason: String| CustomizationError {
            index,
            op: op_name(&step.operation),
            path: op_path(&step.operation),
            target: target.as_str(),
            reason,
        };
        if let Some(reason) = precheck(doc, &step.operation) {
            return Err(error(reason));
        }
        json_patch::patch(doc, std::slice::from_ref(&step.operation))
            .map_err(|e| error(e.kind.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(
        target: PatchTarget,
        op: &str,
        path: &str,
        from: Option<&str>,
        value: Option<Value>,
    ) -> PatchStep {
        let c = Customization {
            target,
            op: op.into(),
            path: path.into(),
            from: from.map(str::to_owned),
            value,
        };
        PatchStep {
            target,
            operation: parse_operation(&c).expect("valid operation"),
        }
    }

    fn td(op: &str, path: &str, from: Option<&str>, value: Option<Value>) -> PatchStep {
        step(PatchTarget::TaskDefinition, op, path, from, value)
    }

    fn doc() -> Value {
        json!({
            "cpu": "512",
            "containerDefinitions": [{"name": "w", "environment": [{"name": "A", "value": "1"}]}],
            "tags": [{"key": "k", "value": "v"}]
        })
    }

    fn applied(steps: &[PatchStep]) -> Result<Value, CustomizationError> {
        let mut d = doc();
        apply(&mut d, PatchTarget::TaskDefinition, steps)?;
        Ok(d)
    }

    #[test]
    fn each_operation_does_what_rfc_6902_says() {
        let d = applied(&[td("add", "/memory", None, Some(json!("1024")))]).expect("add");
        assert_eq!(d["memory"], "1024");
        let d = applied(&[td("remove", "/tags", None, None)]).expect("remove");
        assert!(d.get("tags").is_none());
        let d = applied(&[td("replace", "/cpu", None, Some(json!("1024")))]).expect("replace");
        assert_eq!(d["cpu"], "1024");
        let d = applied(&[td("move", "/family", Some("/cpu"), None)]).expect("move");
        assert_eq!(d["family"], "512");
        assert!(d.get("cpu").is_none());
        let d = applied(&[td(
            "copy",
            "/containerDefinitions/0/tags",
            Some("/tags"),
            None,
        )])
        .expect("copy");
        assert_eq!(d["containerDefinitions"][0]["tags"], d["tags"]);
        let d = applied(&[
            td("test", "/cpu", None, Some(json!("512"))),
            td("replace", "/cpu", None, Some(json!("256"))),
        ])
        .expect("test then replace");
        assert_eq!(d["cpu"], "256");
        let d = applied(&[td(
            "add",
            "/containerDefinitions/0/environment/-",
            None,
            Some(json!({"name": "B", "value": "2"})),
        )])
        .expect("append");
        assert_eq!(d["containerDefinitions"][0]["environment"][1]["name"], "B");
        let d = applied(&[td(
            "add",
            "/tags/0",
            None,
            Some(json!({"key": "first", "value": "x"})),
        )])
        .expect("insert");
        assert_eq!(d["tags"][0]["key"], "first");
        assert_eq!(d["tags"][1]["key"], "k");
    }

    #[test]
    fn failures_name_index_path_and_what_to_do() {
        let other = step(
            PatchTarget::Service,
            "replace",
            "/nothing",
            None,
            Some(json!(1)),
        );
        let err = applied(&[other, td("replace", "/memory", None, Some(json!("2048")))]).err();
        let err = err.expect("replace on a missing path fails");
        assert_eq!(
            err.index, 1,
            "index counts every customization in the profile"
        );
        assert_eq!(err.path, "/memory");
        assert!(err.reason.contains("use add"), "{err}");
        assert_eq!(
            err.to_string(),
            "customizations[1] (replace /memory on the task_definition): nothing exists at /memory; to create it use add"
        );

        let err =
            applied(&[td("add", "/cpu", None, Some(json!("1")))]).expect_err("add on existing");
        assert!(
            err.reason
                .contains("already exists; to change it use replace"),
            "{err}"
        );

        let err = applied(&[td("add", "/a/b", None, Some(json!(1)))]).expect_err("missing parent");
        assert!(err.reason.contains("its parent /a does not exist"), "{err}");

        let err =
            applied(&[td("add", "/tags/5", None, Some(json!(1)))]).expect_err("index too far");
        assert!(
            err.reason
                .contains("has 1 items; use an index up to 1 or - to append"),
            "{err}"
        );

        let err = applied(&[td("remove", "/nope", None, None)]).expect_err("remove missing");
        assert!(err.reason.contains("nothing exists at /nope"), "{err}");

        let err =
            applied(&[td("test", "/cpu", None, Some(json!("1024")))]).expect_err("test mismatch");
        assert!(
            err.reason
                .contains("test failed: /cpu is \"512\", not \"1024\""),
            "{err}"
        );

        let err = applied(&[td("move", "/x", Some("/nope"), None)]).expect_err("move from missing");
        assert!(err.reason.contains("nothing exists at from /nope"), "{err}");

        let err = applied(&[td("replace", "/cpu", None, Some(json!(1024)))])
            .expect_err("replace changing the type");
        assert_eq!(
            err.reason,
            "/cpu is a string, and the value given is a number; ECS would refuse the document. \
             Give a string (it is \"512\" now)"
        );
        let d = applied(&[td("replace", "/tags", None, Some(json!([])))]).expect("same type");
        assert_eq!(d["tags"], json!([]));

        let err = applied(&[td("add", "/cpu/x", None, Some(json!(1)))]).expect_err("type clash");
        assert!(
            err.reason
                .contains("/cpu is a string, not an object or array"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_patch_leaves_the_earlier_operations_applied_only_in_order() {
        let mut d = doc();
        let steps = [
            td("replace", "/cpu", None, Some(json!("256"))),
            td("remove", "/missing", None, None),
        ];
        assert!(apply(&mut d, PatchTarget::TaskDefinition, &steps).is_err());
        // The caller throws the document away on error; what matters is that the error is
        // reported for the second operation, not the first.
        assert_eq!(d["cpu"], "256");
    }

    #[test]
    fn malformed_operations_are_refused_when_the_profile_is_read() {
        let c = |op: &str, path: &str, from: Option<&str>, value: Option<Value>| Customization {
            target: PatchTarget::Service,
            op: op.into(),
            path: path.into(),
            from: from.map(str::to_owned),
            value,
        };
        let cases = [
            (
                c("upsert", "/a", None, Some(json!(1))),
                "'upsert' is not a JSON Patch operation",
            ),
            (c("add", "/a", None, None), "'add' needs a value"),
            (c("copy", "/a", None, None), "'copy' needs a source path"),
            (
                c("remove", "/a", None, Some(json!(1))),
                "'remove' takes no value",
            ),
            (
                c("replace", "a/b", None, Some(json!(1))),
                "path 'a/b' is not a JSON Pointer",
            ),
        ];
        for (customization, expected) in cases {
            let err = parse_operation(&customization).err().unwrap_or_default();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }
}
