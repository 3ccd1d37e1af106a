//! The stack as a CloudFormation template (JSON). Resource properties are the deploy's
//! documents with CloudFormation's names: the RegisterTaskDefinition and CreateService
//! inputs are the same structures with capitalised keys (the keys of maps a person
//! names, such as a log driver's `options`, are kept as they are).

use serde_json::{Map, Value, json};

use super::tokens::{Piece, Token, only_token, pieces};
use super::{ExportedFile, StackModel};
use crate::stack::observer::{
    DEAD_LETTER_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, RULE_TARGET_ID,
};
use crate::stack::policies::{EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};

pub const SECRET: &str = "ApiKeySecret";
pub const EXECUTION_ROLE: &str = "ExecutionRole";
pub const WORKER_ROLE: &str = "WorkerRole";
pub const LOG_GROUP: &str = "LogGroup";
pub const CLUSTER: &str = "Cluster";
pub const SECURITY_GROUP: &str = "SecurityGroup";
pub const DEAD_LETTER_QUEUE: &str = "EventsDeadLetterQueue";
pub const QUEUE: &str = "EventsQueue";
pub const QUEUE_POLICY: &str = "EventsQueuePolicy";
pub const RULE: &str = "EventRule";
pub const TASK_DEFINITION: &str = "TaskDefinition";
pub const SERVICE: &str = "Service";
pub const API_KEY_PARAMETER: &str = "PrefectApiKey";
pub const PUBLIC_IP_PARAMETER: &str = "AssignPublicIp";

/// Maps whose keys a person chose: kept as written.
const NAMED_MAPS: [&str; 4] = ["options", "dockerLabels", "driverOpts", "labels"];

/// The template file and its README.
pub fn files(model: &StackModel) -> Vec<ExportedFile> {
    let mut text = serde_json::to_string_pretty(&template(model)).unwrap_or_default();
    text.push('\n');
    vec![
        ExportedFile {
            path: "template.json",
            text,
        },
        ExportedFile {
            path: "README.md",
            text: readme(model),
        },
    ]
}

