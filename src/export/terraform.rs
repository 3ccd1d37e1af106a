//! The stack as a Terraform module: `versions.tf`, `variables.tf`, `main.tf`, `outputs.tf`
//! and a README. The module configures no provider: the calling configuration does, in the
//! profile's region. JSON documents (policies, the event pattern, the container
//! definitions) are written as HCL values inside `jsonencode`, so they stay reviewable.

use serde_json::Value;

use super::cloudformation::pool_section;
use super::tokens::{Piece, Token, only_token, pieces};
use super::{ExportedFile, StackModel};
use crate::stack::observer::{
    DEAD_LETTER_RETENTION_SECONDS, MAX_RECEIVE_COUNT, QUEUE_RETENTION_SECONDS, RULE_TARGET_ID,
};
use crate::stack::policies::{EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};

/// What the module declares, as `type.name`: the README's table and the tests read it.
pub fn resource_addresses(model: &StackModel) -> Vec<String> {
    let mut out = Vec::new();
    if model.secret_name.is_some() {
        out.push("aws_secretsmanager_secret.api_key");
        out.push("aws_secretsmanager_secret_version.api_key");
    }
    out.extend([
        "aws_iam_role.execution",
        "aws_iam_role_policy_attachment.execution_managed",
    ]);
    if model.execution_inline.is_some() {
        out.push("aws_iam_role_policy.execution_read_api_key");
    }
    out.extend([
        "aws_iam_role.worker",
        "aws_iam_role_policy.worker",
        "aws_cloudwatch_log_group.worker",
    ]);
    if model.cluster_owned {
        out.push("aws_ecs_cluster.worker");
    }
    out.extend([
        "aws_security_group.worker",
        "aws_sqs_queue.events_dlq",
        "aws_sqs_queue.events",
        "aws_sqs_queue_policy.events",
        "aws_cloudwatch_event_rule.ecs_task_state",
        "aws_cloudwatch_event_target.events_queue",
        "aws_ecs_task_definition.worker",
        "aws_ecs_service.worker",
    ]);
    out.into_iter().map(str::to_owned).collect()
}

/// The module's files, and the parts of customized documents it could not carry (said in
/// the README and by the command).
pub fn files(model: &StackModel) -> (Vec<ExportedFile>, Vec<String>) {
    let mut left_out = Vec::new();
    let main = main_tf(model, &mut left_out);
    let files = vec![
        ExportedFile {
            path: "versions.tf",
            text: VERSIONS.to_owned(),
        },
        ExportedFile {
            path: "variables.tf",
            text: variables_tf(model),
        },
        ExportedFile {
            path: "main.tf",
            text: main,
        },
        ExportedFile {
            path: "outputs.tf",
            text: outputs_tf(model),
        },
        ExportedFile {
            path: "README.md",
            text: readme(model, &left_out),
        },
    ];
    (files, left_out)
}

const VERSIONS: &str = "terraform {\n  required_version = \">= 1.5\"\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n  }\n}\n";

/// One line of HCL in a block: an attribute, a nested block, or a comment.
enum Line {
    Attr(String, String),
    Block(Block),
    Comment(String),
}

struct Block {
    header: String,
    lines: Vec<Line>,
}

