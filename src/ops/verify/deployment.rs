//! The verify deployment: a flow that needs no code storage and no image of ours (its
//! source travels in the deployment's pull step), made and removed by name.

use serde_json::json;

use crate::ops::OpsError;
use crate::prefect::PrefectClient;
use crate::prefect::runs::{Deployment, DeploymentSpec};
use crate::stack::StackSpec;
use crate::stack::names::{MANAGED_BY_VALUE, STACK_TAG};

const FLOW_FILE: &str = "prefect_tui_verify.py";
/// The flow's source; `{flow}` is the stack's flow name (no other braces are in it, and no
/// double ones, which Prefect would template).
const FLOW_SOURCE: &str = r#"# Written by prefect-tui verify: proves a flow run runs on this work pool.
import platform
import socket

from prefect import flow


@flow(name="{flow}", log_prints=True)
def verify() -> str:
    print("prefect-tui verify: flow run on", socket.gethostname(), "with Python", platform.python_version())
    print("prefect-tui verify: done")
    return "ok"
"#;

/// The verify flow's source for a stack.
pub fn flow_source(spec: &StackSpec) -> String {
    FLOW_SOURCE.replace("{flow}", &spec.names.verify_flow())
}

/// `flow/deployment`, as Prefect names a deployment.
pub fn full_name(spec: &StackSpec) -> String {
    format!(
        "{}/{}",
        spec.names.verify_flow(),
        spec.names.verify_deployment()
    )
}

/// The verify deployment of a stack.
pub fn deployment_spec(spec: &StackSpec) -> DeploymentSpec {
    let hex: String = flow_source(spec)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let script = format!(
        "python -c \"import pathlib; pathlib.Path('{FLOW_FILE}').write_bytes(bytes.fromhex('{hex}'))\""
    );
    DeploymentSpec {
        name: spec.names.verify_deployment(),
        work_pool: spec.work_pool.clone(),
        entrypoint: format!("{FLOW_FILE}:verify"),
        pull_steps: json!([{
            "prefect.deployments.steps.run_shell_script": { "script": script, "stream_output": true }
        }]),
        tags: vec![
            MANAGED_BY_VALUE.to_owned(),
            format!("{STACK_TAG}={}", spec.names.stack),
        ],
        description: format!(
            "Made by `prefect-tui verify` for the stack {}: one flow run proves the work pool \
             runs flows. `prefect-tui destroy` removes it.",
            spec.names.stack
        ),
    }
}

/// The verify deployment: made if missing, brought back to its definition if not.
pub async fn ensure_deployment(
    prefect: &PrefectClient,
    spec: &StackSpec,
) -> Result<(Deployment, bool), OpsError> {
    let wanted = deployment_spec(spec);
    let flow_name = spec.names.verify_flow();
    let existed = prefect
        .deployment_by_name(&flow_name, &wanted.name)
        .await?
        .is_some();
    let flow = prefect.ensure_flow(&flow_name).await?;
    let deployment = prefect.upsert_deployment(&flow.id, &wanted).await?;
    Ok((deployment, !existed))
}

/// Removes the stack's verify deployment, then its flow (with the flow's runs) unless
/// someone gave the flow another deployment. Returns what it removed, in words.
pub async fn remove_deployment(
    prefect: &PrefectClient,
    spec: &StackSpec,
) -> Result<Vec<String>, OpsError> {
    let mut removed = Vec::new();
    let flow_name = spec.names.verify_flow();
    if let Some(d) = prefect
        .deployment_by_name(&flow_name, &spec.names.verify_deployment())
        .await?
    {
        prefect.delete_deployment(&d.id).await?;
        removed.push(format!("deployment {}", full_name(spec)));
    }
    if let Some(flow) = prefect.flow_by_name(&flow_name).await?
        && prefect.deployments_of_flow(&flow.id).await?.is_empty()
    {
        prefect.delete_flow(&flow.id).await?;
        removed.push(format!("flow {flow_name} and its runs"));
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flow_travels_in_the_pull_step_as_hex() {
        let spec = match crate::profile::parse_profile(
            std::path::Path::new("cloud.toml"),
            include_str!("../../../profiles/cloud.toml"),
        ) {
            Ok((_, spec)) => spec,
            Err(e) => panic!("example profile is valid: {e}"),
        };
        let d = deployment_spec(&spec);
        let script = d.pull_steps[0]["prefect.deployments.steps.run_shell_script"]["script"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let hex = script
            .split("fromhex('")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap_or_default();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        let source = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(source, flow_source(&spec));
        assert!(source.contains(&format!(
            "@flow(name=\"prefect-tui-verify-{}\"",
            spec.names.stack
        )));
        assert!(!script.contains("{{"), "Prefect would template it");
        assert_eq!(d.entrypoint, "prefect_tui_verify.py:verify");
        assert!(
            d.tags
                .contains(&format!("prefect-tui:stack={}", spec.names.stack))
        );
    }
}
