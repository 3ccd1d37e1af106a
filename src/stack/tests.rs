//! render() pinned on the example profiles: the documents AWS receives are the contract.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::network::Egress;
use crate::profile::{PublicIp, parse_profile};

fn spec_of(text: &str) -> StackSpec {
    match parse_profile(Path::new("example.toml"), text) {
        Ok((_, spec)) => spec,
        Err(e) => panic!("example profile is valid: {e}"),
    }
}

fn cloud() -> StackSpec {
    spec_of(include_str!("../../profiles/cloud.toml"))
}

fn ctx(spec: &StackSpec, public: bool) -> RenderContext {
    RenderContext {
        execution_role_arn: "arn:aws:iam::123456789012:role/exec".into(),
        task_role_arn: "arn:aws:iam::123456789012:role/task".into(),
        secret_arn: spec
            .secret_name
            .as_ref()
            .map(|_| "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf".into()),
        security_group_id: "sg-0123".into(),
        assign_public_ip: Some(public),
    }
}

fn container(doc: &Value) -> &Value {
    &doc["task_definition"]["containerDefinitions"][0]
}

fn rendered(spec: &StackSpec, public: bool) -> Value {
    let r = render(spec, &ctx(spec, public));
    json!({ "task_definition": r.task_definition, "service": r.service })
}

#[test]
fn worker_command_starts_the_pool_as_an_ecs_worker_with_a_health_endpoint() {
    let doc = rendered(&cloud(), true);
    assert_eq!(
        container(&doc)["command"],
        json!([
            "prefect",
            "worker",
            "start",
            "--pool",
            "ecs-cloud",
            "--type",
            "ecs",
            "--with-healthcheck"
        ])
    );
    assert_eq!(container(&doc)["name"], "prefect-worker");
    assert_eq!(container(&doc)["image"], "prefecthq/prefect-aws:latest");
    assert_eq!(container(&doc)["essential"], true);
}

#[test]
fn the_key_travels_only_as_a_secret_reference() {
    let spec = cloud();
    let doc = rendered(&spec, true);
    assert_eq!(
        container(&doc)["secrets"],
        json!([{ "name": "PREFECT_API_KEY",
                 "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" }])
    );
    let env = container(&doc)["environment"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = env.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "PREFECT_API_URL",
            "PREFECT_WORKER_WEBSERVER_PORT",
            "AWS_DEFAULT_REGION"
        ]
    );
    assert!(!names.contains(&"PREFECT_API_KEY"));
    assert_eq!(
        env[0]["value"],
        "https://api.prefect.cloud/api/accounts/0c1d2e3f-1111-4222-8333-444455556666/workspaces/9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd",
        "the browser URL in the profile became the API URL"
    );
}

#[test]
fn self_hosted_auth_string_and_no_credential() {
    let spec = spec_of(include_str!("../../profiles/self-hosted.toml"));
    let doc = rendered(&spec, false);
    assert_eq!(
        container(&doc)["secrets"][0]["name"],
        "PREFECT_API_AUTH_STRING"
    );
    assert_eq!(
        container(&doc)["environment"][0]["value"],
        "https://prefect.internal.example.com/api"
    );

    let text =
        include_str!("../../profiles/self-hosted.toml").replace("\"auth-string\"", "\"none\"");
    let spec = spec_of(&text);
    assert_eq!(spec.secret_name, None);
    let doc = rendered(&spec, false);
    assert!(
        container(&doc).get("secrets").is_none(),
        "no credential, no secrets entry"
    );
}

#[test]
fn health_check_probes_the_worker_endpoint_from_inside_the_container() {
    let doc = rendered(&cloud(), true);
    let check = &container(&doc)["healthCheck"];
    assert_eq!(check["command"][0], "CMD-SHELL");
    let probe = check["command"][1].as_str().unwrap_or_default();
    assert!(probe.contains("http://localhost:8080/health"), "{probe}");
    assert_eq!(
        container(&doc)["environment"][1],
        json!({"name": "PREFECT_WORKER_WEBSERVER_PORT", "value": "8080"}),
        "the worker serves health on the port the probe asks"
    );
    assert_eq!(check["interval"], 30);
    assert_eq!(check["retries"], 3);
    assert_eq!(check["startPeriod"], 60);
}