impl Block {
    fn new(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            lines: Vec::new(),
        }
    }
    fn attr(mut self, name: &str, expression: impl Into<String>) -> Self {
        self.lines
            .push(Line::Attr(name.to_owned(), expression.into()));
        self
    }
    fn value(self, name: &str, v: &Value) -> Self {
        let expression = hcl(v, 1);
        self.attr(name, expression)
    }
    fn json(self, name: &str, v: &Value) -> Self {
        let expression = format!("jsonencode({})", hcl(v, 1));
        self.attr(name, expression)
    }
    fn block(mut self, b: Block) -> Self {
        self.lines.push(Line::Block(b));
        self
    }
    fn comment(mut self, text: &str) -> Self {
        self.lines.push(Line::Comment(text.to_owned()));
        self
    }
    fn tags(self, model: &StackModel, extra: &[(&str, &str)]) -> Self {
        let mut map = serde_json::Map::new();
        for (k, v) in extra {
            map.insert((*k).to_owned(), Value::String((*v).to_owned()));
        }
        for (k, v) in model.tags() {
            map.insert(k.to_owned(), Value::String(v));
        }
        self.value("tags", &Value::Object(map))
    }

    fn write(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        out.push_str(&format!("{pad}{} {{\n", self.header));
        let width = self
            .lines
            .iter()
            .filter_map(|l| match l {
                Line::Attr(n, e) if !e.contains('\n') => Some(n.len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for line in &self.lines {
            match line {
                Line::Attr(name, expression) => {
                    // Multi-line values are indented from this block's depth.
                    let expression = expression.replace('\n', &format!("\n{pad}  "));
                    let name = if expression.contains('\n') {
                        name.clone()
                    } else {
                        format!("{name:width$}")
                    };
                    out.push_str(&format!("{pad}  {name} = {expression}\n"));
                }
                Line::Block(b) => b.write(depth + 1, out),
                Line::Comment(text) => out.push_str(&format!("{pad}  # {text}\n")),
            }
        }
        out.push_str(&format!("{pad}}}\n"));
    }
}

fn write_all(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        b.write(0, &mut out);
    }
    out
}

fn variables_tf(model: &StackModel) -> String {
    let mut blocks = Vec::new();
    if model.secret_name.is_some() {
        blocks.push(
            Block::new("variable \"prefect_api_key\"")
                .attr("description", quoted("The Prefect API key (or self-hosted auth string) the worker uses. Pass it as TF_VAR_prefect_api_key, never in a file; it is kept in the secret and, as every secret value Terraform writes, in the state."))
                .attr("type", "string")
                .attr("sensitive", "true"),
        );
    }
    if model.public_ip_asked {
        blocks.push(
            Block::new("variable \"assign_public_ip\"")
                .attr("description", quoted("true when the subnets are public (a route to an internet gateway), false when they reach out through a NAT gateway. The profile says auto: prefect-tui decides it from the subnets at deploy."))
                .attr("type", "bool"),
        );
    }
    write_all(&blocks)
}

fn main_tf(model: &StackModel, left_out: &mut Vec<String>) -> String {
    let mut blocks = vec![
        Block::new("data \"aws_caller_identity\" \"current\""),
        Block::new("data \"aws_partition\" \"current\""),
    ];
    if let Some(name) = &model.secret_name {
        blocks.push(
            Block::new("resource \"aws_secretsmanager_secret\" \"api_key\"")
                .attr("name", quoted(name))
                .attr("description", quoted(&model.secret_description))
                // Deleted at once on destroy: with a recovery window the name stays taken,
                // and the next apply of this module fails to create it. The key is
                // Prefect's and in var.prefect_api_key; nothing is lost.
                .attr("recovery_window_in_days", "0")
                .tags(model, &[]),
        );
        blocks.push(
            Block::new("resource \"aws_secretsmanager_secret_version\" \"api_key\"")
                .attr("secret_id", "aws_secretsmanager_secret.api_key.id")
                .attr("secret_string", "var.prefect_api_key"),
        );
    }
    blocks.push(role_block("execution", &model.execution_role, model));
    blocks.push(
        Block::new("resource \"aws_iam_role_policy_attachment\" \"execution_managed\"")
            .attr("role", "aws_iam_role.execution.name")
            .value(
                "policy_arn",
                &Value::String(model.execution_managed_policy.clone()),
            ),
    );
    if let Some(inline) = &model.execution_inline {
        blocks.push(
            Block::new("resource \"aws_iam_role_policy\" \"execution_read_api_key\"")
                .attr("name", quoted(EXECUTION_INLINE_POLICY))
                .attr("role", "aws_iam_role.execution.id")
                .json("policy", inline),
        );
    }
    blocks.push(role_block("worker", &model.task_role, model));
    blocks.push(
        Block::new("resource \"aws_iam_role_policy\" \"worker\"")
            .attr("name", quoted(WORKER_INLINE_POLICY))
            .attr("role", "aws_iam_role.worker.id")
            .json("policy", &model.worker_inline),
    );
    blocks.push(
        Block::new("resource \"aws_cloudwatch_log_group\" \"worker\"")
            .attr("name", quoted(&model.log_group))
            .attr("retention_in_days", model.log_retention_days.to_string())
            .tags(model, &[]),
    );
    if model.cluster_owned {
        blocks.push(
            Block::new("resource \"aws_ecs_cluster\" \"worker\"")
                .attr("name", quoted(&model.cluster))
                .tags(model, &[]),
        );
    }
    let mut group = Block::new("resource \"aws_security_group\" \"worker\"")
        .attr("name", quoted(&model.security_group))
        .attr("description", quoted(&model.security_group_description))
        .attr("vpc_id", quoted(&model.vpc_id))
        .comment("No ingress: nothing connects to a worker. Egress: these ports only.");
    for (port, why) in &model.egress_ports {
        group = group.block(
            Block::new("egress")
                .attr("description", quoted(why))
                .attr("from_port", port.to_string())
                .attr("to_port", port.to_string())
                .attr("protocol", quoted("tcp"))
                .attr("cidr_blocks", "[\"0.0.0.0/0\"]"),
        );
    }
    blocks.push(group.tags(model, &[("Name", &model.security_group)]));
    blocks.push(
        Block::new("resource \"aws_sqs_queue\" \"events_dlq\"")
            .attr("name", quoted(&model.dead_letter_queue))
            .attr("sqs_managed_sse_enabled", "true")
            .attr(
                "message_retention_seconds",
                DEAD_LETTER_RETENTION_SECONDS.to_string(),
            )
            .tags(model, &[]),
    );
    blocks.push(
        Block::new("resource \"aws_sqs_queue\" \"events\"")
            .attr("name", quoted(&model.queue))
            .attr("sqs_managed_sse_enabled", "true")
            .attr("message_retention_seconds", QUEUE_RETENTION_SECONDS.to_string())
            .attr(
                "redrive_policy",
                format!(
                    "jsonencode({{\n  deadLetterTargetArn = aws_sqs_queue.events_dlq.arn\n  maxReceiveCount     = {MAX_RECEIVE_COUNT}\n}})"
                ),
            )
            .tags(model, &[]),
    );
    blocks.push(
        Block::new("resource \"aws_sqs_queue_policy\" \"events\"")
            .attr("queue_url", "aws_sqs_queue.events.id")
            .json("policy", &model.queue_policy),
    );
    blocks.push(
        Block::new("resource \"aws_cloudwatch_event_rule\" \"ecs_task_state\"")
            .attr("name", quoted(&model.rule))
            .attr(
                "description",
                quoted(&format!(
                    "ECS task state changes of the prefect-tui stack {}, for the worker's observer",
                    model.stack
                )),
            )
            .json("event_pattern", &model.event_pattern)
            .tags(model, &[]),
    );
    blocks.push(
        Block::new("resource \"aws_cloudwatch_event_target\" \"events_queue\"")
            .attr("rule", "aws_cloudwatch_event_rule.ecs_task_state.name")
            .attr("target_id", quoted(RULE_TARGET_ID))
            .attr("arn", "aws_sqs_queue.events.arn")
            .attr("depends_on", "[aws_sqs_queue_policy.events]"),
    );
    blocks.push(task_definition_block(model, left_out));
    blocks.push(service_block(model, left_out));
    let mut text = format!(
        "# The prefect-tui stack {} (work pool {}), exported by `prefect-tui export`.\n\n",
        model.stack, model.work_pool
    );
    text.push_str(&write_all(&blocks));
    text
}

fn role_block(name: &str, role: &str, model: &StackModel) -> Block {
    Block::new(format!("resource \"aws_iam_role\" \"{name}\""))
        .attr("name", quoted(role))
        .attr("description", quoted(&model.role_description))
        .json("assume_role_policy", &model.trust)
        .tags(model, &[])
}

fn task_definition_block(model: &StackModel, left_out: &mut Vec<String>) -> Block {
    let td = &model.task_definition;
    let mut b = Block::new("resource \"aws_ecs_task_definition\" \"worker\"");
    let Value::Object(fields) = td else {
        return b;
    };
    for (key, v) in fields {
        b = match key.as_str() {
            "family"
            | "cpu"
            | "memory"
            | "networkMode"
            | "pidMode"
            | "ipcMode"
            | "taskRoleArn"
            | "executionRoleArn"
            | "requiresCompatibilities" => b.value(&snake(key), v),
            "containerDefinitions" => b.json("container_definitions", v),
            "runtimePlatform" => b.block(nested("runtime_platform", v)),
            "ephemeralStorage" => b.block(nested("ephemeral_storage", v)),
            "tags" => b.value("tags", &tag_map(v)),
            other => {
                left_out.push(format!("task definition: {other}"));
                b
            }
        };
    }
    b
}

fn service_block(model: &StackModel, left_out: &mut Vec<String>) -> Block {
    let svc = &model.service;
    let mut b = Block::new("resource \"aws_ecs_service\" \"worker\"");
    let Value::Object(fields) = svc else {
        return b;
    };
    for (key, v) in fields {
        b = match key.as_str() {
            "serviceName" => b.value("name", v),
            "cluster" if model.cluster_owned => b.attr("cluster", "aws_ecs_cluster.worker.id"),
            "cluster" => b.value("cluster", v),
            "taskDefinition" => b.attr("task_definition", "aws_ecs_task_definition.worker.arn"),
            "desiredCount"
            | "launchType"
            | "platformVersion"
            | "propagateTags"
            | "enableExecuteCommand"
            | "healthCheckGracePeriodSeconds" => b.value(&snake(key), v),
            "enableECSManagedTags" => b.value("enable_ecs_managed_tags", v),
            "networkConfiguration" => {
                let vpc = &v["awsvpcConfiguration"];
                let public = match &vpc["assignPublicIp"] {
                    Value::String(s) if s == "ENABLED" => "true".to_owned(),
                    Value::String(s) if only_token(s) == Some(Token::AssignPublicIp) => {
                        "var.assign_public_ip".to_owned()
                    }
                    _ => "false".to_owned(),
                };
                b.block(
                    Block::new("network_configuration")
                        .value("subnets", &vpc["subnets"])
                        .value("security_groups", &vpc["securityGroups"])
                        .attr("assign_public_ip", public),
                )
            }
            "deploymentConfiguration" => {
                let mut b = b;
                if let Some(n) = v.get("maximumPercent") {
                    b = b.value("deployment_maximum_percent", n);
                }
                if let Some(n) = v.get("minimumHealthyPercent") {
                    b = b.value("deployment_minimum_healthy_percent", n);
                }
                if let Some(cb) = v.get("deploymentCircuitBreaker") {
                    b = b.block(nested("deployment_circuit_breaker", cb));
                }
                b
            }
            "tags" => b.value("tags", &tag_map(v)),
            other => {
                left_out.push(format!("service: {other}"));
                b
            }
        };
    }
    // The role policies are separate resources here: without them in depends_on the
    // service can start tasks before the execution role may read the secret or the worker
    // may run flow runs, and its first tasks fail.
    let mut after = vec![
        "aws_cloudwatch_log_group.worker",
        "aws_cloudwatch_event_target.events_queue",
        "aws_iam_role_policy_attachment.execution_managed",
        "aws_iam_role_policy.worker",
    ];
    if model.execution_inline.is_some() {
        after.push("aws_iam_role_policy.execution_read_api_key");
    }
    b.attr("depends_on", format!("[{}]", after.join(", ")))
}

/// A JSON object as a nested block of snake_case attributes.
fn nested(name: &str, v: &Value) -> Block {
    let mut b = Block::new(name);
    if let Value::Object(fields) = v {
        for (k, v) in fields {
            b = b.value(&snake(k), v);
        }
    }
    b
}

/// ECS's `[{key, value}]` tags as Terraform's map.
fn tag_map(v: &Value) -> Value {
    let map = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["key"].as_str()?.to_owned(), t["value"].clone())))
        .collect();
    Value::Object(map)
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn outputs_tf(model: &StackModel) -> String {
    let mut blocks = vec![
        output(
            "execution_role_arn",
            "The execution role: the work pool's execution_role_arn",
            "aws_iam_role.execution.arn",
        ),
        output(
            "security_group_id",
            "The worker's security group: the work pool's network_configuration",
            "aws_security_group.worker.id",
        ),
        output(
            "cluster",
            "The work pool's cluster",
            if model.cluster_owned {
                "aws_ecs_cluster.worker.name".to_owned()
            } else {
                quoted(&model.cluster)
            },
        ),
        output(
            "events_queue_url",
            "The queue the worker's observer reads",
            "aws_sqs_queue.events.id",
        ),
        output(
            "service_name",
            "The worker's ECS service",
            "aws_ecs_service.worker.name",
        ),
    ];
    if model.secret_name.is_some() {
        blocks.insert(
            0,
            output(
                "secret_arn",
                "The secret the worker reads its credential from",
                "aws_secretsmanager_secret.api_key.arn",
            ),
        );
    }
    write_all(&blocks)
}

