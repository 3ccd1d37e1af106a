//! Upgrading the worker: a new image tag, deployed as a new revision and rolled out by
//! ECS; done when that deployment completed and its workers are online. If its tasks keep
//! failing, ECS's circuit breaker (on in every stack) rolls the service back, and the
//! report carries the failed tasks' reasons.
//!
//! The profile is written by the caller only once the new revision serves, so a failed
//! upgrade leaves the profile on the image that works. Run again after an interruption
//! it converges: the revision registered before is reused (same document, no new write)
//! and the rollout is waited for again.

use std::time::Duration;

use serde::Serialize;

use crate::aws::AwsSettings;
use crate::stack::StackSpec;
use crate::stack::image;
use crate::stack::plan::{Action, Resource};

use super::OpsError;
use super::deploy::{self, DeployOptions, Prepared};
use super::progress::Progress;
use super::rollout::{self, RolloutEnd};

/// An upgrade read and planned: nothing written yet.
#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub prepared: Prepared,
    /// The profile's spec with the new image.
    pub spec: StackSpec,
    /// The image the service's tasks run now, and the one they will.
    pub from: String,
    pub to: String,
}

impl UpgradePlan {
    /// The service already runs the target image, as the profile says.
    pub fn is_noop(&self) -> bool {
        self.prepared.plan.is_noop()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    pub from: String,
    pub to: String,
    pub rollout: RolloutEnd,
    pub workers: Vec<String>,
}

/// The image `--to` names: a tag (kept in the profile's repository) or a whole reference.
pub fn target_image(current: &str, to: Option<&str>) -> Result<String, OpsError> {
    let Some(to) = to.map(str::trim) else {
        let parsed = image::parse(current);
        if parsed.repository == image::PREFECT_AWS_REPOSITORY {
            return Ok(image::default_image());
        }
        return Err(OpsError::BadInput {
            message: format!(
                "the profile's image {current} is not prefecthq/prefect-aws, so there is no tag \
                 to upgrade to by default"
            ),
            hint: "Pass --to with the tag (or the whole image reference) to run.".to_owned(),
        });
    };
    let valid_tag = |t: &str| {
        !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    if to.contains('/') || to.contains('@') {
        return Ok(to.to_owned());
    }
    if !valid_tag(to) {
        return Err(OpsError::BadInput {
            message: format!("--to {to:?} is not an image tag"),
            hint: format!(
                "A tag has letters, digits, '_', '.' and '-' (at most 128), for example {}.",
                image::PINNED_TAG
            ),
        });
    }
    Ok(image::with_tag(current, to))
}

/// Plans the new revision. No write.
pub async fn prepare(
    settings: &AwsSettings,
    spec: &StackSpec,
    to: Option<&str>,
) -> Result<UpgradePlan, OpsError> {
    let target = target_image(&spec.image, to)?;
    let mut upgraded = spec.clone();
    upgraded.image = target.clone();
    let prepared = Box::pin(deploy::prepare(settings, &upgraded, None, false)).await?;
    let stack = &spec.names.stack;
    let from = prepared
        .observed
        .task_definition
        .as_ref()
        .filter(|_| prepared.observed.service.is_some())
        .and_then(|td| td.summary["containerDefinitions"][0]["image"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| OpsError::BadInput {
            message: format!("stack {stack} is not deployed, so there is no worker to upgrade"),
            hint: format!("Run `prefect-tui deploy --profile {stack}` first."),
        })?;
    // Only the image may change: anything else is drift or a profile edit, for `deploy`.
    let other: Vec<String> = prepared
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Noop)
        .flat_map(|c| {
            let resource = c.resource;
            c.fields
                .iter()
                .filter(move |f| match resource {
                    // Every container's image: the metrics sidecar runs the worker's.
                    Resource::TaskDefinition => {
                        !(f.starts_with("containerDefinitions[") && f.contains("].image:"))
                    }
                    Resource::Service => !f.starts_with("taskDefinition"),
                    _ => true,
                })
                .map(move |f| format!("{}: {f}", resource.label()))
                .chain((c.fields.is_empty()).then(|| format!("{} {}", c.resource.label(), c.name)))
        })
        .collect();
    if !other.is_empty() {
        return Err(OpsError::BadInput {
            message: format!(
                "stack {stack} differs from its profile in more than the image: {}",
                other.join("; ")
            ),
            hint: format!(
                "Run `prefect-tui plan --profile {stack}` and `deploy` first, then upgrade."
            ),
        });
    }
    Ok(UpgradePlan {
        prepared,
        spec: upgraded,
        from,
        to: target,
    })
}

/// Registers and rolls out the new revision; waits for the rollout and its workers.
pub async fn upgrade(
    plan: &UpgradePlan,
    timeout: Duration,
    progress: &Progress,
) -> Result<UpgradeReport, OpsError> {
    let prepared = &plan.prepared;
    let known = rollout::known_workers(&prepared.prefect, &plan.spec).await?;
    if !plan.is_noop() {
        rollout::settle_first(&prepared.aws, &prepared.spec, timeout, progress).await?;
        let options = DeployOptions {
            key: None,
            overwrite_pool_defaults: false,
            gate_timeout: None,
        };
        Box::pin(deploy::deploy(prepared, &plan.spec, options, progress))
            .await
            .map_err(|e| OpsError::BadInput {
                message: e.to_string(),
                hint: "Run the same upgrade again: it picks up where this one stopped.".to_owned(),
            })?;
    }
    let (end, workers) = rollout::follow_change(
        &prepared.aws,
        &prepared.prefect,
        &prepared.spec,
        &known,
        timeout,
        progress,
    )
    .await?;
    Ok(UpgradeReport {
        from: plan.from.clone(),
        to: plan.to.clone(),
        rollout: end,
        workers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_is_a_tag_in_the_profiles_repository_or_a_whole_reference() {
        let current = "prefecthq/prefect-aws:latest";
        assert_eq!(
            target_image(current, Some("0.7.11-python3.12-prefect3.8.4")).ok(),
            Some("prefecthq/prefect-aws:0.7.11-python3.12-prefect3.8.4".to_owned())
        );
        assert_eq!(
            target_image(current, None).ok(),
            Some(image::default_image())
        );
        assert_eq!(
            target_image(current, Some("ghcr.io/me/worker:1")).ok(),
            Some("ghcr.io/me/worker:1".to_owned())
        );
        for bad in ["", "a b", "-x", "tag;rm"] {
            assert!(
                matches!(
                    target_image(current, Some(bad)),
                    Err(OpsError::BadInput { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(target_image("ghcr.io/me/worker:1", None).is_err());
    }
}