#[test]
fn logs_go_to_the_stack_log_group_with_a_stream_prefix() {
    let doc = rendered(&cloud(), true);
    assert_eq!(
        container(&doc)["logConfiguration"],
        json!({ "logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/prefect-tui/cloud",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "worker" } })
    );
}

#[test]
fn task_definition_is_fargate_awsvpc_sized_and_tagged() {
    let doc = rendered(&cloud(), true);
    let td = &doc["task_definition"];
    assert_eq!(td["family"], "prefect-tui-cloud-worker");
    assert_eq!(td["networkMode"], "awsvpc");
    assert_eq!(td["requiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(td["cpu"], "512");
    assert_eq!(td["memory"], "1024");
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::123456789012:role/exec"
    );
    assert_eq!(td["taskRoleArn"], "arn:aws:iam::123456789012:role/task");
    assert_eq!(
        td["tags"],
        json!([{"key": "prefect-tui:stack", "value": "cloud"}, {"key": "ManagedBy", "value": "prefect-tui"}])
    );
}

#[test]
fn service_network_configuration_for_public_and_private_subnets() {
    let spec = cloud();
    let public = rendered(&spec, true);
    let net = &public["service"]["networkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(
        net["subnets"],
        json!(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"])
    );
    assert_eq!(net["securityGroups"], json!(["sg-0123"]));
    assert_eq!(net["assignPublicIp"], "ENABLED");

    let private = spec_of(include_str!("../../profiles/private-nat.toml"));
    let doc = rendered(&private, false);
    let svc = &doc["service"];
    assert_eq!(
        svc["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"],
        "DISABLED"
    );
    assert_eq!(
        svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(svc["cluster"], "data-platform", "the user's own cluster");
    assert_eq!(
        private.cluster,
        ClusterChoice::Existing("data-platform".into())
    );
    assert_eq!(svc["desiredCount"], 2);
    assert_eq!(svc["launchType"], "FARGATE");
    assert_eq!(
        svc["deploymentConfiguration"]["deploymentCircuitBreaker"],
        json!({"enable": true, "rollback": true})
    );
    assert_eq!(svc["taskDefinition"], "prefect-tui-prod-worker");
    assert_eq!(svc["serviceName"], "prefect-tui-prod-worker");
}

#[test]
fn assign_public_ip_follows_the_subnets_unless_told() {
    let v = |e: &[Egress]| -> Vec<(String, Egress)> {
        e.iter()
            .enumerate()
            .map(|(i, e)| (format!("subnet-{i}"), *e))
            .collect()
    };
    use Egress::*;
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Public, Public])),
        Ok(true)
    );
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Nat, Endpoints])),
        Ok(false)
    );
    assert_eq!(
        assign_public_ip(PublicIp::Auto, &v(&[Nat, Public])),
        Ok(true)
    );
    assert_eq!(assign_public_ip(PublicIp::Enabled, &v(&[Nat])), Ok(true));
    assert_eq!(assign_public_ip(PublicIp::Disabled, &v(&[Nat])), Ok(false));
    let err = assign_public_ip(PublicIp::Disabled, &v(&[Public]))
        .err()
        .unwrap_or_default();
    assert!(err.contains("reach nothing without a public IP"), "{err}");
    let err = assign_public_ip(PublicIp::Auto, &v(&[Nat, Isolated]))
        .err()
        .unwrap_or_default();
    assert!(err.contains("subnet-1 is isolated"), "{err}");
}