fn output(name: &str, description: &str, value: impl Into<String>) -> Block {
    Block::new(format!("output \"{name}\""))
        .attr("description", quoted(description))
        .attr("value", value)
}

fn readme(model: &StackModel, left_out: &[String]) -> String {
    let mut text = format!(
        "# prefect-tui stack {stack} as a Terraform module\n\n\
         This module makes the stack `prefect-tui deploy` makes for this profile: the same \
         names, tags, policies, task definition (customizations applied) and service. It \
         configures no provider: use it from a configuration whose `aws` provider is in \
         {region}, the region the documents name.\n\n\
         ```hcl\n\
         module \"prefect_worker\" {{\n  source = \"./{stack}\"{vars}\n}}\n\
         ```\n\n",
        stack = model.stack,
        region = model.region,
        vars = if model.public_ip_asked {
            "\n  assign_public_ip = true # public subnets; false behind a NAT gateway\n  # prefect_api_key from TF_VAR_prefect_api_key"
        } else if model.secret_name.is_some() {
            "\n  # prefect_api_key from TF_VAR_prefect_api_key"
        } else {
            ""
        },
    );
    if model.secret_name.is_some() {
        text.push_str(
            "The API key is the sensitive variable `prefect_api_key`: Terraform hides it in \
             plans and output, but keeps it in its state (as it keeps every secret value it \
             writes), so keep the state encrypted and private.\n\n",
        );
    }
    text.push_str("## Resources\n\n");
    for address in resource_addresses(model) {
        text.push_str(&format!("- `{address}`\n"));
    }
    if !left_out.is_empty() {
        text.push_str(
            "\n## Not carried over\n\nThese fields of the customized documents have no \
             attribute here; add them by hand:\n\n",
        );
        for field in left_out {
            text.push_str(&format!("- {field}\n"));
        }
    }
    text.push_str(&format!(
        "\n## Adopting the running stack\n\n\
         Applied as it is, this module makes a second stack, and its creates fail where the \
         running stack's names are taken. To hand the running stack to Terraform instead, \
         add `import` blocks before the first apply (Terraform 1.5 or later), for example:\n\n\
         ```hcl\n\
         import {{\n  to = module.prefect_worker.aws_iam_role.execution\n  id = \"{execution}\"\n}}\n\
         import {{\n  to = module.prefect_worker.aws_iam_role.worker\n  id = \"{worker}\"\n}}\n\
         import {{\n  to = module.prefect_worker.aws_cloudwatch_log_group.worker\n  id = \"{log_group}\"\n}}\n\
         import {{\n  to = module.prefect_worker.aws_ecs_service.worker\n  id = \"{cluster}/{service}\"\n}}\n\
         ```\n\n\
         and the same for the others: the security group by its id, the queues by their URLs, \
         the rule by its name (`{rule}`), the target as `{rule}/{target}`, the role policies \
         as `ROLE:POLICY`, the secret by its ARN. `terraform plan` then shows what differs. \
         After that, stop using `prefect-tui deploy` and `destroy` for this stack (both would \
         fight Terraform); `status`, `monitor`, `logs` and `verify` only read, and keep \
         working.\n\n",
        execution = model.execution_role,
        worker = model.task_role,
        log_group = model.log_group,
        cluster = model.cluster,
        service = model.service["serviceName"].as_str().unwrap_or_default(),
        rule = model.rule,
        target = RULE_TARGET_ID,
    ));
    text.push_str(&pool_section(model));
    text
}

