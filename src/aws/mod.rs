//! Everything that talks to AWS: one shared `SdkConfig` and the clients built from it,
//! account identity, network discovery, and the classification of AWS errors into kinds
//! the rest of the program can act on.
//!
//! Nothing here formats for a terminal or decides exit codes: errors carry what happened
//! (action, kind, AWS code and message) and the edge turns them into sentences.

mod alerting;
mod apply;
mod calls;
mod config;
mod destroy;
mod diagnose;
pub mod discovery;
mod ecs_documents;
mod error;
pub mod flow_run_definitions;
mod identity;
pub mod logs;
mod observer;
pub mod profiles;
pub mod readback;
pub mod revisions;
pub mod runs;
pub mod stack_network;
pub mod status;

pub use apply::{ApplyError, ApplyOutcome};
pub use calls::CallCounter;
pub use config::{AwsContext, AwsSettings};
pub use destroy::{DEFAULT_RECOVERY_DAYS, DestroyOutcome};
pub use error::{AwsError, ErrorKind};
pub use identity::Identity;