#[test]
fn customizations_apply_to_their_own_document() {
    let spec = spec_of(include_str!("../../profiles/customized.toml"));
    let r = render_customized(&spec, &ctx(&spec, false)).expect("customizations apply");
    assert_eq!(
        r.task_definition["runtimePlatform"]["cpuArchitecture"],
        "ARM64"
    );
    assert_eq!(r.task_definition["containerDefinitions"][0]["memory"], 4096);
    assert_eq!(
        r.task_definition["containerDefinitions"][0]["environment"][3],
        json!({"name": "PREFECT_LOGGING_LEVEL", "value": "DEBUG"})
    );
    assert_eq!(
        r.service["tags"][2],
        json!({"key": "team", "value": "data-platform"})
    );
    assert_eq!(
        r.service["deploymentConfiguration"]["minimumHealthyPercent"],
        0
    );
    let plain = render(&spec, &ctx(&spec, false));
    assert_eq!(
        plain.task_definition["runtimePlatform"]["cpuArchitecture"],
        "X86_64"
    );
}

#[test]
fn a_customization_that_puts_the_key_in_environment_is_refused() {
    let text = format!(
        "{}\n[[customizations]]\ntarget = \"task_definition\"\nop = \"add\"\npath = \"/containerDefinitions/0/environment/-\"\nvalue = {{ name = \"PREFECT_API_KEY\", value = \"pnu_x\" }}\n",
        include_str!("../../profiles/cloud.toml")
    );
    let spec = spec_of(&text);
    let err = render_customized(&spec, &ctx(&spec, true)).err();
    assert!(
        matches!(&err, Some(RenderError::SecretInEnvironment { name }) if name == "PREFECT_API_KEY"),
        "{err:?}"
    );
}

#[test]
fn placeholders_name_what_is_known_only_after_deploy() {
    let spec = cloud();
    let ctx = RenderContext::placeholders(&spec, None);
    assert_eq!(
        ctx.execution_role_arn,
        "arn:aws:iam::<account-id>:role/prefect-tui-cloud-execution"
    );
    assert_eq!(
        ctx.secret_arn.as_deref(),
        Some(
            "arn:aws:secretsmanager:us-east-1:<account-id>:secret:prefect-tui/cloud/api-key-<suffix>"
        )
    );
    assert_eq!(ctx.assign_public_ip, None, "auto is decided at deploy");
}

mod plan_tables {
    use super::*;
    use crate::stack::desired::desired;
    use crate::stack::observed::*;
    use crate::stack::plan::{Action, Resource, plan};
    use crate::stack::policies;

    fn empty() -> Observed {
        Observed {
            account_id: "123456789012".into(),
            partition: "aws".into(),
            ..Observed::default()
        }
    }

    /// What a finished deploy of `spec` leaves behind, as readback would see it.
    fn deployed(spec: &StackSpec) -> Observed {
        let mut o = empty();
        o.secret = Some(ObservedSecret {
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-tui/cloud/api-key-AbCdEf".into(),
            owned: true,
            pending_deletion: false,
            key: KeyComparison::NotSupplied,
        });
        o.security_group = Some(ObservedSecurityGroup {
            id: "sg-1".into(),
            vpc_id: spec.vpc_id.clone(),
            owned: true,
        });
        let d = desired(spec, &o, true).expect("renders");
        let role = |inline: Option<(&str, serde_json::Value)>, managed: Vec<String>| ObservedRole {
            arn: "arn".into(),
            owned: true,
            trust: policies::ecs_tasks_trust(),
            managed_policy_arns: managed,
            inline: inline.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        };
        o.execution_role = Some(role(
            d.execution_inline
                .clone()
                .map(|p| (policies::EXECUTION_INLINE_POLICY, p)),
            vec![policies::managed_policy_arn(
                "aws",
                policies::EXECUTION_MANAGED_POLICY,
            )],
        ));
        o.task_role = Some(role(
            Some((policies::WORKER_INLINE_POLICY, d.worker_inline.clone())),
            vec![],
        ));
        o.log_group = Some(ObservedLogGroup {
            arn: "arn".into(),
            owned: true,
            retention_days: Some(spec.log_retention_days),
        });
        o.cluster = Some(ObservedCluster {
            arn: "arn".into(),
            owned: true,
            active: true,
        });
        o.task_definition = Some(ObservedTaskDefinition {
            arn: "arn:td:1".into(),
            owned: true,
            spec_hash: Some(d.task_definition_hash.clone()),
            summary: d.rendered.task_definition.clone(),
        });
        o.service = Some(ObservedService {
            arn: "arn:svc".into(),
            owned: true,
            status: "ACTIVE".into(),
            spec_hash: Some(d.service_hash.clone()),
            task_definition_arn: "arn:td:1".into(),
            desired_count: 1,
            running_count: 1,
            summary: d.rendered.service.clone(),
        });
        o
    }