/// A string as an HCL template: quoted, escaped, tokens as interpolations.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for piece in pieces(s) {
        match piece {
            Piece::Text(t) => {
                for c in t.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '"' => out.push_str("\\\""),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c => out.push(c),
                    }
                }
                // Terraform reads `${` and `%{` as template syntax; doubled they are text.
            }
            Piece::Token(t) => out.push_str(&format!("${{{}}}", expression(t))),
        }
    }
    out.push('"');
    escape_templates(&out)
}

/// `${` and `%{` written by a profile are literal: doubled, they are not interpolations.
/// Interpolations this writer made are marked by the expressions they hold.
fn escape_templates(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut rest = quoted;
    while let Some(i) = rest.find(['$', '%']) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let ours = EXPRESSIONS
            .iter()
            .any(|e| after.starts_with(&format!("${{{e}}}")));
        if (after.starts_with("${") || after.starts_with("%{")) && !ours {
            out.push_str(&after[..1]);
        }
        out.push_str(&after[..1]);
        rest = &after[1..];
    }
    out.push_str(rest);
    out
}

const EXPRESSIONS: [&str; 7] = [
    "data.aws_caller_identity.current.account_id",
    "data.aws_partition.current.partition",
    "aws_iam_role.execution.arn",
    "aws_iam_role.worker.arn",
    "aws_secretsmanager_secret.api_key.arn",
    "aws_security_group.worker.id",
    "var.assign_public_ip ? \"ENABLED\" : \"DISABLED\"",
];

