//! The stack's history: its task-definition revisions, newest first, each with what
//! changed from the one before it and whether it is the one the service runs.

use serde::Serialize;

use crate::aws::AwsSettings;
use crate::aws::revisions::Revision;
use crate::stack::StackSpec;
use crate::stack::drift;

use super::OpsError;
use super::connect::aws_for;

/// How many revisions `history` reads at most.
pub const HISTORY_LIMIT: usize = 25;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub revision: i32,
    pub arn: String,
    pub registered_at: Option<String>,
    pub image: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    /// `field: before -> this`, against the revision before it (empty for the first read).
    pub changed: Vec<String>,
    /// The service runs this revision (its PRIMARY deployment's).
    pub live: bool,
    /// ECS's circuit breaker rolled its rollout back.
    pub failed_rollout: bool,
}

/// The revisions, newest first; `live` marks the service's.
pub fn entries(revisions: &[Revision], live_arn: Option<&str>) -> Vec<HistoryEntry> {
    revisions
        .iter()
        .enumerate()
        .map(|(i, r)| HistoryEntry {
            revision: r.revision,
            arn: r.arn.clone(),
            registered_at: r.registered_at.clone(),
            image: r.image().map(str::to_owned),
            cpu: r.cpu().map(str::to_owned),
            memory: r.memory().map(str::to_owned),
            changed: revisions
                .get(i + 1)
                .map(|before| changes(before, r))
                .unwrap_or_default(),
            live: live_arn == Some(r.arn.as_str()),
            failed_rollout: r.failed_rollout,
        })
        .collect()
}

/// What differs from `from` to `to`, as `field: from's -> to's`.
pub fn changes(from: &Revision, to: &Revision) -> Vec<String> {
    drift::task_definition(&to.summary, &from.summary)
        .iter()
        .map(drift::FieldChange::describe)
        .collect()
}

/// Reads the stack's revisions and the one its service runs.
pub async fn history(
    settings: &AwsSettings,
    spec: &StackSpec,
) -> Result<Vec<HistoryEntry>, OpsError> {
    let aws = aws_for(settings, spec).await?;
    let family = spec.names.task_family();
    let (revisions, primary) = tokio::join!(
        aws.revisions(&family, HISTORY_LIMIT),
        super::rollout::primary_deployment(&aws, spec)
    );
    let live = primary.ok().map(|d| d.task_definition_arn);
    Ok(entries(&revisions?, live.as_deref()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn revision(n: i32, image: &str, cpu: &str) -> Revision {
        Revision {
            arn: format!("arn:aws:ecs:us-east-1:1:task-definition/f:{n}"),
            revision: n,
            registered_at: None,
            summary: json!({
                "cpu": cpu, "memory": "1024",
                "containerDefinitions": [{"name": "worker", "image": image}],
            }),
            spec_hash: None,
            failed_rollout: false,
        }
    }

    #[test]
    fn each_revision_says_what_changed_from_the_one_before_and_which_is_live() {
        let revisions = [
            revision(3, "w:b", "1024"),
            revision(2, "w:b", "512"),
            revision(1, "w:a", "512"),
        ];
        let h = entries(&revisions, Some(&revisions[1].arn));
        assert_eq!(
            h.iter().map(|e| (e.revision, e.live)).collect::<Vec<_>>(),
            [(3, false), (2, true), (1, false)]
        );
        assert_eq!(h[0].changed, ["cpu: 512 -> 1024"]);
        assert_eq!(h[1].changed, ["containerDefinitions[0].image: w:a -> w:b"]);
        assert!(h[2].changed.is_empty());
    }
}