    fn plan_of(spec: &StackSpec, o: &Observed) -> crate::stack::plan::Plan {
        let d = desired(spec, o, true).expect("renders");
        plan(spec, o, &d).expect("no conflicts")
    }

    #[test]
    fn nothing_exists_so_everything_is_created() {
        let spec = cloud();
        let p = plan_of(&spec, &empty());
        assert_eq!(p.changes.len(), 8);
        assert!(
            p.changes.iter().all(|c| c.action == Action::Create),
            "{p:#?}"
        );
    }

    #[test]
    fn a_finished_deploy_plans_nothing() {
        let spec = cloud();
        let p = plan_of(&spec, &deployed(&spec));
        assert!(p.is_noop(), "{p:#?}");
    }

    #[test]
    fn a_container_change_is_a_new_revision_and_a_service_update() {
        let spec = cloud();
        let observed = deployed(&spec);
        let mut bigger = spec.clone();
        bigger.cpu = 1024;
        bigger.memory = 2048;
        let p = plan_of(&bigger, &observed);
        let td = p.change(Resource::TaskDefinition).expect("td");
        assert_eq!(td.action, Action::Update);
        assert!(
            td.fields.contains(&"cpu: 512 -> 1024".to_owned()),
            "{:?}",
            td.fields
        );
        assert!(
            td.fields
                .contains(&"containerDefinitions[0].memory: 1024 -> 2048".to_owned()),
            "{:?}",
            td.fields
        );
        assert_eq!(p.action(Resource::Service), Action::Update);
        assert_eq!(p.action(Resource::Secret), Action::Noop);
        assert!(!p.force_new_deployment);
    }

    #[test]
    fn a_new_key_is_a_new_version_and_a_forced_deployment() {
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(s) = observed.secret.as_mut() {
            s.key = KeyComparison::Different;
        }
        let p = plan_of(&spec, &observed);
        assert_eq!(p.action(Resource::Secret), Action::Update);
        assert_eq!(p.action(Resource::TaskDefinition), Action::Noop);
        let svc = p.change(Resource::Service).expect("service");
        assert_eq!(svc.action, Action::Update);
        assert!(svc.fields.iter().any(|f| f.contains("the API key changed")));
        assert!(p.force_new_deployment);
    }

    #[test]
    fn retention_vpc_and_trust_changes_are_named() {
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(g) = observed.log_group.as_mut() {
            g.retention_days = Some(7);
        }
        if let Some(sg) = observed.security_group.as_mut() {
            sg.vpc_id = "vpc-old".into();
        }
        if let Some(r) = observed.task_role.as_mut() {
            r.trust = serde_json::json!({"Statement": []});
        }
        let p = plan_of(&spec, &observed);
        assert_eq!(
            p.change(Resource::LogGroup).map(|c| c.fields.clone()),
            Some(vec!["retention 7 days -> 30 days".to_owned()])
        );
        let sg = p.change(Resource::SecurityGroup).expect("sg");
        assert_eq!(sg.action, Action::Replace);
        assert_eq!(sg.fields, vec![format!("vpc vpc-old -> {}", spec.vpc_id)]);
        assert_eq!(
            p.change(Resource::TaskRole).map(|c| c.fields.clone()),
            Some(vec!["trust policy".to_owned()])
        );
    }