fn expression(t: Token) -> &'static str {
    match t {
        Token::AccountId => EXPRESSIONS[0],
        Token::Partition => EXPRESSIONS[1],
        Token::ExecutionRoleArn => EXPRESSIONS[2],
        Token::TaskRoleArn => EXPRESSIONS[3],
        Token::SecretArn => EXPRESSIONS[4],
        Token::SecurityGroupId => EXPRESSIONS[5],
        Token::AssignPublicIp => EXPRESSIONS[6],
    }
}

/// A JSON value as an HCL expression, indented for `depth` levels.
fn hcl(v: &Value, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let inner = "  ".repeat(depth.saturating_sub(1));
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match only_token(s) {
            Some(t) => expression(t).to_owned(),
            None => quoted(s),
        },
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let parts: Vec<String> = items.iter().map(|i| hcl(i, depth + 1)).collect();
            let line = format!("[{}]", parts.join(", "));
            if line.len() <= 80 {
                line
            } else {
                format!("[\n{pad}{}\n{inner}]", parts.join(&format!(",\n{pad}")))
            }
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| hcl(i, depth + 1)).collect();
            format!("[\n{pad}{}\n{inner}]", parts.join(&format!(",\n{pad}")))
        }
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        Value::Object(map) => {
            let width = map.keys().map(|k| key(k).len()).max().unwrap_or(0);
            let lines: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{pad}{:width$} = {}", key(k), hcl(v, depth + 1)))
                .collect();
            format!("{{\n{}\n{inner}}}", lines.join("\n"))
        }
    }
}

