//! `prefect-tui export`: the stack as a CloudFormation template or a Terraform module.
//!
//! - Bad input (an unknown format, an output directory with files in it) is exit 2 and
//!   writes nothing.
//! - Every example profile's template passes cfn-lint, and its module parses with
//!   python-hcl2 and declares every resource its README lists (both pinned in .venv-lint).
//! - Both exports of every example pass checkov (pinned in .venv-checkov, run offline)
//!   with no failed check but the ones the stack's design explains, listed with their
//!   reasons in `EXPLAINED`.
//! - The template, created as a stack in moto's CloudFormation, makes what `plan` of the
//!   same profile reads as nothing to change, as far as moto's CloudFormation can make it.
//!   moto 5.2.5 cannot make `AWS::SecretsManager::Secret` or `AWS::SQS::QueuePolicy` (it
//!   skips them), makes ECS clusters, task definitions and services without their tags
//!   and most properties (so they are left out of the created stack here), ignores a
//!   role's `ManagedPolicyArns`, and stores a role's inline policy as Python text: the test
//!   names each of these and checks the rest, and checks the worker role's policy by its
//!   meaning against the one `plan` wants.

mod common;

use std::path::Path;
use std::process::Command;

use common::stack::{public_network, text, write_self_hosted_profile};
use serde_json::Value;

const PROFILES: [&str; 4] = [
    "profiles/cloud.toml",
    "profiles/self-hosted.toml",
    "profiles/private-nat.toml",
    "profiles/customized.toml",
];

/// checkov's checks that fail by the stack's design, and why. Any other failure fails the
/// test; a check listed here that no export fails any more is reported too.
const EXPLAINED: [(&str, &str); 6] = [
    (
        "CKV_AWS_149",
        "the secret uses Secrets Manager's AWS-managed key: a customer key would add a KMS \
         key to pay for and to grant the execution role",
    ),
    (
        "CKV_AWS_158",
        "the log group uses CloudWatch Logs' own encryption, not a customer KMS key (worker \
         logs hold no secret: the secret scan checks it)",
    ),
    (
        "CKV_AWS_65",
        "Container Insights is off: it is billed per metric, and the monitor reads the \
         service's own CPU and memory metrics",
    ),
    (
        "CKV_AWS_27",
        "checkov's CloudFormation check wants KmsMasterKeyId; the queues set \
         SqsManagedSseEnabled (its Terraform twin accepts that, and passes)",
    ),
    (
        "CKV2_AWS_57",
        "the secret holds a Prefect API key, which AWS cannot rotate; `prefect-tui` \
         writes a new version when the key changes",
    ),
    (
        "CKV_AWS_338",
        "retention is the profile's log_retention_days (30 by default), the user's choice",
    ),
];

fn export(profile: &str, format: &str, out: &Path) -> std::process::Output {
    common::program()
        .args(["export", "--profile", profile, "--format", format, "--out"])
        .arg(out)
        .output()
        .expect("prefect-tui runs")
}

#[test]
fn an_unknown_format_or_a_directory_with_files_is_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("new");
    let refused = export("profiles/cloud.toml", "pulumi", &out);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("cloudformation"),
        "{}",
        text(&refused)
    );
    assert!(!out.exists(), "nothing written for an unknown format");

    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).expect("dir");
    std::fs::write(taken.join("main.tf"), "# mine\n").expect("file");
    let refused = export("profiles/cloud.toml", "terraform", &taken);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("exists and is not empty"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(taken.join("main.tf")).expect("still there"),
        "# mine\n",
        "the file already there is left as it was"
    );
    assert_eq!(std::fs::read_dir(&taken).expect("dir").count(), 1);

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    let done = export("profiles/cloud.toml", "terraform", &empty);
    assert!(
        done.status.success(),
        "an empty directory is fine: {}",
        text(&done)
    );
}

/// The resource addresses the README of a Terraform export lists.
fn readme_resources(dir: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
    let section = readme
        .split("## Resources")
        .nth(1)
        .expect("a Resources section")
        .split("\n## ")
        .next()
        .unwrap_or_default()
        .to_owned();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.strip_suffix('`'))
        .map(str::to_owned)
        .collect()
}

