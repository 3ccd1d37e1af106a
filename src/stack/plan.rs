//! `plan()`: per resource, create, update, replace, delete or nothing, and which fields
//! change. Pure: it compares a `StackSpec` (through its `Desired` documents) with what was
//! `Observed`, and its tests are tables.
//!
//! The fields the stack owns are compared by their live values (`drift`), so a change made
//! outside the profile (a service scaled by hand, a retention period edited in the
//! console) is planned as an update that puts it back. The spec-hash tags only add what
//! the read-back values cannot show: fields set by customizations.

use serde::Serialize;
use serde_json::Value;

use super::desired::Desired;
pub use super::drift::diff_fields;
use super::drift::{self, FieldChange, covered, policy_difference};
use super::observed::{KeyComparison, Observed, ObservedPool, ObservedRole};
use super::policies::{self, EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};
use super::pool::{PoolField, merge_defaults};
use super::spec::{ClusterChoice, StackSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Vpc,
    Subnets,
    InternetGateway,
    NatGateway,
    RouteTables,
    VpcEndpoints,
    Secret,
    ExecutionRole,
    TaskRole,
    LogGroup,
    Cluster,
    SecurityGroup,
    EventsDeadLetterQueue,
    EventsQueue,
    EventRule,
    TaskDefinition,
    Service,
    AlertsTopic,
    EmailSubscriptions,
    Alarms,
    CrashRule,
    LogErrorFilter,
    ScalableTarget,
    ScalingPolicy,
    WorkPool,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Vpc => "vpc",
            Resource::Subnets => "subnets",
            Resource::InternetGateway => "internet_gateway",
            Resource::NatGateway => "nat_gateway",
            Resource::RouteTables => "route_tables",
            Resource::VpcEndpoints => "vpc_endpoints",
            Resource::Secret => "secret",
            Resource::ExecutionRole => "execution_role",
            Resource::TaskRole => "task_role",
            Resource::LogGroup => "log_group",
            Resource::Cluster => "cluster",
            Resource::SecurityGroup => "security_group",
            Resource::EventsDeadLetterQueue => "events_dead_letter_queue",
            Resource::EventsQueue => "events_queue",
            Resource::EventRule => "event_rule",
            Resource::TaskDefinition => "task_definition",
            Resource::Service => "service",
            Resource::AlertsTopic => "alerts_topic",
            Resource::EmailSubscriptions => "email_subscriptions",
            Resource::Alarms => "alarms",
            Resource::CrashRule => "crash_rule",
            Resource::LogErrorFilter => "log_error_filter",
            Resource::ScalableTarget => "scalable_target",
            Resource::ScalingPolicy => "scaling_policy",
            Resource::WorkPool => "work_pool",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Vpc => "VPC",
            Resource::Subnets => "subnets",
            Resource::InternetGateway => "internet gateway",
            Resource::NatGateway => "NAT gateway",
            Resource::RouteTables => "route tables",
            Resource::VpcEndpoints => "VPC endpoints",
            Resource::Secret => "API key secret",
            Resource::ExecutionRole => "execution role",
            Resource::TaskRole => "worker task role",
            Resource::LogGroup => "log group",
            Resource::Cluster => "ECS cluster",
            Resource::SecurityGroup => "security group",
            Resource::EventsDeadLetterQueue => "observer dead-letter queue",
            Resource::EventsQueue => "observer SQS queue",
            Resource::EventRule => "task state rule",
            Resource::TaskDefinition => "task definition",
            Resource::Service => "ECS service",
            Resource::AlertsTopic => "alerts topic (SNS)",
            Resource::EmailSubscriptions => "e-mail subscriptions",
            Resource::Alarms => "CloudWatch alarms",
            Resource::CrashRule => "flow-run crash rule",
            Resource::LogErrorFilter => "log error filter",
            Resource::ScalableTarget => "scaling bounds",
            Resource::ScalingPolicy => "scaling policy",
            Resource::WorkPool => "Prefect work pool",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    Noop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Noop => "noop",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub resource: Resource,
    /// The resource's name in AWS.
    pub name: String,
    pub action: Action,
    /// What changes, in words a person reads (`memory 1024 -> 2048`).
    pub fields: Vec<String>,
    /// The owned fields whose live value is not the wanted one, as values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// The service must start new tasks even if its document is unchanged (a new key).
    #[serde(skip)]
    pub force_new_deployment: bool,
}

