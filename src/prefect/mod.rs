//! The Prefect REST API, Cloud and self-hosted, over rustls: checking a key, listing the
//! workspaces it reaches, the work pool and its base job template, the pool's workers, and
//! flows, deployments and flow runs.
//!
//! Errors say which of the three things went wrong (the key was refused, the workspace is
//! not there, the API cannot be reached), because each has a different fix. Nothing here
//! logs or formats a credential.

mod client;
pub mod cloud;
mod pools;
pub mod runs;
mod workers;

pub use client::{PrefectAuth, PrefectClient, PrefectError};
pub use cloud::Workspace;
pub use pools::WorkPool;
pub use runs::FlowRun;
pub use workers::{Worker, WorkerStatus, timestamp_secs};
