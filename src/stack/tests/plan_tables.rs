//! plan() as tables: observed state and profile in, the changes (and drift) out.

use super::*;
use crate::stack::desired::desired;
use crate::stack::observed::*;
use crate::stack::plan::{Action, Resource, plan};
use crate::stack::{observer, policies};

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
        arn:
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-tui/cloud/api-key-AbCdEf"
                .into(),
        owned: true,
        pending_deletion: false,
        key: KeyComparison::NotSupplied,
        changed_at: None,
    });
    o.security_group = Some(ObservedSecurityGroup {
        id: "sg-1".into(),
        vpc_id: spec.vpc_id.clone(),
        owned: true,
        egress: crate::stack::egress::wanted(spec)
            .into_iter()
            .map(|(r, _)| r)
            .collect(),
    });
    let d = desired(spec, &o, true).expect("renders");
    let role = |inline: Option<(&str, serde_json::Value)>, managed: Vec<String>| ObservedRole {
        arn: "arn".into(),
        owned: true,
        trust: policies::ecs_tasks_trust(&o.account_id),
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
        insights: false,
        capacity_providers: vec![],
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
    // As SQS returns them: every value a string, the redrive count among them.
    let queue = |arn: &str, wanted: Vec<(&str, String)>| ObservedQueue {
        url: format!("https://sqs/{arn}"),
        arn: arn.into(),
        owned: true,
        attributes: wanted
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_owned(),
                    v.replace("\"maxReceiveCount\":5", "\"maxReceiveCount\":\"5\""),
                )
            })
            .chain([("QueueArn".to_owned(), arn.to_owned())])
            .collect(),
    };
    o.events_dead_letter_queue = Some(queue(
        &d.observer.dead_letter_queue,
        observer::dead_letter_attributes(),
    ));
    o.events_queue = Some(queue(
        &d.observer.queue,
        observer::queue_attributes(&d.observer),
    ));
    o.events_rule = Some(ObservedRule {
        arn: d.observer.rule.clone(),
        owned: true,
        pattern: Some(observer::event_pattern(&d.cluster_arn)),
        enabled: true,
        targets: [(
            observer::RULE_TARGET_ID.to_owned(),
            d.observer.queue.clone(),
        )]
        .into(),
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
    assert_eq!(p.changes.len(), 11);
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
        td.fields
            .contains(&"containerDefinitions[0].environment.EXTRA: by hand -> (unset)".to_owned()),
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
        err.to_string()
            .contains("role named prefect-tui-cloud-execution exists but does not carry the tag"),
        "{err}"
    );
}

#[test]
fn a_missing_brought_cluster_is_a_conflict() {
    let spec = spec_of(include_str!("../../../profiles/private-nat.toml"));
    let d = desired(&spec, &empty(), false).expect("renders");
    let err = plan(&spec, &empty(), &d).expect_err("conflict");
    assert!(
        err.to_string()
            .contains("the cluster data-platform named in the profile does not exist"),
        "{err}"
    );
}

#[test]
fn a_brought_cluster_lacking_spot_or_insights_is_a_conflict_that_says_how_to_fix_it() {
    let base = include_str!("../../../profiles/private-nat.toml");
    let spot = spec_of(&format!("{base}\n[flow_runs]\nspot = true\n"));
    let mut o = deployed(&spot);
    if let Some(c) = o.cluster.as_mut() {
        c.owned = false;
        c.capacity_providers = vec!["FARGATE".into()];
    }
    let d = desired(&spot, &o, true).expect("renders");
    let err = plan(&spot, &o, &d).expect_err("conflict").to_string();
    assert!(
        err.contains("has no FARGATE_SPOT capacity provider"),
        "{err}"
    );
    assert!(
        err.contains("--capacity-providers FARGATE FARGATE_SPOT"),
        "keeps the cluster's own providers in the command: {err}"
    );
    // With FARGATE_SPOT associated by its owner, the same plan goes through, unchanged.
    if let Some(c) = o.cluster.as_mut() {
        c.capacity_providers.push("FARGATE_SPOT".into());
    }
    let p = plan(&spot, &o, &d).expect("no conflict");
    assert_eq!(p.action(Resource::Cluster), Action::Noop, "{p:#?}");
}