/// An object key: bare when it is an identifier, quoted otherwise.
fn key(k: &str) -> String {
    let identifier = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier { k.to_owned() } else { quoted(k) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_escaped_and_tokens_interpolated() {
        assert_eq!(quoted("a \"b\" \\ c"), r#""a \"b\" \\ c""#);
        assert_eq!(quoted("echo ${HOME} %{x}"), r#""echo $${HOME} %%{x}""#);
        let arn = format!(
            "arn:{}:iam::{}:role/r",
            Token::Partition.marker(),
            Token::AccountId.marker()
        );
        assert_eq!(
            quoted(&arn),
            "\"arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/r\""
        );
        assert_eq!(
            hcl(&json!(Token::TaskRoleArn.marker()), 1),
            "aws_iam_role.worker.arn"
        );
    }

    #[test]
    fn objects_quote_keys_that_are_not_identifiers() {
        let v = json!({ "awslogs-group": "/g", "aws:SourceArn": "x", "Version": "2012-10-17" });
        let text = hcl(&v, 1);
        assert!(text.contains("\"aws:SourceArn\" = \"x\""), "{text}");
        assert!(text.contains("awslogs-group"), "{text}");
        assert!(!text.contains("\"awslogs-group\""), "{text}");
        assert!(text.contains("Version"), "{text}");
    }

    #[test]
    fn camel_case_becomes_snake_case() {
        assert_eq!(snake("executionRoleArn"), "execution_role_arn");
        assert_eq!(snake("operatingSystemFamily"), "operating_system_family");
    }
}
