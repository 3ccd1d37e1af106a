//! The Prefect REST API, Cloud and self-hosted, over rustls: checking a key, listing the
//! workspaces it reaches, the work pool and its base job template, and the pool's workers.
//!
//! Errors say which of the three things went wrong (the key was refused, the workspace is
//! not there, the API cannot be reached), because each has a different fix. Nothing here
//! logs or formats a credential.

mod client;
pub mod cloud;
mod pools;
mod workers;

pub use client::{PrefectAuth, PrefectClient, PrefectError};
pub use cloud::Workspace;
pub use pools::WorkPool;
pub use workers::{FlowRun, Worker, WorkerStatus, timestamp_secs};
