//! The API key's secret: created with the stack's tags, restored from a scheduled deletion,
//! given a new version when the key changes, or taken over after an interrupted create.
use super::{ADOPTED, stack_tags, tagged_for};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::ops::progress::{Progress, ProgressEvent, emit, step};
use crate::secret::SecretValue;
use crate::stack::StackSpec;
use crate::stack::observed::{KeyComparison, Observed};
use crate::stack::plan::{Action, Plan, Resource};

impl AwsContext {
    pub(super) async fn apply_secret(
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
                        .description(spec.names.secret_description())
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
}