const HCL_RESOURCES: &str = r#"
import glob, json, sys
import hcl2
found = []
for path in sorted(glob.glob(sys.argv[1] + "/*.tf")):
    with open(path) as f:
        doc = hcl2.load(f)
    for block in doc.get("resource", []):
        for kind, named in block.items():
            for name in named:
                found.append(kind.strip('"') + "." + name.strip('"'))
print(json.dumps(found))
"#;

#[test]
fn every_example_exports_a_template_cfn_lint_passes_and_a_module_that_parses_whole() {
    let Some(cfn_lint) = common::emulator("PREFECT_TUI_TEST_CFN_LINT") else {
        return;
    };
    let Some(python) = common::emulator("PREFECT_TUI_TEST_LINT_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for profile in PROFILES {
        let name = Path::new(profile).file_stem().unwrap().to_string_lossy();
        let cfn = dir.path().join(format!("{name}-cfn"));
        let out = export(profile, "cloudformation", &cfn);
        assert!(out.status.success(), "{profile}: {}", text(&out));
        let lint = Command::new(&cfn_lint)
            .arg(cfn.join("template.json"))
            .output()
            .expect("cfn-lint runs");
        assert!(
            lint.status.success(),
            "{profile}: cfn-lint found problems:\n{}",
            text(&lint)
        );
        let template: Value =
            serde_json::from_str(&std::fs::read_to_string(cfn.join("template.json")).unwrap())
                .expect("JSON");
        let resources = template["Resources"].as_object().expect("resources");
        for kind in [
            "AWS::IAM::Role",
            "AWS::Logs::LogGroup",
            "AWS::EC2::SecurityGroup",
            "AWS::SQS::Queue",
            "AWS::SQS::QueuePolicy",
            "AWS::Events::Rule",
            "AWS::ECS::TaskDefinition",
            "AWS::ECS::Service",
        ] {
            assert!(
                resources.values().any(|r| r["Type"] == kind),
                "{profile}: the template makes a {kind}"
            );
        }

        let tf = dir.path().join(format!("{name}-tf"));
        let out = export(profile, "terraform", &tf);
        assert!(out.status.success(), "{profile}: {}", text(&out));
        let parsed = Command::new(&python)
            .args(["-c", HCL_RESOURCES])
            .arg(&tf)
            .output()
            .expect("python runs");
        assert!(
            parsed.status.success(),
            "{profile}: the module does not parse:\n{}",
            text(&parsed)
        );
        let mut declared: Vec<String> =
            serde_json::from_slice(&parsed.stdout).expect("a JSON list");
        let mut listed = readme_resources(&tf);
        declared.sort();
        listed.sort();
        assert_eq!(
            declared, listed,
            "{profile}: the module declares what its README lists"
        );
        for kind in [
            "aws_iam_role.execution",
            "aws_iam_role.worker",
            "aws_cloudwatch_log_group.worker",
            "aws_security_group.worker",
            "aws_sqs_queue.events",
            "aws_sqs_queue.events_dlq",
            "aws_sqs_queue_policy.events",
            "aws_cloudwatch_event_rule.ecs_task_state",
            "aws_cloudwatch_event_target.events_queue",
            "aws_ecs_task_definition.worker",
            "aws_ecs_service.worker",
        ] {
            assert!(
                declared.iter().any(|d| d == kind),
                "{profile}: {kind} declared"
            );
        }
        let key = std::fs::read_to_string(tf.join("variables.tf")).unwrap();
        if key.contains("prefect_api_key") {
            assert!(
                key.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["sensitive", "=", "true"]),
                "{profile}: the key's variable is sensitive: {key}"
            );
        }
    }
}

/// Creates a CloudFormation stack in moto from a template (the resources named in `skip`
/// left out) and prints the inline policies moto stored for `roles`, parsed.
const CREATE_STACK: &str = r#"
import ast, json, sys
import boto3
endpoint, region, stack, path, skip, roles = sys.argv[1:7]
kw = dict(endpoint_url=endpoint, region_name=region,
          aws_access_key_id="testing", aws_secret_access_key="testing")