pub fn template(model: &StackModel) -> Value {
    let tags = tags(model, &[]);
    let mut parameters = Map::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();

    if let Some(name) = &model.secret_name {
        parameters.insert(
            API_KEY_PARAMETER.into(),
            json!({
                "Type": "String",
                "NoEcho": true,
                "MinLength": 1,
                "Description": "The Prefect API key (or self-hosted auth string) the worker uses; stored only in the secret.",
            }),
        );
        resources.insert(
            SECRET.into(),
            json!({
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": name,
                    "Description": model.secret_description,
                    "SecretString": { "Ref": API_KEY_PARAMETER },
                    "Tags": tags,
                },
            }),
        );
        outputs.insert(
            "SecretArn".into(),
            output(
                "The secret the worker reads its credential from",
                json!({ "Ref": SECRET }),
            ),
        );
    }
    if model.public_ip_asked {
        parameters.insert(
            PUBLIC_IP_PARAMETER.into(),
            json!({
                "Type": "String",
                "AllowedValues": ["ENABLED", "DISABLED"],
                "Description": "ENABLED when the subnets are public (a route to an internet gateway), DISABLED when they reach out through a NAT gateway. The profile says auto: prefect-tui decides it from the subnets at deploy.",
            }),
        );
    }

    let mut execution_policies = Vec::new();
    if let Some(inline) = &model.execution_inline {
        execution_policies.push(json!({
            "PolicyName": EXECUTION_INLINE_POLICY,
            "PolicyDocument": inline,
        }));
    }
    resources.insert(
        EXECUTION_ROLE.into(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": model.execution_role,
                "Description": model.role_description,
                "AssumeRolePolicyDocument": model.trust,
                "ManagedPolicyArns": [model.execution_managed_policy],
                "Policies": execution_policies,
                "Tags": tags,
            },
        }),
    );
    resources.insert(
        WORKER_ROLE.into(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": model.task_role,
                "Description": model.role_description,
                "AssumeRolePolicyDocument": model.trust,
                "Policies": [{ "PolicyName": WORKER_INLINE_POLICY, "PolicyDocument": model.worker_inline }],
                "Tags": tags,
            },
        }),
    );
    resources.insert(
        LOG_GROUP.into(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": model.log_group,
                "RetentionInDays": model.log_retention_days,
                "Tags": tags,
            },
        }),
    );
    if model.cluster_owned {
        resources.insert(
            CLUSTER.into(),
            json!({
                "Type": "AWS::ECS::Cluster",
                "Properties": { "ClusterName": model.cluster, "Tags": tags },
            }),
        );
    }
    resources.insert(
        SECURITY_GROUP.into(),
        json!({
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupName": model.security_group,
                "GroupDescription": model.security_group_description,
                "VpcId": model.vpc_id,
                "SecurityGroupEgress": model
                    .egress_ports
                    .iter()
                    .map(|(port, why)| json!({
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "CidrIp": "0.0.0.0/0",
                        "Description": why,
                    }))
                    .collect::<Vec<_>>(),
                "Tags": self::tags(model, &[("Name", &model.security_group)]),
            },
        }),
    );
    resources.insert(
        DEAD_LETTER_QUEUE.into(),
        json!({
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": model.dead_letter_queue,
                "SqsManagedSseEnabled": true,
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "Tags": tags,
            },
        }),
    );
    resources.insert(
        QUEUE.into(),
        json!({
            "Type": "AWS::SQS::Queue",
            "DependsOn": [DEAD_LETTER_QUEUE],
            "Properties": {
                "QueueName": model.queue,
                "SqsManagedSseEnabled": true,
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "RedrivePolicy": model.redrive,
                "Tags": tags,
            },
        }),
    );
    resources.insert(
        QUEUE_POLICY.into(),
        json!({
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{ "Ref": QUEUE }],
                "PolicyDocument": model.queue_policy,
            },
        }),
    );
    resources.insert(
        RULE.into(),
        json!({
            "Type": "AWS::Events::Rule",
            "DependsOn": [QUEUE_POLICY],
            "Properties": {
                "Name": model.rule,
                "Description": format!("ECS task state changes of the prefect-tui stack {}, for the worker's observer", model.stack),
                "EventPattern": model.event_pattern,
                "State": "ENABLED",
                "Targets": [{ "Id": RULE_TARGET_ID, "Arn": { "Fn::GetAtt": [QUEUE, "Arn"] } }],
                "Tags": tags,
            },
        }),
    );
    resources.insert(
        TASK_DEFINITION.into(),
        json!({
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": cfn_keys(&model.task_definition, false),
        }),
    );
    let mut service = cfn_keys(&model.service, false);
    if model.cluster_owned {
        service["Cluster"] = json!({ "Ref": CLUSTER });
    }
    service["TaskDefinition"] = json!({ "Ref": TASK_DEFINITION });
    resources.insert(
        SERVICE.into(),
        json!({
            "Type": "AWS::ECS::Service",
            "DependsOn": [LOG_GROUP, RULE],
            "Properties": service,
        }),
    );

    outputs.insert(
        "ExecutionRoleArn".into(),
        output(
            "The execution role: the work pool's execution_role_arn",
            json!({ "Fn::GetAtt": [EXECUTION_ROLE, "Arn"] }),
        ),
    );
    outputs.insert(
        "SecurityGroupId".into(),
        output(
            "The worker's security group: the work pool's network_configuration",
            json!({ "Fn::GetAtt": [SECURITY_GROUP, "GroupId"] }),
        ),
    );
    outputs.insert(
        "ClusterName".into(),
        output("The work pool's cluster", json!(model.cluster)),
    );
    outputs.insert(
        "EventsQueueUrl".into(),
        output(
            "The queue the worker's observer reads",
            json!({ "Ref": QUEUE }),
        ),
    );

    let value = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "prefect-tui stack {}: a Prefect worker for the work pool {} on ECS Fargate (exported by prefect-tui)",
            model.stack, model.work_pool
        ),
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    });
    resolve(&value)
}

fn output(description: &str, value: Value) -> Value {
    json!({ "Description": description, "Value": value })
}

fn tags(model: &StackModel, extra: &[(&str, &str)]) -> Value {
    let mut out: Vec<Value> = extra
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    out.extend(
        model
            .tags()
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v })),
    );
    Value::Array(out)
}

