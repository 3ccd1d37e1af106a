//! Apply: runs a `Plan` as a dependency graph. The secret, both roles, the log group, the
//! cluster and the security group go concurrently; the execution role's secret policy
//! follows the secret; the task definition waits for all of them; the service waits for
//! the task definition. Every step reports `ProgressEvent`s. Steps that are `noop` make no
//! call at all, which is what makes a repeated deploy free of writes.
//!
//! A failure stops what depends on it, lets independent steps finish, and returns every
//! failure; everything is found again by name on the next run, so running deploy again
//! resumes where this one stopped.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::Tag as EcsTag;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::ecs_documents::update_service_document;
use super::{AwsContext, AwsError, ErrorKind};
use crate::secret::SecretValue;
use crate::stack::desired::{SPEC_HASH_TAG, desired};
use crate::stack::names::{MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG};
use crate::stack::observed::*;
use crate::stack::plan::{Action, Plan, Resource};
use crate::stack::policies::{self, EXECUTION_INLINE_POLICY, WORKER_INLINE_POLICY};
use crate::stack::{ClusterChoice, RenderError, StackSpec};

/// What happens to one resource, as it happens.
#[derive(Debug, Clone)]
pub enum ProgressEvent {
    /// Nothing to do for this resource.
    Unchanged { resource: Resource, name: String },
    /// Nothing to do: the resource does not exist (destroy).
    Absent { resource: Resource, name: String },
    /// Work on the resource began.
    Started {
        resource: Resource,
        action: Action,
        name: String,
    },
    /// Something worth saying while a step runs (a retry, a wait).
    Note { resource: Resource, message: String },
    /// The step finished.
    Done {
        resource: Resource,
        action: Action,
        elapsed: Duration,
        detail: Option<String>,
    },
    /// The step failed; `hint` says what to do.
    Failed {
        resource: Resource,
        error: String,
        hint: Option<String>,
    },
    /// The step was not tried because something it needs failed.
    Skipped { resource: Resource, reason: String },
}

pub type Progress = UnboundedSender<ProgressEvent>;

fn emit(progress: &Progress, event: ProgressEvent) {
    // The receiver may be gone (a UI that quit); the work goes on regardless.
    let _ = progress.send(event);
}

