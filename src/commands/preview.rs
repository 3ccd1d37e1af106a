//! `prefect-tui preview`: the documents a deploy would send, customizations applied,
//! secrets redacted. Works offline: values that only exist after a deploy are shown as
//! `<placeholders>`.

use serde_json::{Value, json};

use crate::cli::{DocumentFormat, GlobalArgs, PreviewArgs};
use crate::network::{Cidr, Layout};
use crate::stack::desired::desired;
use crate::stack::network::part_name;
use crate::stack::observed::Observed;
use crate::stack::{PatchStep, RenderContext, StackSpec, observer, policies, redact};

use super::{CommandError, load_profile, print_out};

pub fn run(global: &GlobalArgs, args: &PreviewArgs) -> Result<(), CommandError> {
    let mut loaded = load_profile(global, args.profile.as_deref())?;
    // A network the stack makes has no ids before the deploy: its subnets by name.
    if let Some(owned) = &loaded.spec.owned_network {
        let layout = Layout::new(owned.shape, Cidr::parse("10.100.0.0/16").expect("a range"));
        loaded.spec.subnet_ids = layout
            .worker_subnets()
            .map(|s| {
                format!(
                    "<{}: made on deploy>",
                    part_name(&loaded.spec.names, &s.role)
                )
            })
            .collect();
        loaded.spec.vpc_id = format!("<{}: made on deploy>", part_name(&loaded.spec.names, "vpc"));
    }
    let (name, spec) = (&loaded.name, &loaded.spec);
    let ctx = RenderContext::placeholders(spec, None);
    let rendered = loaded.render(&ctx)?;
    let mut documents = json!({
        "task_definition": rendered.task_definition,
        "service": rendered.service,
    });
    for (name, doc) in other_documents(spec) {
        documents[name] = doc;
    }
    // The key is never needed to render, but if it is in this environment and a
    // customization copied it somewhere, it must not reach the screen.
    let key = std::env::var("PREFECT_API_KEY").unwrap_or_default();
    redact(&mut documents, &[key.trim()]);

    let applied = applied_patches(&spec.customizations);
    let text = match args.format {
        DocumentFormat::Json => {
            let out = json!({
                "profile": name,
                "stack": spec.names.stack,
                "region": spec.region,
                "customizations_applied": applied,
                "task_definition": documents["task_definition"],
                "service": documents["service"],
                "worker_role_policy": documents["worker_role_policy"],
                "execution_role_policy": documents["execution_role_policy"],
                "events_dead_letter_queue": documents["events_dead_letter_queue"],
                "events_queue": documents["events_queue"],
                "event_rule": documents["event_rule"],
            });
            let mut text = serde_json::to_string_pretty(&out)
                .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
            text.push('\n');
            text
        }
        DocumentFormat::Yaml => {
            let mut text = yaml_header(name, spec, &applied);
            text.push_str(
                &serde_yaml_ng::to_string(&documents)
                    .map_err(|e| CommandError::Output(std::io::Error::other(e)))?,
            );
            text
        }
    };
    print_out(&text)
}

/// The IAM policies and the observer's queues and rule, with the account as a placeholder.
fn other_documents(spec: &StackSpec) -> Vec<(&'static str, Value)> {
    let placeholder = Observed {
        account_id: "<account-id>".to_owned(),
        partition: "aws".to_owned(),
        ..Observed::default()
    };
    let Ok(d) = desired(spec, &placeholder, true) else {
        return vec![];
    };
    let queue = |name: String, attributes: Vec<(&str, String)>| {
        let attributes: serde_json::Map<String, Value> = attributes
            .into_iter()
            .map(|(k, v)| {
                let v = serde_json::from_str::<Value>(&v)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or(Value::String(v));
                (k.to_owned(), v)
            })
            .collect();
        json!({ "QueueName": name, "Attributes": attributes })
    };
    let secret = spec.secret_name.as_ref().map(|name| {
        format!(
            "arn:aws:secretsmanager:{}:<account-id>:secret:{name}-<suffix>",
            spec.region
        )
    });
    vec![
        ("worker_role_policy", d.worker_inline.clone()),
        (
            "execution_role_policy",
            secret
                .as_deref()
                .map(policies::execution_inline)
                .unwrap_or(Value::Null),
        ),
        (
            "events_dead_letter_queue",
            queue(
                spec.names.events_dead_letter_queue(),
                observer::dead_letter_attributes(),
            ),
        ),
        (
            "events_queue",
            queue(
                spec.names.events_queue(),
                observer::queue_attributes(&d.observer),
            ),
        ),
        (
            "event_rule",
            json!({
                "Name": spec.names.events_rule(),
                "EventPattern": observer::event_pattern(&d.cluster_arn),
                "Targets": [{ "Id": observer::RULE_TARGET_ID, "Arn": d.observer.queue }],
            }),
        ),
    ]
}

fn applied_patches(steps: &[PatchStep]) -> Vec<Value> {
    steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let op = serde_json::to_value(&step.operation).unwrap_or(Value::Null);
            json!({
                "index": index,
                "target": step.target.as_str(),
                "op": op["op"],
                "path": op["path"],
            })
        })
        .collect()
}

fn yaml_header(name: &str, spec: &StackSpec, applied: &[Value]) -> String {
    let mut header = format!(
        "# prefect-tui preview of profile '{name}' (stack {}, region {})\n",
        spec.names.stack, spec.region
    );
    if applied.is_empty() {
        header.push_str("# customizations applied: none\n");
    } else {
        header.push_str(&format!("# customizations applied: {}\n", applied.len()));
        for a in applied {
            header.push_str(&format!(
                "#   [{}] {} {} {}\n",
                a["index"],
                a["target"].as_str().unwrap_or_default(),
                a["op"].as_str().unwrap_or_default(),
                a["path"].as_str().unwrap_or_default()
            ));
        }
    }
    header.push_str(
        "# Values in <angle brackets> are known only after deploy; secret values are redacted.\n",
    );
    header
}
