//! How every resource of a stack is named. Names are derived, never stored, so a profile
//! finds its resources from any machine; changing one of these is a breaking change.

pub const STACK_TAG: &str = "prefect-tui:stack";
pub const MANAGED_BY_TAG: &str = "ManagedBy";
pub const MANAGED_BY_VALUE: &str = "prefect-tui";
pub const CONTAINER_NAME: &str = "prefect-worker";
pub const LOG_STREAM_PREFIX: &str = "worker";
/// The port of the worker's health endpoint (`prefect worker start --with-healthcheck`).
pub const HEALTH_PORT: u16 = 8080;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackNames {
    pub stack: String,
}

impl StackNames {
    pub fn new(stack: &str) -> Self {
        Self {
            stack: stack.to_owned(),
        }
    }

    fn prefixed(&self, suffix: &str) -> String {
        format!("prefect-tui-{}-{suffix}", self.stack)
    }

    pub fn cluster(&self) -> String {
        format!("prefect-tui-{}", self.stack)
    }
    pub fn execution_role(&self) -> String {
        self.prefixed("execution")
    }
    pub fn task_role(&self) -> String {
        self.prefixed("worker")
    }
    /// The role flow-run tasks started by the worker assume.
    pub fn flow_run_role(&self) -> String {
        self.prefixed("flow-run")
    }
    pub fn log_group(&self) -> String {
        format!("/ecs/prefect-tui/{}", self.stack)
    }
    pub fn security_group(&self) -> String {
        self.prefixed("worker")
    }
    pub fn task_family(&self) -> String {
        self.prefixed("worker")
    }
    pub fn service(&self) -> String {
        self.prefixed("worker")
    }
    /// The SQS queue the ECS event observer of the worker reads task state changes from.
    pub fn events_queue(&self) -> String {
        self.prefixed("ecs-events")
    }
    /// Where events the observer could not handle end up, for reading later.
    pub fn events_dead_letter_queue(&self) -> String {
        self.prefixed("ecs-events-dlq")
    }
    /// The EventBridge rule that sends the cluster's task state changes to the queue.
    pub fn events_rule(&self) -> String {
        self.prefixed("ecs-task-state")
    }
    /// The flow `verify` runs, the stack's own, so destroy removes it with its deployment.
    pub fn verify_flow(&self) -> String {
        format!("prefect-tui-verify-{}", self.stack)
    }
    /// The deployment of that flow, in the stack's work pool.
    pub fn verify_deployment(&self) -> String {
        "verify".to_owned()
    }
    /// The description both roles carry.
    pub fn role_description(&self) -> String {
        format!("prefect-tui stack {}", self.stack)
    }
    pub fn secret_description(&self) -> String {
        format!(
            "Prefect credential for the prefect-tui stack {}",
            self.stack
        )
    }
    pub fn security_group_description(&self) -> String {
        format!("prefect-tui worker of stack {}: no ingress", self.stack)
    }
    pub fn default_secret(&self) -> String {
        format!("prefect-tui/{}/api-key", self.stack)
    }
}
