//! What passes between the wizard's state and its runner: the `Work` that `on_key` and
//! `on_msg` ask for, the `Msg` that brings each result back, and how the wizard ended.
//! Kept apart from the state so the runner's side of the contract reads in one place;
//! nothing here does I/O.

use std::fmt;

use super::checks::Problem;
use crate::aws::{AwsContext, AwsSettings, Identity};
use crate::network::DiscoveryReport;
use crate::ops::deploy::Prepared;
use crate::ops::progress::ProgressEvent;
use crate::prefect::cloud::Workspace;
use crate::prefect::{PrefectAuth, PrefectClient, PrefectError};
use crate::profile::{Customization, Profile};
use crate::secret::SecretValue;
use crate::stack::StackSpec;

/// How the wizard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Ctrl-C before anything was made.
    Cancelled,
    /// Ctrl-C during the deploy, confirmed: the runner says what exists.
    LeftDuringApply,
    /// After a failure, the user chose to leave things as they are.
    LeftAfterFailure(String),
    /// The worker is online: open the monitor.
    Monitor,
}

/// Work the runner does in the background.
pub enum Work {
    /// Load the AWS configuration and ask STS who it is.
    Identity(AwsSettings),
    /// List the Prefect Cloud workspaces the key reaches.
    Workspaces(SecretValue),
    /// Check the API URL and the credential with an authenticated read.
    CheckPrefect { api_url: String, auth: PrefectAuth },
    /// Read the account's network and judge every subnet.
    Discover { aws: AwsContext, account: String },
    /// List the workspace's work pools.
    Pools(PrefectClient),
    /// Read what exists and plan (no write).
    Prepare {
        aws: AwsContext,
        spec: Box<StackSpec>,
        key: Option<SecretValue>,
    },
    /// Suspends the screen and opens `$EDITOR` on this text.
    Edit(String),
    /// Saves the profile (when `save` names it), then deploys (apply, work pool, online
    /// gate); prepares again first when there is no plan (a retry).
    Apply {
        save: Option<(String, Box<Profile>)>,
        prepared: Option<Box<Prepared>>,
        aws: AwsContext,
        spec: Box<StackSpec>,
        key: Option<SecretValue>,
    },
    /// One flow run of the stack's verify deployment, followed to its end.
    Verify {
        aws: AwsContext,
        spec: Box<StackSpec>,
        key: Option<SecretValue>,
    },
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Work::Identity(_) => "Work::Identity",
            Work::Workspaces(_) => "Work::Workspaces",
            Work::CheckPrefect { .. } => "Work::CheckPrefect",
            Work::Discover { .. } => "Work::Discover",
            Work::Pools(_) => "Work::Pools",
            Work::Prepare { .. } => "Work::Prepare",
            Work::Edit(_) => "Work::Edit",
            Work::Apply { .. } => "Work::Apply",
            Work::Verify { .. } => "Work::Verify",
        })
    }
}

/// Results of work, back from the runner.
pub enum Msg {
    /// The AWS context and who it is, or why not.
    Identity(Result<(Box<AwsContext>, Identity), Problem>),
    /// The workspaces the key reaches.
    Workspaces(Result<Vec<Workspace>, Problem>),
    /// A client that passed the check, or why not.
    Prefect(Result<PrefectClient, PrefectFailure>),
    /// The account's network, judged.
    Discovered(Result<DiscoveryReport, Problem>),
    /// The work pools: (name, type).
    Pools(Result<Vec<(String, String)>, Problem>),
    /// The plan, with the documents as they will be sent (secrets redacted).
    Prepared(Result<(Box<Prepared>, String), Problem>),
    /// The customizations as saved in the editor.
    Edited(Result<Vec<Customization>, Problem>),
    /// A step of the apply or the gate moved.
    Progress(ProgressEvent),
    /// AWS and Prefect accepted everything (and when the deploy started), or the failure
    /// with what exists; the deploy then waits for the workers.
    Applied(Result<(Box<Prepared>, Option<std::time::SystemTime>), (Problem, String)>),
    /// The workers online, or the gate's diagnosis.
    Online(Result<Vec<String>, Problem>),
    /// A line of verify's progress.
    Verifying(String),
    /// How verify ended: completed (its summary), or why not and what to do.
    Verified(Result<String, Problem>),
}

/// Why the Prefect check did not pass.
#[derive(Debug, Clone)]
pub struct PrefectFailure {
    pub problem: Problem,
    /// Nothing answered at that address (rather than an answer that refused): a server
    /// reachable only from inside the VPC looks like this from here.
    pub unreachable: bool,
}

impl From<PrefectError> for PrefectFailure {
    fn from(e: PrefectError) -> Self {
        Self {
            unreachable: matches!(e, PrefectError::Unreachable { .. }),
            problem: Problem::from(crate::error::CommandError::from(e)),
        }
    }
}
