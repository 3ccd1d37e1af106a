//! Profiles: everything a user chose, saved as TOML so that `deploy --profile prod` can
//! repeat it with no questions. The keys are a contract (DESIGN.md): keys may be added,
//! none renamed. A profile never holds a secret, only the name of the Secrets Manager
//! secret where the Prefect API key lives.
//!
//! This module reads and writes files and points at mistakes by line and column; what the
//! values mean is checked by `crate::stack::StackSpec`.

mod format;
mod load;
mod store;

pub use format::{
    AlarmsSection, AwsSection, Credential, Customization, FlowRunsSection, NetworkSection,
    NetworkShape, NotificationsSection, PatchTarget, PrefectSection, Profile, PublicIp, ScaleOn,
    ScalingSection, WorkerSection,
};
pub use load::{LocatedProblem, MAX_PROFILE_BYTES, ProfileError, locate_field, parse_profile};
pub use store::{ProfileStore, check_profile_name, load_file, set_worker_fields};