template = json.load(open(path))
for logical in skip.split(","):
    template["Resources"].pop(logical)
template["Outputs"] = {}
params = [{"ParameterKey": p, "ParameterValue": "not-the-key"} for p in template.get("Parameters", {})]
cfn = boto3.client("cloudformation", **kw)
cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template), Parameters=params,
                 Capabilities=["CAPABILITY_NAMED_IAM"])
status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
iam = boto3.client("iam", **kw)
policies = {}
for role in roles.split(","):
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        # moto keeps what its CloudFormation put as Python text, not JSON.
        if isinstance(doc, str):
            doc = ast.literal_eval(doc)
        policies[role + "/" + name] = doc
print(json.dumps({"status": status, "policies": policies}))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_template_made_by_cloudformation_is_the_stack_plan_expects() {
    let Some(moto) = common::moto() else { return };
    let Some(venv) = common::emulator("PREFECT_TUI_TEST_VENV") else {
        return;
    };
    let region = "us-east-1";
    let (vpc, subnets) = public_network(&moto, region, 91).await;
    let stack = common::unique("cfn");
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = write_self_hosted_profile(
        dir.path(),
        &stack,
        region,
        "http://127.0.0.1:9/api",
        &format!("ecs-{stack}"),
        &vpc,
        &subnets,
        "",
    );
    let profile = profile.to_string_lossy().into_owned();
    let out_dir = dir.path().join("cfn");
    let out = export(&profile, "cloudformation", &out_dir);
    assert!(out.status.success(), "{}", text(&out));

    let roles = [
        format!("prefect-tui-{stack}-execution"),
        format!("prefect-tui-{stack}-worker"),
    ];
    let created = Command::new(Path::new(&venv).join("bin/python"))
        .args([
            "-c",
            CREATE_STACK,
            &moto,
            region,
            &format!("exported-{stack}"),
        ])
        .arg(out_dir.join("template.json"))
        .args(["Cluster,TaskDefinition,Service", &roles.join(",")])
        .output()
        .expect("python runs");
    assert!(created.status.success(), "{}", text(&created));
    let created: Value = serde_json::from_slice(&created.stdout).expect("JSON");
    assert_eq!(created["status"], "CREATE_COMPLETE", "{created:#}");
    let plan = common::program_against(&moto, region)
        .args(["plan", "--profile", &profile, "--output", "json"])
        .output()
        .expect("plan runs");
    assert!(plan.status.success(), "{}", text(&plan));
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    let change = |resource: &str| -> &Value {
        plan["changes"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["resource"] == resource))
            .unwrap_or_else(|| panic!("{resource} in the plan: {plan:#}"))
    };
    // The group's egress: AWS's CloudFormation makes the template's SecurityGroupEgress
    // rules and removes the default allow-all; moto's makes only the ingress rules
    // (ec2/models/security_groups.py reads no SecurityGroupEgress) and keeps the default.
    // So the plan's wanted rules are checked against the template's own list instead.
    let template: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("template.json")).expect("template"),
    )
    .expect("template JSON");
    let listed: Vec<String> = template["Resources"]
        .as_object()
        .and_then(|r| r.values().find(|v| v["Type"] == "AWS::EC2::SecurityGroup"))
        .and_then(|g| g["Properties"]["SecurityGroupEgress"].as_array())
        .expect("the group's SecurityGroupEgress")
        .iter()
        .map(|r| {
            format!(
                "{} {} to {}",
                r["IpProtocol"].as_str().unwrap_or_default(),
                r["FromPort"],
                r["CidrIp"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(listed, ["tcp 443 to 0.0.0.0/0", "tcp 9 to 0.0.0.0/0"]);
    let group = change("security_group");
    assert!(
        group["action"] == "noop"
            || group["fields"]
                == serde_json::json!([
                    "egress: all traffic to 0.0.0.0/0 -> tcp 9 to 0.0.0.0/0, tcp 443 to 0.0.0.0/0"
                ]),
        "only moto's missing egress differs: {group:#}"
    );
    // Made by moto's CloudFormation as the template says: nothing to change.
    for resource in ["log_group", "events_dead_letter_queue", "event_rule"] {
        assert_eq!(
            change(resource)["action"],
            "noop",
            "{resource}: {:#}",
            change(resource)
        );
    }
    // The queue is the template's but for its policy, which is an AWS::SQS::QueuePolicy.
    let queue = change("events_queue");
    let fields: Vec<&str> = queue["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        fields.len() == 1 && fields[0].starts_with("Policy"),
        "only the queue policy moto cannot make differs: {queue:#}"
    );
    // Not made by moto's CloudFormation (or left out above): planned as creates.
    for resource in ["secret", "cluster", "task_definition", "service"] {
        assert_eq!(change(resource)["action"], "create", "{resource}");
    }
    // The worker role's inline policy, as moto stored it, is by meaning the one plan wants.
    let task_role = change("task_role");
    let wanted = task_role["values"]
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|v| v["field"] == "inline policy prefect-tui-ecs-worker")
        })
        .map(|v| v["wanted"].clone())
        .expect("plan says the wanted worker policy");
    let stored = &created["policies"][format!("{}/prefect-tui-ecs-worker", roles[1])];
    assert_eq!(
        canonical(stored),
        canonical(&wanted),
        "the template's worker policy is the one deploy writes"
    );
}

