//! `export`: the stack as infrastructure code, for a team that carries it into its own
//! repository. One model of the documents, two writers: `cloudformation` (a template) and
//! `terraform` (a module with variables, outputs and a README).
//!
//! The documents are the ones a deploy sends, made by the same functions (`render`,
//! `policies`, `observer`), customizations applied. What only exists once the stack does
//! (the account, the roles' ARNs, the secret's ARN, the security group's id) is rendered as
//! a [`Token`]: a marker that cannot occur in a profile's values, replaced by each writer
//! with its own reference (`Fn::Sub`/`Ref`/`Fn::GetAtt`, or a Terraform expression). The
//! API key is never part of it: a `NoEcho` parameter or a sensitive variable.
//!
//! The Prefect work pool's defaults are not AWS resources: both exports list them as
//! outputs, and their READMEs say how to set them.

pub mod cloudformation;
pub mod terraform;
mod tokens;

use serde_json::{Value, json};

pub use tokens::Token;

use crate::profile::PublicIp;
use crate::stack::names::{MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG};
use crate::stack::observer::{self, ObserverArns};
use crate::stack::policies::{self, EXECUTION_MANAGED_POLICY};
use crate::stack::{ClusterChoice, RenderContext, RenderError, StackSpec, render_customized};

/// One file of an export: its path inside the output directory, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: &'static str,
    pub text: String,
}

/// Everything of the stack an export writes, with [`Token`]s where values are not known
/// before the stack exists.
#[derive(Debug, Clone, PartialEq)]
pub struct StackModel {
    pub stack: String,
    pub region: String,
    pub vpc_id: String,
    pub secret_name: Option<String>,
    pub execution_role: String,
    pub task_role: String,
    pub trust: Value,
    pub execution_managed_policy: String,
    pub execution_inline: Option<Value>,
    pub worker_inline: Value,
    pub log_group: String,
    pub log_retention_days: u32,
    /// The cluster's name, and whether the stack makes it (`false`: the profile's own).
    pub cluster: String,
    pub cluster_owned: bool,
    pub security_group: String,
    pub security_group_description: String,
    /// The group's egress: TCP ports to anywhere on IPv4, each with its description.
    pub egress_ports: Vec<(u16, String)>,
    pub role_description: String,
    pub secret_description: String,
    pub dead_letter_queue: String,
    pub queue: String,
    pub queue_policy: Value,
    pub redrive: Value,
    pub rule: String,
    pub event_pattern: Value,
    /// The RegisterTaskDefinition and CreateService inputs, as a deploy sends them.
    pub task_definition: Value,
    pub service: Value,
    /// The profile says `auto`: the export asks (a parameter, a variable).
    pub public_ip_asked: bool,
    pub pool_defaults: Vec<(&'static str, Value)>,
    pub work_pool: String,
}

impl StackModel {
    pub fn of(spec: &StackSpec) -> Result<Self, RenderError> {
        let account = Token::AccountId.marker();
        let partition = Token::Partition.marker();
        let region = spec.region.as_str();
        let execution_role_arn = Token::ExecutionRoleArn.marker();
        let task_role_arn = Token::TaskRoleArn.marker();
        let secret_arn = spec.secret_name.as_ref().map(|_| Token::SecretArn.marker());
        let security_group_id = Token::SecurityGroupId.marker();
        let cluster_arn = policies::cluster_arn(&partition, region, &account, spec.cluster.name());
        let log_group_arn =
            policies::log_group_arn(&partition, region, &account, &spec.names.log_group());
        let observer = ObserverArns::of(spec, &partition, &account);
        let assign = match spec.public_ip {
            PublicIp::Enabled => Some(true),
            PublicIp::Disabled => Some(false),
            PublicIp::Auto => None,
        };
        let ctx = RenderContext {
            execution_role_arn: execution_role_arn.clone(),
            task_role_arn,
            secret_arn: secret_arn.clone(),
            security_group_id: security_group_id.clone(),
            assign_public_ip: assign,
        };
        let mut rendered = render_customized(spec, &ctx)?;
        let public_ip_asked = assign.is_none();
        if public_ip_asked {
            let at = &mut rendered.service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"];
            // Only the placeholder is replaced: a customization that set it wins.
            if at.as_str().is_some_and(|s| s.starts_with("<auto")) {
                *at = json!(Token::AssignPublicIp.marker());
            }
        }
        let pool_defaults = crate::stack::pool::pool_defaults(
            spec,
            &execution_role_arn,
            secret_arn.as_deref(),
            &security_group_id,
            assign.unwrap_or(true),
        );
        Ok(Self {
            stack: spec.names.stack.clone(),
            region: spec.region.clone(),
            vpc_id: spec.vpc_id.clone(),
            secret_name: spec.secret_name.clone(),
            execution_role: spec.names.execution_role(),
            task_role: spec.names.task_role(),
            trust: policies::ecs_tasks_trust(&account),
            execution_managed_policy: policies::managed_policy_arn(
                &partition,
                EXECUTION_MANAGED_POLICY,
            ),
            execution_inline: secret_arn.as_deref().map(policies::execution_inline),
            worker_inline: policies::worker_inline(&policies::WorkerScope {
                partition: &partition,
                region,
                account: &account,
                cluster: spec.cluster.name(),
                work_pool: &spec.work_pool,
                log_group_arn: &log_group_arn,
                pass_roles: std::slice::from_ref(&execution_role_arn),
                events_queue_arn: &observer.queue,
            }),
            log_group: spec.names.log_group(),
            log_retention_days: spec.log_retention_days,
            cluster: spec.cluster.name().to_owned(),
            cluster_owned: matches!(spec.cluster, ClusterChoice::Owned(_)),
            security_group: spec.names.security_group(),
            security_group_description: spec.names.security_group_description(),
            egress_ports: crate::stack::egress::wanted(spec)
                .into_iter()
                .filter_map(|(rule, why)| {
                    let (port, _) = rule.ports?;
                    Some((u16::try_from(port).ok()?, why))
                })
                .collect(),
            role_description: spec.names.role_description(),
            secret_description: spec.names.secret_description(),
            dead_letter_queue: spec.names.events_dead_letter_queue(),
            queue: spec.names.events_queue(),
            queue_policy: observer::queue_policy(&observer.queue, &observer.rule),
            redrive: observer::redrive_policy(&observer.dead_letter_queue),
            rule: spec.names.events_rule(),
            event_pattern: observer::event_pattern(&cluster_arn),
            task_definition: rendered.task_definition,
            service: rendered.service,
            public_ip_asked,
            pool_defaults,
            work_pool: spec.work_pool.clone(),
        })
    }