/// Resources that share a name with the stack's but are not the stack's: never touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct PlanConflicts(pub Vec<String>);

impl Plan {
    pub fn change(&self, resource: Resource) -> Option<&Change> {
        self.changes.iter().find(|c| c.resource == resource)
    }

    pub fn action(&self, resource: Resource) -> Action {
        self.change(resource)
            .map(|c| c.action)
            .unwrap_or(Action::Noop)
    }

    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|c| c.action == Action::Noop) && !self.force_new_deployment
    }
}

pub(super) fn conflict(label: &str, name: &str, stack: &str) -> String {
    format!(
        "a {label} named {name} exists but does not carry the tag prefect-tui:stack={stack}: \
         prefect-tui will not touch it. Remove or rename it, or choose another stack name."
    )
}

/// The secret's field in a plan that creates it: its value, the credential given.
pub const SECRET_VALUE: &str = "value";
/// The secret's field when the credential given differs from the one stored.
pub const SECRET_NEW_VALUE: &str = "value (new version)";

/// Compares what should exist with what does.
pub fn plan(
    spec: &StackSpec,
    observed: &Observed,
    desired: &Desired,
) -> Result<Plan, PlanConflicts> {
    let stack = spec.names.stack.as_str();
    let mut conflicts = Vec::new();
    let mut changes = Vec::new();
    let mut force_new_deployment = false;
    let mut values: Vec<(Resource, Vec<FieldChange>)> = Vec::new();
    if let (Some(owned), Some(net)) = (&spec.owned_network, &observed.network) {
        match super::network::layout(owned, net) {
            Ok(layout) => changes.extend(super::network::network_changes(
                &spec.names,
                &layout,
                net,
                net.taken.len(),
                spec.desired_count,
            )),
            Err(why) => conflicts.push(why),
        }
    }
    let mut push = |resource, name: String, action, fields: Vec<String>| {
        changes.push(Change {
            resource,
            name,
            action,
            fields,
            values: Vec::new(),
        })
    };

    // The secret.
    if let Some(name) = &spec.secret_name {
        match &observed.secret {
            None => push(
                Resource::Secret,
                name.clone(),
                Action::Create,
                vec![SECRET_VALUE.into()],
            ),
            Some(s) if !s.owned => conflict_into(&mut conflicts, "secret", name, stack),
            Some(s) => {
                let mut fields = Vec::new();
                if s.pending_deletion {
                    fields.push("restore (it was scheduled for deletion)".to_owned());
                }
                if s.key == KeyComparison::Different {
                    fields.push(SECRET_NEW_VALUE.to_owned());
                    force_new_deployment = true;
                }
                let action = if fields.is_empty() {
                    Action::Noop
                } else {
                    Action::Update
                };
                push(Resource::Secret, name.clone(), action, fields);
            }
        }
    }

    // The roles.
    let trust = policies::ecs_tasks_trust(&observed.account_id);
    let exec_name = spec.names.execution_role();
    match &observed.execution_role {
        Some(r) if !r.owned => conflict_into(&mut conflicts, "role", &exec_name, stack),
        role => {
            let managed = policies::managed_policy_arn(
                &observed.partition,
                policies::EXECUTION_MANAGED_POLICY,
            );
            let want = match (&spec.secret_name, &desired.execution_inline) {
                (None, _) => InlineWant::Absent,
                (Some(_), Some(doc)) => InlineWant::Exactly(doc),
                (Some(_), None) => InlineWant::Pending,
            };
            let (action, fields, changed) = role_change(
                role.as_ref(),
                &trust,
                Some(&managed),
                EXECUTION_INLINE_POLICY,
                want,
            );
            values.push((Resource::ExecutionRole, changed));
            push(Resource::ExecutionRole, exec_name, action, fields);
        }
    }
    let task_name = spec.names.task_role();
    match &observed.task_role {
        Some(r) if !r.owned => conflict_into(&mut conflicts, "role", &task_name, stack),
        role => {
            let (action, fields, changed) = role_change(
                role.as_ref(),
                &trust,
                None,
                WORKER_INLINE_POLICY,
                InlineWant::Exactly(&desired.worker_inline),
            );
            values.push((Resource::TaskRole, changed));
            push(Resource::TaskRole, task_name, action, fields);
        }
    }

    // The log group.
    let log_name = spec.names.log_group();
    match &observed.log_group {
        None => push(Resource::LogGroup, log_name, Action::Create, vec![]),
        Some(g) if !g.owned => conflict_into(&mut conflicts, "log group", &log_name, stack),
        Some(g) if g.retention_days != Some(spec.log_retention_days) => {
            let from = g
                .retention_days
                .map(|d| format!("{d} days"))
                .unwrap_or_else(|| "forever".into());
            values.push((
                Resource::LogGroup,
                vec![FieldChange::new(
                    "retentionInDays",
                    g.retention_days.map(Value::from).unwrap_or(Value::Null),
                    Value::from(spec.log_retention_days),
                )],
            ));
            push(
                Resource::LogGroup,
                log_name,
                Action::Update,
                vec![format!(
                    "retention {from} -> {} days",
                    spec.log_retention_days
                )],
            )
        }
        Some(_) => push(Resource::LogGroup, log_name, Action::Noop, vec![]),
    }

    // The cluster.
    match (&spec.cluster, &observed.cluster) {
        (ClusterChoice::Owned(name), None) => {
            push(Resource::Cluster, name.clone(), Action::Create, vec![])
        }
        (ClusterChoice::Owned(name), Some(c)) if !c.owned => {
            conflict_into(&mut conflicts, "cluster", name, stack)
        }
        (ClusterChoice::Owned(name), Some(c)) if !c.active => {
            push(Resource::Cluster, name.clone(), Action::Create, vec![])
        }
        (ClusterChoice::Existing(name), c) if !c.as_ref().is_some_and(|c| c.active) => conflicts
            .push(format!(
                "the cluster {name} named in the profile does not exist (or is inactive) in {}: \
             create it, or remove `cluster` from [network] to let prefect-tui make one",
                spec.region
            )),
        // A cluster the user brought is never changed: what the profile needs of it must be
        // there already, or the plan says what to do.
        (ClusterChoice::Existing(name), Some(c))
            if !super::alerting_plan::cluster_fields(spec, c).is_empty() =>
        {
            conflicts.extend(super::alerting_plan::brought_cluster_lacks(spec, name, c))
        }
        (ClusterChoice::Owned(name), Some(c)) => {
            let fields = super::alerting_plan::cluster_fields(spec, c);
            let action = if fields.is_empty() {
                Action::Noop
            } else {
                Action::Update
            };
            push(Resource::Cluster, name.clone(), action, fields)
        }
        (choice, _) => push(
            Resource::Cluster,
            choice.name().to_owned(),
            Action::Noop,
            vec![],
        ),
    }

    // The security group.
    let sg_name = spec.names.security_group();
    match &observed.security_group {
        None => push(Resource::SecurityGroup, sg_name, Action::Create, vec![]),
        Some(sg) if !sg.owned => conflict_into(&mut conflicts, "security group", &sg_name, stack),
        Some(sg) if sg.vpc_id != spec.vpc_id => push(
            Resource::SecurityGroup,
            sg_name,
            Action::Replace,
            vec![format!("vpc {} -> {}", sg.vpc_id, spec.vpc_id)],
        ),
        Some(sg) => {
            let wanted = super::egress::wanted(spec);
            let change = super::egress::change(&wanted, &sg.egress);
            if change.is_empty() {
                push(Resource::SecurityGroup, sg_name, Action::Noop, vec![])
            } else {
                push(
                    Resource::SecurityGroup,
                    sg_name,
                    Action::Update,
                    vec![change.describe(&wanted)],
                )
            }
        }
    }

    // The worker's event observer: its queues and the rule that feeds them.
    for c in super::observer_plan::plan_observer(spec, observed, desired, &mut conflicts) {
        values.push((c.resource, c.values));
        push(c.resource, c.name, c.action, c.fields);
    }

    // The task definition: a new revision whenever the rendered document changed.
    let family = spec.names.task_family();
    let td_action = match &observed.task_definition {
        None => {
            push(Resource::TaskDefinition, family, Action::Create, vec![]);
            Action::Create
        }
        Some(td) if !td.owned => {
            conflict_into(&mut conflicts, "task definition family", &family, stack);
            Action::Noop
        }
        Some(td) => {
            let changed = drift::task_definition(&desired.rendered.task_definition, &td.summary);
            let profile_changed =
                td.spec_hash.as_deref() != Some(desired.task_definition_hash.as_str());
            let action = if changed.is_empty() && !profile_changed {
                Action::Noop
            } else {
                Action::Update
            };
            let mut fields: Vec<String> = changed.iter().map(FieldChange::describe).collect();
            if profile_changed {
                let more = diff_fields(&desired.rendered.task_definition, &td.summary, &["tags"]);
                fields.extend(more.into_iter().filter(|f| !covered(f, &changed)));
                if fields.is_empty() {
                    fields.push("fields set by customizations".to_owned());
                }
            }
            values.push((Resource::TaskDefinition, changed));
            push(Resource::TaskDefinition, family, action, fields);
            action
        }
    };

    // The service.
    let service_name = spec.names.service();
    match &observed.service {
        None => push(Resource::Service, service_name, Action::Create, vec![]),
        Some(s) if !s.owned => conflict_into(&mut conflicts, "service", &service_name, stack),
        Some(s) if s.status == "INACTIVE" => {
            push(Resource::Service, service_name, Action::Create, vec![])
        }
        Some(s) => {
            let mut changed = drift::service(&desired.rendered.service, &s.summary);
            // Application Auto Scaling owns the count between the bounds.
            if let Some(scaling) = spec.monitoring.scaling {
                changed.retain(|c| {
                    c.field != "desiredCount"
                        || !c.live.as_i64().is_some_and(|n| scaling.owns_count(n))
                });
            }
            let mut fields: Vec<String> = changed.iter().map(FieldChange::describe).collect();
            if s.spec_hash.as_deref() != Some(desired.service_hash.as_str()) {
                let more = diff_fields(
                    &desired.rendered.service,
                    &s.summary,
                    &["tags", "taskDefinition"],
                );
                fields.extend(more.into_iter().filter(|f| !covered(f, &changed)));
                if fields.is_empty() {
                    fields.push("fields set by customizations".to_owned());
                }
            }
            match &observed.task_definition {
                _ if td_action != Action::Noop => {
                    fields.push("taskDefinition (new revision)".to_owned())
                }
                // The service was pointed at another revision than the family's latest.
                Some(td) if td.arn != s.task_definition_arn => {
                    let change = FieldChange::new(
                        "taskDefinition",
                        Value::from(s.task_definition_arn.clone()),
                        Value::from(td.arn.clone()),
                    );
                    fields.push(change.describe());
                    changed.push(change);
                }
                _ => {}
            }
            values.push((Resource::Service, changed));
            if force_new_deployment {
                fields.push("new deployment (the API key changed)".to_owned());
            }
            let action = if fields.is_empty() {
                Action::Noop
            } else {
                Action::Update
            };
            push(Resource::Service, service_name, action, fields);
        }
    }

    // Alerting and scaling: after the service, which the scalable target names.
    for c in super::alerting_plan::plan_alerting(spec, observed, desired, &mut conflicts) {
        values.push((c.resource, c.values));
        push(c.resource, c.name, c.action, c.fields);
    }

    // The Prefect work pool, when it could be read.
    match &observed.work_pool {
        None => {}
        Some(ObservedPool::Missing) => push(
            Resource::WorkPool,
            spec.work_pool.clone(),
            Action::Create,
            desired
                .pool_defaults
                .iter()
                .map(|(name, _)| format!("{name}: set"))
                .collect(),
        ),
        Some(ObservedPool::Present { pool_type, .. }) if pool_type != "ecs" => {
            conflicts.push(format!(
                "the Prefect work pool {} exists with type {pool_type}, not ecs: the ECS worker \
             cannot serve it. Name another pool in the profile (work_pool), or delete that one.",
                spec.work_pool
            ))
        }
        Some(ObservedPool::Present { template, .. }) => {
            let (_, fields) = merge_defaults(
                template,
                &desired.pool_defaults,
                desired.overwrite_pool_defaults,
            );
            let action = if fields.iter().any(PoolField::changes_something) {
                Action::Update
            } else {
                Action::Noop
            };
            push(
                Resource::WorkPool,
                spec.work_pool.clone(),
                action,
                fields.iter().map(PoolField::describe).collect(),
            );
        }
    }

    for (resource, changed) in values {
        if let Some(change) = changes.iter_mut().find(|c| c.resource == resource) {
            change.values = changed;
        }
    }
    if conflicts.is_empty() {
        Ok(Plan {
            changes,
            force_new_deployment,
        })
    } else {
        Err(PlanConflicts(conflicts))
    }
}