    /// The service as readback sees it, changed by `edit` (as a person would in the
    /// console or with the ECS API), its spec-hash tag untouched.
    fn with_service(spec: &StackSpec, edit: impl FnOnce(&mut serde_json::Value)) -> Observed {
        let mut observed = deployed(spec);
        if let Some(s) = observed.service.as_mut() {
            edit(&mut s.summary);
        }
        observed
    }

    #[test]
    fn a_service_scaled_outside_the_profile_is_set_back_and_says_how_to_keep_it() {
        let spec = cloud();
        let observed = with_service(&spec, |s| s["desiredCount"] = json!(2));
        let p = plan_of(&spec, &observed);
        let svc = p.change(Resource::Service).expect("service");
        assert_eq!(svc.action, Action::Update, "{p:#?}");
        assert_eq!(svc.values.len(), 1, "{:?}", svc.values);
        let count = &svc.values[0];
        assert_eq!(
            (count.field.as_str(), &count.live, &count.wanted),
            ("desiredCount", &json!(2), &json!(1))
        );
        let keep = count.keep.as_ref().expect("how to keep it");
        assert_eq!(
            (keep.profile_key, &keep.value),
            ("worker.desired_count", &json!(2))
        );
        assert!(
            svc.fields[0].starts_with("desiredCount: 2 -> 1")
                && svc.fields[0].contains("set desired_count = 2 under [worker]"),
            "{:?}",
            svc.fields
        );
        assert_eq!(p.action(Resource::TaskDefinition), Action::Noop);
        let json = serde_json::to_value(svc).expect("json");
        assert_eq!(json["values"][0]["live"], 2);
        assert_eq!(json["values"][0]["wanted"], 1);
    }

