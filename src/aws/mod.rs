//! Everything that talks to AWS: one shared `SdkConfig` and the clients built from it,
//! account identity, network discovery, and the classification of AWS errors into kinds
//! the rest of the program can act on.
//!
//! Nothing here formats for a terminal or decides exit codes: errors carry what happened
//! (action, kind, AWS code and message) and the edge turns them into sentences.

mod calls;
mod config;
pub mod discovery;
mod error;
mod identity;
pub mod profiles;
pub mod regions;

pub use calls::CallCounter;
pub use config::{AwsContext, AwsSettings};
pub use error::{AwsError, ErrorKind};
pub use identity::Identity;