#[derive(Debug, Clone, Default)]
pub struct ApplyOutcome {
    pub task_definition_arn: Option<String>,
    pub service_arn: Option<String>,
    /// When the apply started: the online gate only counts workers heard from after it.
    pub started_at: Option<std::time::SystemTime>,
    /// What exists now, as far as the apply knows (new ARNs and ids included).
    pub observed: Observed,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{} step(s) failed", failures.len())]
    Failed { failures: Vec<(Resource, AwsError)> },
    #[error("the API key is needed to create the secret {secret}")]
    KeyRequired { secret: String },
    #[error(transparent)]
    Render(#[from] RenderError),
}

fn stack_tags(stack: &str) -> [(&'static str, String); 2] {
    [
        (STACK_TAG, stack.to_owned()),
        (MANAGED_BY_TAG, MANAGED_BY_VALUE.to_owned()),
    ]
}

/// Whether ECS refused a role because IAM has not propagated it yet.
fn role_not_ready(e: &AwsError) -> bool {
    match e {
        AwsError::Call {
            kind,
            code,
            message,
            ..
        } => {
            let text = message.as_deref().unwrap_or_default().to_ascii_lowercase();
            (matches!(kind, ErrorKind::Invalid) || code.as_deref() == Some("ClientException"))
                && (text.contains("role") || text.contains("assume"))
        }
        _ => false,
    }
}

/// Retries an ECS call refused for a just-made role, with bounded backoff (about a minute
/// in all), saying so in the progress.
async fn retry_for_iam<T, F, Fut>(
    progress: &Progress,
    resource: Resource,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    const ATTEMPTS: u32 = 8;
    let mut delay = Duration::from_secs(2);
    for attempt in 1..=ATTEMPTS {
        match call().await {
            Err(e) if attempt < ATTEMPTS && role_not_ready(&e) => {
                emit(
                    progress,
                    ProgressEvent::Note {
                        resource,
                        message: format!(
                            "ECS does not accept the new IAM role yet (IAM changes take a while to \
                         reach every service); retrying in {}s, attempt {attempt} of {ATTEMPTS}",
                            delay.as_secs()
                        ),
                    },
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            other => return other,
        }
    }
    unreachable!("the last attempt returns")
}

/// Runs one step: announces it, times it, reports how it ended.
async fn step<T, Fut>(
    progress: &Progress,
    resource: Resource,
    action: Action,
    name: &str,
    work: Fut,
) -> Result<T, (Resource, AwsError)>
where
    Fut: std::future::Future<Output = Result<(T, Option<String>), AwsError>>,
{
    emit(
        progress,
        ProgressEvent::Started {
            resource,
            action,
            name: name.to_owned(),
        },
    );
    let started = Instant::now();
    match work.await {
        Ok((value, detail)) => {
            emit(
                progress,
                ProgressEvent::Done {
                    resource,
                    action,
                    elapsed: started.elapsed(),
                    detail,
                },
            );
            Ok(value)
        }
        Err(error) => {
            emit(
                progress,
                ProgressEvent::Failed {
                    resource,
                    error: error.to_string(),
                    hint: error.hint(),
                },
            );
            Err((resource, error))
        }
    }
}

impl AwsContext {
    /// Makes the stack match the plan. `observed` is what the plan was made from.
    pub async fn apply(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        assign_public_ip: bool,
        key: Option<&SecretValue>,
        progress: &Progress,
    ) -> Result<ApplyOutcome, ApplyError> {
        let started_at = std::time::SystemTime::now();
        let stack = spec.names.stack.as_str();
        if plan.action(Resource::Secret) == Action::Create && key.is_none() {
            return Err(ApplyError::KeyRequired {
                secret: spec.secret_name.clone().unwrap_or_default(),
            });
        }
        let first = desired(spec, observed, assign_public_ip)?;

        // Phase 1: everything that depends on nothing.
        let (secret, exec_role, task_role, log_group, cluster, security_group) = tokio::join!(
            self.apply_secret(spec, observed, plan, key, progress),
            self.apply_role_base(
                spec.names.execution_role(),
                Resource::ExecutionRole,
                observed.execution_role.as_ref(),
                plan,
                Some(&observed.partition),
                stack,
                progress,
            ),
            self.apply_task_role(spec, observed, plan, &first.worker_inline, progress),
            self.apply_log_group(spec, observed, plan, progress),
            self.apply_cluster(spec, observed, plan, progress),
            self.apply_security_group(spec, observed, plan, progress),
        );
        let mut failures = Vec::new();
        let mut now = observed.clone();
        match secret {
            Ok(Some(arn)) => {
                now.secret = Some(ObservedSecret {
                    arn,
                    owned: true,
                    pending_deletion: false,
                    key: KeyComparison::Same,
                })
            }
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
        if let Err(f) = exec_role {
            failures.push(f);
        }
        if let Err(f) = task_role {
            failures.push(f);
        }
        if let Err(f) = log_group {
            failures.push(f);
        }
        if let Err(f) = cluster {
            failures.push(f);
        }
        match security_group {
            Ok(Some(id)) => {
                now.security_group = Some(ObservedSecurityGroup {
                    id,
                    vpc_id: spec.vpc_id.clone(),
                    owned: true,
                })
            }
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
        let failed = |r: Resource| failures.iter().any(|(f, _)| *f == r);

        // Phase 1b: the execution role may read the secret, now that it has an ARN.
        let wanted = desired(spec, &now, assign_public_ip)?;
        if !failed(Resource::Secret) && !failed(Resource::ExecutionRole) {
            if let Err(f) = self
                .apply_execution_inline(spec, observed, wanted.execution_inline.as_ref(), progress)
                .await
            {
                failures.push(f);
            }
        }
        if !failures.is_empty() {
            self.skip_rest(progress, &[Resource::TaskDefinition, Resource::Service]);
            return Err(ApplyError::Failed { failures });
        }

        // Phase 2: the task definition, with real ARNs.
        let family = spec.names.task_family();
        let td_arn = match &observed.task_definition {
            Some(td)
                if plan.action(Resource::TaskDefinition) == Action::Noop
                    && td.spec_hash.as_deref() == Some(wanted.task_definition_hash.as_str()) =>
            {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource: Resource::TaskDefinition,
                        name: family.clone(),
                    },
                );
                td.arn.clone()
            }
            existing => {
                let action = if existing.is_some() {
                    Action::Update
                } else {
                    Action::Create
                };
                let mut doc = wanted.rendered.task_definition.clone();
                push_tag(&mut doc, SPEC_HASH_TAG, &wanted.task_definition_hash);
                let result = step(progress, Resource::TaskDefinition, action, &family, async {
                    let td = retry_for_iam(progress, Resource::TaskDefinition, || {
                        self.register_task_definition_document(&doc)
                    })
                    .await?;
                    let arn = td.task_definition_arn().unwrap_or_default().to_owned();
                    let detail = Some(format!("revision {}", td.revision()));
                    Ok((arn, detail))
                })
                .await;
                match result {
                    Ok(arn) => arn,
                    Err(f) => {
                        self.skip_rest(progress, &[Resource::Service]);
                        return Err(ApplyError::Failed { failures: vec![f] });
                    }
                }
            }
        };

        // Phase 3: the service.
        let service_name = spec.names.service();
        let service_action = match &observed.service {
            None => Action::Create,
            Some(s) if s.status == "INACTIVE" => Action::Create,
            Some(s) => {
                // The plan compared the live fields (drift) as well as the spec hash.
                let changed = plan.action(Resource::Service) != Action::Noop
                    || s.spec_hash.as_deref() != Some(wanted.service_hash.as_str())
                    || s.task_definition_arn != td_arn
                    || plan.force_new_deployment;
                if changed {
                    Action::Update
                } else {
                    Action::Noop
                }
            }
        };
        let service_arn = match service_action {
            Action::Noop => {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource: Resource::Service,
                        name: service_name.clone(),
                    },
                );
                observed.service.as_ref().map(|s| s.arn.clone())
            }
            action => {
                let result = step(progress, Resource::Service, action, &service_name, async {
                    let service = if action == Action::Create {
                        let mut doc = wanted.rendered.service.clone();
                        doc["taskDefinition"] = json!(td_arn);
                        push_tag(&mut doc, SPEC_HASH_TAG, &wanted.service_hash);
                        retry_for_iam(progress, Resource::Service, || {
                            self.create_service_document(&doc)
                        })
                        .await?
                    } else {
                        let doc = update_service_document(
                            &wanted.rendered.service,
                            &td_arn,
                            plan.force_new_deployment,
                        );
                        let service = retry_for_iam(progress, Resource::Service, || {
                            self.update_service_document(&doc)
                        })
                        .await?;
                        self.ecs
                            .tag_resource()
                            .resource_arn(service.service_arn().unwrap_or_default())
                            .tags(
                                EcsTag::builder()
                                    .key(SPEC_HASH_TAG)
                                    .value(&wanted.service_hash)
                                    .build(),
                            )
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("ecs:TagResource", e))?;
                        service
                    };
                    let detail = (plan.force_new_deployment && action == Action::Update)
                        .then(|| "new deployment started".to_owned());
                    Ok((service.service_arn().map(str::to_owned), detail))
                })
                .await;
                match result {
                    Ok(arn) => arn,
                    Err(f) => return Err(ApplyError::Failed { failures: vec![f] }),
                }
            }
        };

        Ok(ApplyOutcome {
            task_definition_arn: Some(td_arn),
            service_arn,
            started_at: Some(started_at),
            observed: now,
        })
    }

    fn skip_rest(&self, progress: &Progress, resources: &[Resource]) {
        for resource in resources {
            emit(
                progress,
                ProgressEvent::Skipped {
                    resource: *resource,
                    reason: "waits for the failed steps above".to_owned(),
                },
            );
        }
    }

    async fn apply_secret(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        key: Option<&SecretValue>,
        progress: &Progress,
    ) -> Result<Option<String>, (Resource, AwsError)> {
        let Some(change) = plan.change(Resource::Secret) else {
            return Ok(None);
        };
        let name = change.name.clone();
        let existing = observed.secret.as_ref().map(|s| s.arn.clone());
        match change.action {
            Action::Noop => {
                emit(
                    progress,
                    ProgressEvent::Unchanged {
                        resource: Resource::Secret,
                        name,
                    },
                );
                Ok(existing)
            }
            Action::Create => {
                step(progress, Resource::Secret, Action::Create, &name, async {
                    let key = key.map(SecretValue::expose).unwrap_or_default();
                    let mut request = self
                        .secrets
                        .create_secret()
                        .name(&name)
                        .description(format!(
                            "Prefect credential for the prefect-tui stack {}",
                            spec.names.stack
                        ))
                        .secret_string(key);
                    for (k, v) in stack_tags(&spec.names.stack) {
                        request = request.tags(
                            aws_sdk_secretsmanager::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build(),
                        );
                    }
                    match request
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("secretsmanager:CreateSecret", e))
                    {
                        Ok(out) => Ok((Some(out.arn().unwrap_or_default().to_owned()), None)),
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                            let arn = self.adopt_secret(&name, &spec.names.stack, key, e).await?;
                            Ok((Some(arn), Some(ADOPTED.to_owned())))
                        }
                        Err(e) => Err(e),
                    }
                })
                .await
            }
            _ => {
                step(progress, Resource::Secret, Action::Update, &name, async {
                    let pending = observed.secret.as_ref().is_some_and(|s| s.pending_deletion);
                    if pending {
                        self.secrets
                            .restore_secret()
                            .secret_id(&name)
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("secretsmanager:RestoreSecret", e))?;
                    }
                    let changed = observed
                        .secret
                        .as_ref()
                        .is_some_and(|s| s.key == KeyComparison::Different);
                    if let (true, Some(key)) = (changed, key) {
                        self.secrets
                            .put_secret_value()
                            .secret_id(&name)
                            .secret_string(key.expose())
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("secretsmanager:PutSecretValue", e))?;
                    }
                    let detail = if changed {
                        Some("new version stored".to_owned())
                    } else {
                        Some("restored".to_owned())
                    };
                    Ok((existing.clone(), detail))
                })
                .await
            }
        }
    }

    /// Creates a role (trust for ECS tasks, tags) or fixes its trust; attaches the managed
    /// execution policy when `execution_partition` is given. Inline policies are separate steps.
    #[allow(clippy::too_many_arguments)]
    async fn apply_role_base(
        &self,
        name: String,
        resource: Resource,
        observed: Option<&ObservedRole>,
        plan: &Plan,
        execution_partition: Option<&str>,
        stack: &str,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let action = plan.action(resource);
        if action == Action::Noop {
            emit(progress, ProgressEvent::Unchanged { resource, name });
            return Ok(());
        }
        step(progress, resource, action, &name, async {
            let trust = policies::ecs_tasks_trust().to_string();
            match observed {
                None => {
                    let mut request = self
                        .iam
                        .create_role()
                        .role_name(&name)
                        .assume_role_policy_document(&trust)
                        .description(format!("prefect-tui stack {stack}"));
                    for (k, v) in stack_tags(stack) {
                        request = request.tags(
                            aws_sdk_iam::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build()
                                .map_err(|e| AwsError::Call {
                                    action: "iam:CreateRole",
                                    kind: ErrorKind::Invalid,
                                    code: None,
                                    message: Some(e.to_string()),
                                })?,
                        );
                    }
                    match request
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:CreateRole", e))
                    {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                            self.adopt_role(&name, stack, &trust, e).await?;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Some(role) if !policies::same_policy(&role.trust, &policies::ecs_tasks_trust()) => {
                    self.iam
                        .update_assume_role_policy()
                        .role_name(&name)
                        .policy_document(&trust)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", e))?;
                }
                Some(_) => {}
            }
            if let Some(partition) = execution_partition {
                let managed =
                    policies::managed_policy_arn(partition, policies::EXECUTION_MANAGED_POLICY);
                let attached = observed.is_some_and(|r| r.managed_policy_arns.contains(&managed));
                if !attached {
                    self.iam
                        .attach_role_policy()
                        .role_name(&name)
                        .policy_arn(managed)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("iam:AttachRolePolicy", e))?;
                }
            }
            Ok(((), None))
        })
        .await
    }

    async fn apply_task_role(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        worker_inline: &Value,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.task_role();
        let role = observed.task_role.as_ref();
        self.apply_role_base(
            name.clone(),
            Resource::TaskRole,
            role,
            plan,
            None,
            &spec.names.stack,
            progress,
        )
        .await?;
        let current = role.and_then(|r| r.inline.get(WORKER_INLINE_POLICY));
        if current.is_some_and(|c| policies::same_policy(c, worker_inline)) {
            return Ok(());
        }
        self.iam
            .put_role_policy()
            .role_name(&name)
            .policy_name(WORKER_INLINE_POLICY)
            .policy_document(worker_inline.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let e = AwsError::from_sdk("iam:PutRolePolicy", e);
                emit(
                    progress,
                    ProgressEvent::Failed {
                        resource: Resource::TaskRole,
                        error: e.to_string(),
                        hint: e.hint(),
                    },
                );
                (Resource::TaskRole, e)
            })
    }

    async fn apply_execution_inline(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        wanted: Option<&Value>,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.execution_role();
        let current = observed
            .execution_role
            .as_ref()
            .and_then(|r| r.inline.get(EXECUTION_INLINE_POLICY));
        let result = match (wanted, current) {
            (Some(want), Some(have)) if policies::same_policy(have, want) => return Ok(()),
            (None, None) => return Ok(()),
            (Some(want), _) => self
                .iam
                .put_role_policy()
                .role_name(&name)
                .policy_name(EXECUTION_INLINE_POLICY)
                .policy_document(want.to_string())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", e)),
            (None, Some(_)) => self
                .iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(EXECUTION_INLINE_POLICY)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:DeleteRolePolicy", e)),
        };
        result.map_err(|e| {
            emit(
                progress,
                ProgressEvent::Failed {
                    resource: Resource::ExecutionRole,
                    error: e.to_string(),
                    hint: e.hint(),
                },
            );
            (Resource::ExecutionRole, e)
        })
    }

    async fn apply_log_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.names.log_group();
        let action = plan.action(Resource::LogGroup);
        if action == Action::Noop {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::LogGroup,
                    name,
                },
            );
            return Ok(());
        }
        step(progress, Resource::LogGroup, action, &name, async {
            if observed.log_group.is_none() {
                let mut request = self.logs.create_log_group().log_group_name(&name);
                for (k, v) in stack_tags(&spec.names.stack) {
                    request = request.tags(k, v);
                }
                match request
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", e))
                {
                    Ok(_) => {}
                    // Made by an earlier, interrupted run between its read and its write.
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
            self.logs
                .put_retention_policy()
                .log_group_name(&name)
                .retention_in_days(i32::try_from(spec.log_retention_days).unwrap_or(30))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:PutRetentionPolicy", e))?;
            Ok((
                (),
                Some(format!("keeps logs {} days", spec.log_retention_days)),
            ))
        })
        .await
    }

    async fn apply_cluster(
        &self,
        spec: &StackSpec,
        _observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<(), (Resource, AwsError)> {
        let name = spec.cluster.name().to_owned();
        let action = plan.action(Resource::Cluster);
        if action == Action::Noop || matches!(spec.cluster, ClusterChoice::Existing(_)) {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::Cluster,
                    name,
                },
            );
            return Ok(());
        }
        step(progress, Resource::Cluster, action, &name, async {
            let mut request = self.ecs.create_cluster().cluster_name(&name);
            for (k, v) in stack_tags(&spec.names.stack) {
                request = request.tags(EcsTag::builder().key(k).value(v).build());
            }
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecs:CreateCluster", e))?;
            Ok(((), None))
        })
        .await
    }

    async fn apply_security_group(
        &self,
        spec: &StackSpec,
        observed: &Observed,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<Option<String>, (Resource, AwsError)> {
        let name = spec.names.security_group();
        let action = plan.action(Resource::SecurityGroup);
        if action == Action::Noop {
            emit(
                progress,
                ProgressEvent::Unchanged {
                    resource: Resource::SecurityGroup,
                    name,
                },
            );
            return Ok(observed.security_group.as_ref().map(|g| g.id.clone()));
        }
        step(progress, Resource::SecurityGroup, action, &name, async {
            let mut tags = aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value(&name)
                        .build(),
                );
            for (k, v) in stack_tags(&spec.names.stack) {
                tags = tags.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
            }
            // No ingress rules: nothing connects to a worker. AWS adds allow-all egress.
            let created = self
                .ec2
                .create_security_group()
                .group_name(&name)
                .description(format!(
                    "prefect-tui worker of stack {}: no ingress",
                    spec.names.stack
                ))
                .vpc_id(&spec.vpc_id)
                .tag_specifications(tags.build())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ec2:CreateSecurityGroup", e));
            let id = match created {
                Ok(out) => out.group_id().unwrap_or_default().to_owned(),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    self.adopt_security_group(&name, &spec.vpc_id, &spec.names.stack, e)
                        .await?
                }
                Err(e) => return Err(e),
            };
            let detail = match (action, &observed.security_group) {
                (Action::Replace, Some(old)) => Some(format!(
                    "{id}; the old group {} in {} is left for destroy or manual removal",
                    old.id, old.vpc_id
                )),
                _ => Some(id.clone()),
            };
            Ok((Some(id), detail))
        })
        .await
    }
}