    #[test]
    fn network_drift_is_named_but_order_is_not_drift() {
        let spec = cloud();
        let subnets = &spec.subnet_ids;
        assert!(subnets.len() >= 2, "the example has two subnets");
        let reversed: Vec<String> = subnets.iter().rev().cloned().collect();
        let observed = with_service(&spec, |s| {
            s["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = json!(reversed)
        });
        assert!(
            plan_of(&spec, &observed).is_noop(),
            "AWS does not keep the order"
        );

        let observed = with_service(&spec, |s| {
            let vpc = &mut s["networkConfiguration"]["awsvpcConfiguration"];
            vpc["subnets"] = json!(["subnet-by-hand"]);
            vpc["securityGroups"] = json!(["sg-1", "sg-by-hand"]);
            vpc["assignPublicIp"] = json!("DISABLED");
        });
        let p = plan_of(&spec, &observed);
        let svc = p.change(Resource::Service).expect("service");
        let fields: Vec<&str> = svc.values.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "networkConfiguration.awsvpcConfiguration.subnets",
                "networkConfiguration.awsvpcConfiguration.securityGroups",
                "networkConfiguration.awsvpcConfiguration.assignPublicIp",
            ]
        );
        assert_eq!(svc.values[1].live, json!(["sg-1", "sg-by-hand"]));
        assert_eq!(svc.values[1].wanted, json!(["sg-1"]));
        assert_eq!(svc.values[2].wanted, json!("ENABLED"));
        assert!(svc.values.iter().all(|v| v.keep.is_none()));
    }

    #[test]
    fn a_revision_made_outside_the_profile_is_replaced() {
        // The console's "create new revision" copies the tags, spec hash included: only
        // the values show what changed.
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(td) = observed.task_definition.as_mut() {
            let c = &mut td.summary["containerDefinitions"][0];
            c["image"] = json!("example/other:1");
            c["memory"] = json!(4096);
            c["environment"][0]["value"] = json!("https://elsewhere.example/api");
            c["environment"]
                .as_array_mut()
                .expect("environment")
                .push(json!({"name": "EXTRA", "value": "by hand"}));
            td.summary["cpu"] = json!("2048");
        }
        let p = plan_of(&spec, &observed);
        let td = p.change(Resource::TaskDefinition).expect("td");
        assert_eq!(td.action, Action::Update);
        let got: Vec<(&str, serde_json::Value, serde_json::Value)> = td
            .values
            .iter()
            .map(|v| (v.field.as_str(), v.live.clone(), v.wanted.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("cpu", json!("2048"), json!("512")),
                (
                    "containerDefinitions[0].image",
                    json!("example/other:1"),
                    json!("prefecthq/prefect-aws:latest")
                ),
                ("containerDefinitions[0].memory", json!(4096), json!(1024)),
                (
                    "containerDefinitions[0].environment.PREFECT_API_URL",
                    json!("https://elsewhere.example/api"),
                    json!(spec.prefect.api_url())
                ),
                (
                    "containerDefinitions[0].environment.EXTRA",
                    json!("by hand"),
                    serde_json::Value::Null
                ),
            ]
        );
        assert!(
            td.fields.contains(
                &"containerDefinitions[0].environment.EXTRA: by hand -> (unset)".to_owned()
            ),
            "{:?}",
            td.fields
        );
        let svc = p.change(Resource::Service).expect("service");
        assert_eq!(svc.fields, ["taskDefinition (new revision)"]);
    }

    #[test]
    fn a_service_pointed_at_another_revision_is_pointed_back() {
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(s) = observed.service.as_mut() {
            s.task_definition_arn = "arn:td:0".into();
        }
        let p = plan_of(&spec, &observed);
        let svc = p.change(Resource::Service).expect("service");
        assert_eq!(svc.action, Action::Update);
        assert_eq!(svc.fields, ["taskDefinition: arn:td:0 -> arn:td:1"]);
    }

    #[test]
    fn retention_and_policies_changed_by_hand_carry_both_values() {
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(g) = observed.log_group.as_mut() {
            g.retention_days = None;
        }
        let mut loose = serde_json::Value::Null;
        if let Some(r) = observed.task_role.as_mut() {
            let doc = r
                .inline
                .get_mut(policies::WORKER_INLINE_POLICY)
                .expect("inline");
            doc["Statement"]
                .as_array_mut()
                .expect("statements")
                .push(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
            loose = doc.clone();
        }
        let p = plan_of(&spec, &observed);
        let log = p.change(Resource::LogGroup).expect("log group");
        assert_eq!(log.fields, ["retention forever -> 30 days"]);
        assert_eq!(
            (log.values[0].live.clone(), log.values[0].wanted.clone()),
            (serde_json::Value::Null, json!(30))
        );
        let role = p.change(Resource::TaskRole).expect("task role");
        assert_eq!(role.action, Action::Update);
        assert_eq!(
            role.fields,
            [format!(
                "inline policy {}: live also allows s3:*",
                policies::WORKER_INLINE_POLICY
            )]
        );
        assert_eq!(role.values[0].live, loose);
    }

    #[test]
    fn someone_elses_resources_are_conflicts_not_changes() {
        let spec = cloud();
        let mut observed = deployed(&spec);
        if let Some(r) = observed.execution_role.as_mut() {
            r.owned = false;
        }
        let d = desired(&spec, &observed, true).expect("renders");
        let err = plan(&spec, &observed, &d).expect_err("conflict");
        assert!(
            err.to_string().contains(
                "role named prefect-tui-cloud-execution exists but does not carry the tag"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_missing_brought_cluster_is_a_conflict() {
        let spec = spec_of(include_str!("../../profiles/private-nat.toml"));
        let d = desired(&spec, &empty(), false).expect("renders");
        let err = plan(&spec, &empty(), &d).expect_err("conflict");
        assert!(
            err.to_string()
                .contains("the cluster data-platform named in the profile does not exist"),
            "{err}"
        );
    }
}
