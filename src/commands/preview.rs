//! `prefect-tui preview`: the documents a deploy would send, customizations applied,
//! secrets redacted. Works offline: values that only exist after a deploy are shown as
//! `<placeholders>`.

use serde_json::{Value, json};

use crate::cli::{DocumentFormat, GlobalArgs, PreviewArgs};
use crate::stack::{PatchStep, RenderContext, StackSpec, redact};

use super::{CommandError, load_profile, print_out};

pub fn run(global: &GlobalArgs, args: &PreviewArgs) -> Result<(), CommandError> {
    let loaded = load_profile(global, args.profile.as_deref())?;
    let (name, spec) = (&loaded.name, &loaded.spec);
    let ctx = RenderContext::placeholders(spec, None);
    let rendered = loaded.render(&ctx)?;
    let mut documents = json!({
        "task_definition": rendered.task_definition,
        "service": rendered.service,
    });
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