/// Progress detail for a resource a create found already there and carrying the stack's tag.
const ADOPTED: &str = "found already made (by an interrupted run, or a retried call whose \
                       answer was lost); taken over";

fn tagged_for<'a>(
    stack: &str,
    mut tags: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> bool {
    tags.any(|(k, v)| k == Some(STACK_TAG) && v == Some(stack))
}

/// A create refused because the resource exists is not a failure when the resource carries
/// this stack's tag: a run killed after its request reached AWS, or a call retried after
/// its answer was lost on the way, made it. It is taken over and brought to the desired
/// state; anything without the tag stays the refusal it was (never touch what is not ours).
impl AwsContext {
    async fn adopt_secret(
        &self,
        name: &str,
        stack: &str,
        key: &str,
        refused: AwsError,
    ) -> Result<String, AwsError> {
        let found = self
            .secrets
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("secretsmanager:DescribeSecret", e))?;
        let tags = found.tags().iter().map(|t| (t.key(), t.value()));
        if !tagged_for(stack, tags) {
            return Err(refused);
        }
        if found.deleted_date().is_some() {
            self.secrets
                .restore_secret()
                .secret_id(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("secretsmanager:RestoreSecret", e))?;
        }
        self.secrets
            .put_secret_value()
            .secret_id(name)
            .secret_string(key)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("secretsmanager:PutSecretValue", e))?;
        Ok(found.arn().unwrap_or_default().to_owned())
    }

    async fn adopt_role(
        &self,
        name: &str,
        stack: &str,
        trust: &str,
        refused: AwsError,
    ) -> Result<(), AwsError> {
        let found = self
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:GetRole", e))?;
        let tags = found
            .role()
            .map(|r| r.tags())
            .unwrap_or_default()
            .iter()
            .map(|t| (Some(t.key()), Some(t.value())));
        if !tagged_for(stack, tags) {
            return Err(refused);
        }
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", e))?;
        Ok(())
    }

    async fn adopt_security_group(
        &self,
        name: &str,
        vpc_id: &str,
        stack: &str,
        refused: AwsError,
    ) -> Result<String, AwsError> {
        let filter = |n: &str, v: &str| {
            aws_sdk_ec2::types::Filter::builder()
                .name(n)
                .values(v)
                .build()
        };
        let found = self
            .ec2
            .describe_security_groups()
            .filters(filter("group-name", name))
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        let group = found
            .security_groups()
            .iter()
            .find(|g| tagged_for(stack, g.tags().iter().map(|t| (t.key(), t.value()))));
        match group.and_then(|g| g.group_id()) {
            Some(id) => Ok(id.to_owned()),
            None => Err(refused),
        }
    }
}

fn push_tag(doc: &mut Value, key: &str, value: &str) {
    let tag = json!({ "key": key, "value": value });
    match doc.get_mut("tags").and_then(Value::as_array_mut) {
        Some(tags) => tags.push(tag),
        None => doc["tags"] = json!([tag]),
    }
}
