//! `prefect-tui preview`: the documents a deploy would send, customizations applied,
//! secrets redacted. Works offline: values that only exist after a deploy are shown as
//! `<placeholders>`. With [notifications], [alarms] or [scaling], their documents too.

use serde_json::{Value, json};

use crate::cli::{DocumentFormat, GlobalArgs, PreviewArgs};
use crate::network::{Cidr, Layout};
use crate::stack::alerting::{self, AlarmKind, AlertArns};
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
    let alerting = alerting_documents(spec);
    for (name, doc) in &alerting {
        documents[*name] = doc.clone();
    }
    // The key is never needed to render, but if it is in this environment and a
    // customization copied it somewhere, it must not reach the screen.
    let key = std::env::var("PREFECT_API_KEY").unwrap_or_default();
    redact(&mut documents, &[key.trim()]);

    let applied = applied_patches(&spec.customizations);
    let text = match args.format {
        DocumentFormat::Json => {
            let mut out = json!({
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
            for (name, _) in &alerting {
                out[*name] = documents[*name].clone();
            }
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

/// The alerts topic, its subscriptions, the alarms, the crash rule, the log filter and the
/// scaling, as a deploy sends them: only the parts the profile asks for.
fn alerting_documents(spec: &StackSpec) -> Vec<(&'static str, Value)> {
    let monitoring = &spec.monitoring;
    let names = &spec.names;
    let arns = AlertArns::of(names, "aws", &spec.region, "<account-id>");
    let mut docs = Vec::new();
    if let Some(n) = &monitoring.notifications {
        docs.push((
            "alerts_topic",
            json!({
                "Name": names.alerts_topic(),
                "Policy": alerting::topic_policy(&arns, "<account-id>", "aws"),
                // Subscribed as deploy subscribes them: lower-cased.
                "EmailSubscriptions": n
                    .emails
                    .iter()
                    .map(|e| e.to_ascii_lowercase())
                    .collect::<Vec<_>>(),
            }),
        ));
    }
    if let Some(settings) = monitoring.alarms {
        let alarms: Vec<Value> = AlarmKind::ALL
            .iter()
            .map(|kind| {
                alerting::alarm(
                    *kind,
                    names,
                    spec.cluster.name(),
                    &spec.work_pool,
                    settings,
                    &arns.topic,
                )
            })
            .collect();
        docs.push(("alarms", Value::Array(alarms)));
        let cluster_arn = format!(
            "arn:aws:ecs:{}:<account-id>:cluster/{}",
            spec.region,
            spec.cluster.name()
        );
        let (paths, template) = alerting::crash_input(names, &spec.work_pool);
        docs.push((
            "crash_rule",
            json!({
                "Name": names.crash_rule(),
                "EventPattern": alerting::crash_pattern(&cluster_arn),
                "Targets": [{
                    "Id": alerting::CRASH_TARGET_ID,
                    "Arn": arns.topic,
                    "InputTransformer": { "InputPathsMap": paths, "InputTemplate": template },
                }],
            }),
        ));
        docs.push((
            "log_error_filter",
            json!({
                "FilterName": names.log_error_filter(),
                "LogGroupName": names.log_group(),
                "FilterPattern": alerting::LOG_ERROR_PATTERN,
                "MetricTransformations": [alerting::log_error_transformation(names)],
            }),
        ));
    }
    if let Some(scaling) = monitoring.scaling {
        docs.push((
            "scaling",
            json!({
                "ResourceId": alerting::scalable_resource_id(spec.cluster.name(), &names.service()),
                "MinCapacity": scaling.min,
                "MaxCapacity": scaling.max,
                "PolicyName": names.scaling_policy(),
                "TargetTrackingScalingPolicyConfiguration":
                    alerting::scaling_configuration(names, scaling.target),
            }),
        ));
    }
    docs
}