    /// The stack's two tags, as every resource carries them.
    pub fn tags(&self) -> [(&'static str, String); 2] {
        [
            (STACK_TAG, self.stack.clone()),
            (MANAGED_BY_TAG, MANAGED_BY_VALUE.to_owned()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> StackModel {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("profiles")
            .join(format!("{name}.toml"));
        let (_, spec) = crate::profile::load_file(&path).expect("an example profile");
        StackModel::of(&spec).expect("renders")
    }

    /// The customized example: its patches reach both exports, reviewed as snapshots.
    #[test]
    fn the_customized_example_as_a_template_and_a_module() {
        let model = example("customized");
        let template = cloudformation::files(&model);
        insta::assert_snapshot!("customized_template", template[0].text);
        let (module, left_out) = terraform::files(&model);
        assert!(left_out.is_empty(), "{left_out:?}");
        let main = module
            .iter()
            .find(|f| f.path == "main.tf")
            .expect("main.tf");
        insta::assert_snapshot!("customized_main_tf", main.text);
        for wanted in ["ARM64", "PREFECT_LOGGING_LEVEL", "data-platform"] {
            assert!(
                template[0].text.contains(wanted),
                "{wanted} in the template"
            );
            assert!(main.text.contains(wanted), "{wanted} in main.tf");
        }
        assert!(
            main.text.contains("deployment_minimum_healthy_percent = 0"),
            "the patched minimum healthy percent"
        );
    }

    #[test]
    fn no_marker_is_left_in_any_export() {
        for name in ["cloud", "self-hosted", "private-nat", "customized"] {
            let model = example(name);
            let mut files = cloudformation::files(&model);
            files.extend(terraform::files(&model).0);
            for f in files {
                assert!(
                    !f.text.contains('\u{27e6}') && !f.text.contains("<auto"),
                    "{name}/{}: a marker or placeholder is left:\n{}",
                    f.path,
                    f.text
                );
            }
        }
    }

    #[test]
    fn a_field_terraform_has_no_attribute_for_is_said() {
        let mut model = example("cloud");
        model.task_definition["volumes"] = serde_json::json!([{ "name": "scratch" }]);
        let (files, left_out) = terraform::files(&model);
        assert_eq!(left_out, vec!["task definition: volumes".to_owned()]);
        let readme = files
            .iter()
            .find(|f| f.path == "README.md")
            .expect("README.md");
        assert!(
            readme.text.contains("task definition: volumes"),
            "{}",
            readme.text
        );
    }
}