fn conflict_into(conflicts: &mut Vec<String>, label: &str, name: &str, stack: &str) {
    conflicts.push(conflict(label, name, stack));
}

/// What a role's inline policy should be.
enum InlineWant<'a> {
    Exactly(&'a Value),
    /// Depends on an ARN that does not exist yet (the secret): written once it does.
    Pending,
    /// No such policy at all (no credential, so nothing to read).
    Absent,
}

fn role_change(
    role: Option<&ObservedRole>,
    trust: &Value,
    managed: Option<&String>,
    inline_name: &str,
    inline: InlineWant<'_>,
) -> (Action, Vec<String>, Vec<FieldChange>) {
    let Some(role) = role else {
        return (Action::Create, vec![], vec![]);
    };
    let mut fields = Vec::new();
    let mut changed = Vec::new();
    if !policies::same_policy(&role.trust, trust) {
        fields.push("trust policy".to_owned());
        changed.push(FieldChange::new(
            "trust policy",
            role.trust.clone(),
            trust.clone(),
        ));
    }
    if let Some(arn) = managed
        && !role.managed_policy_arns.contains(arn)
    {
        fields.push(format!("attach {arn}"));
    }
    let live = role.inline.get(inline_name);
    match (inline, live) {
        (InlineWant::Exactly(want), Some(have)) if policies::same_policy(have, want) => {}
        (InlineWant::Exactly(want), _) => {
            let change = FieldChange::new(
                format!("inline policy {inline_name}"),
                live.cloned().unwrap_or(Value::Null),
                want.clone(),
            );
            fields.push(format!(
                "inline policy {inline_name}{}",
                policy_difference(live, want)
            ));
            changed.push(change);
        }
        (InlineWant::Pending, _) => fields.push(format!(
            "inline policy {inline_name} (once the secret exists)"
        )),
        (InlineWant::Absent, Some(have)) => {
            fields.push(format!("remove inline policy {inline_name}"));
            changed.push(FieldChange::new(
                format!("inline policy {inline_name}"),
                have.clone(),
                Value::Null,
            ));
        }
        (InlineWant::Absent, None) => {}
    }
    let action = if fields.is_empty() {
        Action::Noop
    } else {
        Action::Update
    };
    (action, fields, changed)
}