/// An AWS API input with CloudFormation's property names: every key capitalised, except
/// inside maps a person names.
pub fn cfn_keys(v: &Value, keep: bool) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = if keep { k.clone() } else { capitalised(k) };
                    (key, cfn_keys(v, NAMED_MAPS.contains(&k.as_str())))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| cfn_keys(i, false)).collect()),
        other => other.clone(),
    }
}

fn capitalised(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every token replaced by a reference: a string that is one token becomes `Ref` or
/// `Fn::GetAtt`; a string with tokens in it becomes `Fn::Sub` (its own `${` escaped).
pub fn resolve(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            if let Some(t) = only_token(s) {
                return reference(t);
            }
            let parts = pieces(s);
            if !parts.iter().any(|p| matches!(p, Piece::Token(_))) {
                return v.clone();
            }
            let text: String = parts
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t.replace("${", "${!"),
                    Piece::Token(t) => format!("${{{}}}", sub_name(t)),
                })
                .collect();
            json!({ "Fn::Sub": text })
        }
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        other => other.clone(),
    }
}

fn sub_name(t: Token) -> &'static str {
    match t {
        Token::AccountId => "AWS::AccountId",
        Token::Partition => "AWS::Partition",
        Token::ExecutionRoleArn => "ExecutionRole.Arn",
        Token::TaskRoleArn => "WorkerRole.Arn",
        Token::SecretArn => SECRET,
        Token::SecurityGroupId => "SecurityGroup.GroupId",
        Token::AssignPublicIp => PUBLIC_IP_PARAMETER,
    }
}

fn reference(t: Token) -> Value {
    match sub_name(t).split_once('.') {
        Some((resource, attribute)) => json!({ "Fn::GetAtt": [resource, attribute] }),
        None => json!({ "Ref": sub_name(t) }),
    }
}

fn readme(model: &StackModel) -> String {
    let mut text = format!(
        "# prefect-tui stack {stack} as CloudFormation\n\n\
         `template.json` makes the stack `prefect-tui deploy` makes for this profile: the same \
         names, tags, policies, task definition (customizations applied) and service, in \
         {region}.\n\n\
         ## Make it\n\n\
         ```sh\n\
         aws cloudformation deploy --region {region} --stack-name prefect-tui-{stack} \\\n  \
         --template-file template.json --capabilities CAPABILITY_NAMED_IAM \\\n  \
         --parameter-overrides{params}\n\
         ```\n\n",
        stack = model.stack,
        region = model.region,
        params = {
            let mut p = String::new();
            if model.secret_name.is_some() {
                p.push_str(" PrefectApiKey=\"$PREFECT_API_KEY\"");
            }
            if model.public_ip_asked {
                p.push_str(" AssignPublicIp=ENABLED");
            }
            if p.is_empty() {
                " (none)".to_owned()
            } else {
                p
            }
        },
    );
    if model.secret_name.is_some() {
        text.push_str(
            "The API key is the `NoEcho` parameter `PrefectApiKey`: CloudFormation keeps it out of \
             the stack's events and outputs, but it is on the command line of the command that \
             passes it, so pass it from the environment as above, not typed.\n\n",
        );
    }
    if model.public_ip_asked {
        text.push_str(
            "The profile says `public_ip = \"auto\"`: choose `AssignPublicIp=ENABLED` for \
             public subnets, `DISABLED` for subnets behind a NAT gateway \
             (`prefect-tui discover` says which they are).\n\n",
        );
    }
    text.push_str(
        "## This makes a second stack, not the running one\n\n\
         With the names of the running stack, the creates fail where a resource of that name \
         exists. To hand the running stack to CloudFormation instead, import its resources \
         (CloudFormation's resource import: `aws cloudformation create-change-set \
         --change-set-type IMPORT --resources-to-import file://imports.json`), with these \
         identifiers:\n\n\
         | logical id | type | identifier |\n| --- | --- | --- |\n",
    );
    let mut rows = vec![
        (
            EXECUTION_ROLE,
            "AWS::IAM::Role",
            "RoleName",
            model.execution_role.clone(),
        ),
        (
            WORKER_ROLE,
            "AWS::IAM::Role",
            "RoleName",
            model.task_role.clone(),
        ),
        (
            LOG_GROUP,
            "AWS::Logs::LogGroup",
            "LogGroupName",
            model.log_group.clone(),
        ),
        (
            SECURITY_GROUP,
            "AWS::EC2::SecurityGroup",
            "Id",
            "the group's id (`prefect-tui status --output json`)".to_owned(),
        ),
        (
            DEAD_LETTER_QUEUE,
            "AWS::SQS::Queue",
            "QueueUrl",
            format!("the URL of {}", model.dead_letter_queue),
        ),
        (
            QUEUE,
            "AWS::SQS::Queue",
            "QueueUrl",
            format!("the URL of {}", model.queue),
        ),
        (
            RULE,
            "AWS::Events::Rule",
            "Arn",
            format!("the ARN of the rule {}", model.rule),
        ),
        (
            TASK_DEFINITION,
            "AWS::ECS::TaskDefinition",
            "TaskDefinitionArn",
            "the live revision's ARN".to_owned(),
        ),
        (
            SERVICE,
            "AWS::ECS::Service",
            "ServiceArn, Cluster",
            format!("the service {} in {}", service_name(model), model.cluster),
        ),
    ];
    if let Some(name) = &model.secret_name {
        rows.insert(
            0,
            (
                SECRET,
                "AWS::SecretsManager::Secret",
                "Id",
                format!("the ARN of {name}"),
            ),
        );
    }
    if model.cluster_owned {
        rows.push((
            CLUSTER,
            "AWS::ECS::Cluster",
            "ClusterName",
            model.cluster.clone(),
        ));
    }
    for (id, kind, key, value) in rows {
        text.push_str(&format!("| {id} | {kind} | {key}: {value} |\n"));
    }
    text.push_str(
        "\nThe queue policy (`EventsQueuePolicy`) cannot be imported; CloudFormation writes it \
         again, with the same statement. After an import, stop using `prefect-tui deploy` and \
         `destroy` for this stack (both would fight CloudFormation); `prefect-tui status`, \
         `monitor`, `logs` and `verify` keep working, they only read.\n\n",
    );
    text.push_str(&pool_section(model));
    text
}

