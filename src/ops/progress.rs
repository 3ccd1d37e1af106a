//! Progress of an operation, as it happens: the event type every step reports with, and the
//! one helper that announces a step, times it and reports how it ended. Apply, destroy and
//! the work pool's configuration all report through `step`, so every front end reads one
//! kind of event.
//!
//! A leaf: it knows resources and actions (`stack::plan`) and nothing of AWS, Prefect or
//! terminals. Events carry data; the sentences shown for them are made in `text`.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::stack::plan::{Action, Resource};

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
    /// A deploy's writes are all accepted (AWS and the work pool); from here on it waits
    /// for the workers. `started_at` is when the writes began.
    Applied {
        started_at: Option<std::time::SystemTime>,
    },
}

/// Where an operation sends its events.
pub type Progress = UnboundedSender<ProgressEvent>;

/// Sends an event. The receiver may be gone (a screen that quit); the work goes on.
pub fn emit(progress: &Progress, event: ProgressEvent) {
    let _ = progress.send(event);
}

/// An error a step can fail with: it shows as text, and may say what to do.
pub trait StepError: std::fmt::Display {
    fn hint(&self) -> Option<String>;
}

impl StepError for crate::aws::AwsError {
    fn hint(&self) -> Option<String> {
        crate::aws::AwsError::hint(self)
    }
}

impl StepError for crate::prefect::PrefectError {
    fn hint(&self) -> Option<String> {
        crate::prefect::PrefectError::hint(self)
    }
}

/// Runs one step: announces it, times it, reports how it ended. `work` returns the value
/// and an optional detail for the finished line.
pub async fn step<T, E, Fut>(
    progress: &Progress,
    resource: Resource,
    action: Action,
    name: &str,
    work: Fut,
) -> Result<T, (Resource, E)>
where
    E: StepError,
    Fut: std::future::Future<Output = Result<(T, Option<String>), E>>,
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
            failed(progress, resource, &error);
            Err((resource, error))
        }
    }
}

/// Reports a failure of a step that was announced elsewhere (a second call of one step).
pub fn failed(progress: &Progress, resource: Resource, error: &impl StepError) {
    emit(
        progress,
        ProgressEvent::Failed {
            resource,
            error: error.to_string(),
            hint: error.hint(),
        },
    );
}