#[test]
fn a_queue_policy_loosened_by_hand_is_planned_back() {
    let spec = cloud();
    let mut o = deployed(&spec);
    let open = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]});
    if let Some(q) = o.events_queue.as_mut() {
        q.attributes.insert("Policy".into(), open.to_string());
    }
    let p = plan_of(&spec, &o);
    let change = p.change(Resource::EventsQueue).expect("queue");
    assert_eq!(change.action, Action::Update, "{p:#?}");
    assert_eq!(change.values.len(), 1, "{:#?}", change.values);
    assert_eq!(change.values[0].field, "Policy");
    assert_eq!(change.values[0].live, open);
    assert_eq!(
        p.action(Resource::EventsDeadLetterQueue),
        Action::Noop,
        "only the queue drifted"
    );
}

#[test]
fn a_rule_disabled_or_retargeted_by_hand_is_planned_back() {
    let spec = cloud();
    let mut o = deployed(&spec);
    if let Some(r) = o.events_rule.as_mut() {
        r.enabled = false;
        r.targets
            .insert("extra".into(), "arn:aws:sqs:us-east-1:1:elsewhere".into());
    }
    let p = plan_of(&spec, &o);
    let change = p.change(Resource::EventRule).expect("rule");
    assert_eq!(change.action, Action::Update);
    let fields: Vec<&str> = change.values.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["State", "Targets"], "{change:#?}");
}

#[test]
fn a_queue_of_the_same_name_not_tagged_for_the_stack_is_a_conflict() {
    let spec = cloud();
    let mut o = deployed(&spec);
    if let Some(q) = o.events_queue.as_mut() {
        q.owned = false;
    }
    let d = desired(&spec, &o, true).expect("renders");
    let conflicts = plan(&spec, &o, &d).expect_err("conflict");
    assert!(
        conflicts
            .0
            .iter()
            .any(|c| c.contains(&spec.names.events_queue())),
        "{conflicts:?}"
    );
}

#[test]
fn the_pool_reuses_one_task_definition_family_for_flow_runs() {
    let spec = cloud();
    let d = desired(&spec, &deployed(&spec), true).expect("renders");
    let get = |name: &str| {
        d.pool_defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        get("match_latest_revision_in_family"),
        Some(serde_json::json!(true))
    );
    assert_eq!(
        get("family"),
        None,
        "one family per deployment, the worker's default"
    );
}

#[test]
fn aws_default_egress_is_narrowed_to_https_the_prefect_port_and_the_profiles_ports() {
    use crate::stack::egress::{ANYWHERE, Destination, EgressRule};
    let text = include_str!("../../../profiles/self-hosted.toml").replace(
        "https://prefect.internal.example.com/api",
        "http://10.1.2.3:4200/api",
    );
    let mut spec = spec_of(&text);
    spec.egress_ports = vec![5432];
    let mut observed = deployed(&spec);
    assert!(plan_of(&spec, &observed).is_noop());
    let all_traffic = EgressRule {
        protocol: "-1".into(),
        ports: None,
        to: Destination::Ipv4(ANYWHERE.into()),
    };
    if let Some(sg) = observed.security_group.as_mut() {
        sg.egress = vec![all_traffic];
    }
    let p = plan_of(&spec, &observed);
    let sg = p.change(Resource::SecurityGroup).expect("sg");
    assert_eq!(sg.action, Action::Update);
    assert_eq!(
        sg.fields,
        vec![
            "egress: all traffic to 0.0.0.0/0 -> tcp 443 to 0.0.0.0/0, tcp 4200 to 0.0.0.0/0, \
             tcp 5432 to 0.0.0.0/0"
                .to_owned()
        ]
    );
    // Prefect Cloud is HTTPS: 443 alone.
    let cloud = cloud();
    let wanted: Vec<EgressRule> = crate::stack::egress::wanted(&cloud)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(wanted, vec![EgressRule::tcp(443)]);
}
