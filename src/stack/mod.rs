//! The pure heart of the engine: what the user wants (`StackSpec`, from a profile), and the
//! exact documents AWS will receive (`render`), with the profile's JSON Patch
//! customizations applied. No I/O, no AWS SDK types, no terminal types: everything here is
//! tested with tables of input and expected output.

pub mod alerting;
mod alerting_check;
mod alerting_plan;
pub mod cost;
mod customize;
pub mod desired;
pub mod diagnosis;
pub mod drift;
pub mod egress;
pub mod fargate;
pub mod image;
pub mod names;
pub mod network;
pub mod observed;
pub mod observer;
mod observer_plan;
pub mod plan;
pub mod policies;
pub mod pool;
pub mod prefect_url;
mod redact;
pub mod regions;
mod render;
mod spec;

pub use alerting_check::check_email;
pub use alerting_plan::differing as alerting_differing;
pub use customize::CustomizationError;
pub use names::StackNames;
pub use prefect_url::PrefectApi;
pub use redact::{REDACTED, redact};
pub use render::{
    RenderContext, RenderError, RenderedStack, assign_public_ip, health_command, render,
    render_customized, worker_command,
};
pub use spec::{
    ClusterChoice, LOG_RETENTION_DAYS, MAX_WORK_POOL_NAME, OwnedNetwork, PatchStep, SpecProblem,
    StackSpec, check_stack_name, check_work_pool, endpoints_image_problem, is_aws_id,
    is_regional_ecr,
};

#[cfg(test)]
mod tests;