fn service_name(model: &StackModel) -> String {
    model.service["serviceName"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The work pool's defaults: Prefect's, not AWS's, so no template or module makes them.
pub(super) fn pool_section(model: &StackModel) -> String {
    let mut text = format!(
        "## The work pool\n\n\
         The Prefect work pool `{pool}` is not an AWS resource, so this export does not make \
         it. `prefect-tui deploy` fills these defaults of its base job template; set them with \
         `prefect work-pool update` (or Prefect's own Terraform provider), from the outputs:\n\n",
        pool = model.work_pool
    );
    for (name, _) in &model.pool_defaults {
        text.push_str(&format!("- `{name}`\n"));
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_capitalised_except_in_maps_a_person_names() {
        let input = json!({
            "containerDefinitions": [{
                "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "/g" } },
                "dockerLabels": { "team": "data" },
            }],
            "tags": [{ "key": "a", "value": "b" }],
        });
        assert_eq!(
            cfn_keys(&input, false),
            json!({
                "ContainerDefinitions": [{
                    "LogConfiguration": { "LogDriver": "awslogs", "Options": { "awslogs-group": "/g" } },
                    "DockerLabels": { "team": "data" },
                }],
                "Tags": [{ "Key": "a", "Value": "b" }],
            })
        );
    }

    #[test]
    fn tokens_become_references_and_literal_dollars_are_escaped() {
        let doc = json!({
            "whole": Token::ExecutionRoleArn.marker(),
            "secret": Token::SecretArn.marker(),
            "inside": format!("arn:{}:sqs:eu-west-1:{}:q", Token::Partition.marker(), Token::AccountId.marker()),
            "literal": "echo ${HOME}",
            "both": format!("${{X}} {}", Token::AccountId.marker()),
        });
        assert_eq!(
            resolve(&doc),
            json!({
                "whole": { "Fn::GetAtt": ["ExecutionRole", "Arn"] },
                "secret": { "Ref": "ApiKeySecret" },
                "inside": { "Fn::Sub": "arn:${AWS::Partition}:sqs:eu-west-1:${AWS::AccountId}:q" },
                "literal": "echo ${HOME}",
                "both": { "Fn::Sub": "${!X} ${AWS::AccountId}" },
            })
        );
    }
}