/// A policy with each statement's action lists sorted, for comparing by meaning.
fn canonical(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(statements) = doc["Statement"].as_array_mut() {
        for s in statements {
            if let Some(actions) = s["Action"].as_array_mut() {
                actions.sort_by_key(|a| a.to_string());
            }
        }
    }
    doc
}

/// checkov on both exports of every example: every failed check is one `EXPLAINED` gives
/// a reason for, and each format has passing checks (it really scanned resources).
#[test]
fn both_exports_pass_checkov_but_for_the_checks_the_design_explains() {
    let Some(checkov) = common::emulator("PREFECT_TUI_TEST_CHECKOV") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failed_anywhere = std::collections::BTreeSet::new();
    for profile in PROFILES {
        let name = Path::new(profile).file_stem().unwrap().to_string_lossy();
        for (format, framework) in [
            ("cloudformation", "cloudformation"),
            ("terraform", "terraform"),
        ] {
            let out_dir = dir.path().join(format!("{name}-{format}"));
            let out = export(profile, format, &out_dir);
            assert!(out.status.success(), "{profile}: {}", text(&out));
            // Offline: no guideline download, no version check.
            let scan = Command::new(&checkov)
                .args([
                    "--framework",
                    framework,
                    "--skip-download",
                    "-o",
                    "json",
                    "-d",
                ])
                .arg(&out_dir)
                .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
                .env("HOME", dir.path())
                .output()
                .expect("checkov runs");
            let report: Value = serde_json::from_slice(&scan.stdout).unwrap_or_else(|e| {
                panic!("{profile} {format}: checkov JSON ({e}): {}", text(&scan))
            });
            let passed = report["summary"]["passed"].as_u64().unwrap_or(0);
            assert!(
                passed > 10,
                "{profile} {format}: checkov scanned resources: {report:#}"
            );
            assert_eq!(
                report["summary"]["parsing_errors"], 0,
                "{profile} {format}: checkov parsed every file"
            );
            let failed = report["results"]["failed_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for check in &failed {
                let id = check["check_id"].as_str().unwrap_or_default().to_owned();
                assert!(
                    EXPLAINED.iter().any(|(known, _)| *known == id),
                    "{profile} {format}: checkov's {id} ({}) fails on {}, and the design does \
                     not explain it",
                    check["check_name"],
                    check["resource"]
                );
                failed_anywhere.insert(id);
            }
        }
    }
    let stale: Vec<&str> = EXPLAINED
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !failed_anywhere.contains(*id))
        .collect();
    assert!(
        stale.is_empty(),
        "explained but no longer failing (remove them): {stale:?}"
    );
}
