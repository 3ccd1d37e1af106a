//! What Fargate does before a container runs, as the task's execution role, against the
//! emulators with the stand-in for Fargate (scripts/standin/execution_role.py): it pulls the
//! image, starts the awslogs driver (CreateLogGroup when `awslogs-create-group` is "true",
//! CreateLogStream, PutLogEvents) and reads the `secrets`, each checked against the execution
//! role's policies, and a refusal stops the task with TaskFailedToStart as ECS does. So these
//! tests fail when the stack's execution role, its log group or the pool's log options are
//! wrong in a way AWS would refuse:
//!   - prefect-aws writes `"awslogs-create-group": "true"` into every flow run's log
//!     configuration unless the pool's options override it, and the execution role has no
//!     logs:CreateLogGroup; the pool now says "false", and the stack keeps the log group.
//!   - the execution role's one statement on the secret is what lets a worker task start.
//!
//! Not shown here: IAM's eventual consistency after a policy change (the stand-in applies a
//! policy at once), and ECR itself (the stand-in serves no registry; it checks the actions).

mod common;

use common::StandIn as Harness;
use common::journey::{Stack, deploy, deployed, destroy, verify};
use common::stack::{Clients, assert_nothing_tagged, run, text};
use prefect_tui::stack::StackNames;
use serde_json::Value;
use std::time::{Duration, Instant};

fn plan_json(h: &Harness, s: &Stack) -> Value {
    let out = run(
        &h.moto,
        &h.region,
        &["plan", "--profile", &s.profile, "--output", "json"],
        None,
    );
    assert!(out.status.success(), "plan: {}", text(&out));
    serde_json::from_slice(&out.stdout).expect("plan JSON")
}

/// The plan's action for one resource kind (`log_group`, `execution_role`).
fn planned<'a>(plan: &'a Value, resource: &str) -> &'a str {
    plan["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["resource"] == resource))
        .and_then(|c| c["action"].as_str())
        .unwrap_or_else(|| panic!("{resource} in {plan:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_group_deleted_by_hand_is_planned_back_and_flow_runs_start_without_create_group() {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "strict-logs", 61).await;
    let aws = Clients::new(&h.moto, &h.region);
    let names = StackNames::new(&s.stack);

    aws.logs
        .delete_log_group()
        .log_group_name(names.log_group())
        .send()
        .await
        .expect("log group deleted by hand");
    let plan = plan_json(&h, &s);
    assert_eq!(planned(&plan, "log_group"), "create", "{plan:#}");

    let out = deploy(&h, &s.profile);
    assert!(out.status.success(), "deploy: {}", text(&out));
    // A flow run's task writes into the stack's log group with the execution role, which
    // may not create groups: it starts only because the pool says not to create one.
    let (code, report, said) = verify(&h, &s);
    assert_eq!(code, Some(0), "verify: {said}");
    assert_eq!(report["final_state"], "Completed", "{report:#}");

    let out = destroy(&h, &s);
    assert!(out.status.success(), "destroy: {}", text(&out));
    assert_nothing_tagged(&aws, &s.stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_task_whose_execution_role_cannot_read_the_secret_fails_to_start_and_deploy_restores_it()
 {
    let Some(h) = common::stand_in() else { return };
    let s = deployed(&h, "strict-secret", 62).await;
    let aws = Clients::new(&h.moto, &h.region);
    let names = StackNames::new(&s.stack);
    let cluster = names.cluster();

    aws.iam
        .delete_role_policy()
        .role_name(names.execution_role())
        .policy_name(prefect_tui::stack::policies::EXECUTION_INLINE_POLICY)
        .send()
        .await
        .expect("the secret statement removed by hand");
    let running = aws
        .ecs
        .list_tasks()
        .cluster(&cluster)
        .send()
        .await
        .expect("tasks");
    let first: Vec<String> = running.task_arns().to_vec();
    assert!(!first.is_empty(), "a worker task runs");
    for arn in &first {
        aws.ecs
            .stop_task()
            .cluster(&cluster)
            .task(arn)
            .reason("a test replaces the worker")
            .send()
            .await
            .expect("stop");
    }

    // ECS replaces the worker; the replacement cannot read its secret.
    let deadline = Instant::now() + Duration::from_secs(90);
    let failed = loop {
        let stopped = aws
            .ecs
            .list_tasks()
            .cluster(&cluster)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
            .send()
            .await
            .expect("stopped tasks");
        let fresh: Vec<String> = stopped
            .task_arns()
            .iter()
            .filter(|a| !first.contains(a))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            let described = aws
                .ecs
                .describe_tasks()
                .cluster(&cluster)
                .set_tasks(Some(fresh))
                .send()
                .await
                .expect("describe");
            if let Some(t) = described.tasks().first() {
                break t.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no replacement task failed within 90 s"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(
        failed.stop_code().map(|c| c.as_str()),
        Some("TaskFailedToStart"),
        "{failed:?}"
    );
    let reason = failed.stopped_reason().unwrap_or_default();
    assert!(
        reason.contains("secretsmanager:GetSecretValue")
            && reason.contains(&names.execution_role()),
        "the reason names the action and the role: {reason}"
    );

    let plan = plan_json(&h, &s);
    assert_eq!(planned(&plan, "execution_role"), "update", "{plan:#}");
    let out = deploy(&h, &s.profile);
    assert!(
        out.status.success(),
        "deploy puts the statement back and the worker comes online: {}",
        text(&out)
    );

    let out = destroy(&h, &s);
    assert!(out.status.success(), "destroy: {}", text(&out));
    assert_nothing_tagged(&aws, &s.stack).await;
}
