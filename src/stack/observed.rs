//! `Observed`: what exists in AWS for one stack, read back by name and tag. Plain data: the
//! `aws` layer fills it, `plan()` compares it with the spec. A resource that has the
//! stack's name but not its tag is marked `owned: false` and never touched.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub account_id: String,
    /// `aws`, `aws-cn` or `aws-us-gov`: ARNs are built with it.
    pub partition: String,
    pub secret: Option<ObservedSecret>,
    pub execution_role: Option<ObservedRole>,
    pub task_role: Option<ObservedRole>,
    pub log_group: Option<ObservedLogGroup>,
    pub cluster: Option<ObservedCluster>,
    pub security_group: Option<ObservedSecurityGroup>,
    pub task_definition: Option<ObservedTaskDefinition>,
    pub service: Option<ObservedService>,
    /// The event observer's queue, its dead-letter queue and the rule that feeds it.
    pub events_queue: Option<ObservedQueue>,
    pub events_dead_letter_queue: Option<ObservedQueue>,
    pub events_rule: Option<ObservedRule>,
    /// The Prefect work pool; `None` when it could not be read (see `work_pool_note`).
    pub work_pool: Option<ObservedPool>,
    /// Why the pool was not read (the Prefect API is not reachable from here).
    pub work_pool_note: Option<String>,
    /// The stack's own network; `None` when the profile brings its VPC.
    pub network: Option<super::network::ObservedNetwork>,
    /// The topic, its subscriptions, the alarms, the crash rule, the log filter, scaling.
    pub alerting: ObservedAlerting,
}

/// What of the stack's alerting and scaling exists. Always read, whatever the profile
/// says, so turning a feature off plans its removal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedAlerting {
    pub topic: Option<ObservedTopic>,
    /// E-mail subscriptions of the topic: the address, and whether it was confirmed.
    pub emails: BTreeMap<String, ObservedSubscription>,
    /// Alarms under the stack's name prefix, each as the fields PutMetricAlarm takes.
    pub alarms: BTreeMap<String, Value>,
    pub crash_rule: Option<ObservedRule>,
    /// The crash rule's target: its ARN and input transformer (paths, template).
    pub crash_target: Option<(String, Option<(Value, String)>)>,
    pub log_filter: Option<ObservedLogFilter>,
    /// The service's scalable target: min and max.
    pub scalable_target: Option<(i32, i32)>,
    pub scaling_policy: Option<ObservedScalingPolicy>,
}

impl ObservedAlerting {
    pub fn is_empty(&self) -> bool {
        self.topic.is_none()
            && self.alarms.is_empty()
            && self.crash_rule.is_none()
            && self.log_filter.is_none()
            && self.scalable_target.is_none()
            && self.scaling_policy.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTopic {
    pub arn: String,
    pub owned: bool,
    pub policy: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSubscription {
    /// `None` while the recipient has not confirmed (SNS says "PendingConfirmation").
    pub arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLogFilter {
    pub pattern: String,
    /// The first metric transformation, with CloudWatch Logs' field names.
    pub transformation: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedScalingPolicy {
    pub name: String,
    pub policy_type: String,
    /// The TargetTrackingScalingPolicyConfiguration, with AWS's field names.
    pub configuration: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObservedPool {
    Missing,
    /// The pool exists, with this base job template.
    Present {
        pool_type: String,
        template: Value,
    },
}

/// Whether the key the user supplied is the one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyComparison {
    /// No key was supplied this time: keep what is stored.
    #[default]
    NotSupplied,
    Same,
    Different,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedSecret {
    pub arn: String,
    pub owned: bool,
    /// Deleted with a recovery window and not yet gone: it can be restored.
    pub pending_deletion: bool,
    pub key: KeyComparison,
    /// When its value last changed (Unix seconds), as Secrets Manager says.
    pub changed_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    pub arn: String,
    pub owned: bool,
    pub trust: Value,
    pub managed_policy_arns: Vec<String>,
    /// Inline policy name to its document.
    pub inline: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLogGroup {
    pub arn: String,
    pub owned: bool,
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedCluster {
    pub arn: String,
    pub owned: bool,
    /// `ACTIVE`, or `INACTIVE` for a deleted cluster AWS still lists.
    pub active: bool,
    /// Its `containerInsights` setting is `enabled` (or `enhanced`).
    pub insights: bool,
    pub capacity_providers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedSecurityGroup {
    pub id: String,
    pub vpc_id: String,
    pub owned: bool,
    /// Its egress rules, one destination each.
    pub egress: Vec<super::egress::EgressRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTaskDefinition {
    /// The latest ACTIVE revision.
    pub arn: String,
    pub owned: bool,
    /// The `prefect-tui:spec-hash` tag: the hash of the document that registered it.
    pub spec_hash: Option<String>,
    /// The fields prefect-tui renders, in the rendered document's shape, for showing what
    /// changed.
    pub summary: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedService {
    pub arn: String,
    pub owned: bool,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    pub spec_hash: Option<String>,
    pub task_definition_arn: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub summary: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedQueue {
    pub url: String,
    pub arn: String,
    pub owned: bool,
    /// SQS's attribute names to their values, as returned.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRule {
    pub arn: String,
    pub owned: bool,
    pub pattern: Option<Value>,
    pub enabled: bool,
    /// Target id to target ARN.
    pub targets: BTreeMap<String, String>,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.secret.is_none()
            && self.execution_role.is_none()
            && self.task_role.is_none()
            && self.log_group.is_none()
            && self.cluster.is_none()
            && self.security_group.is_none()
            && self.task_definition.is_none()
            && self.service.is_none()
            && self.events_queue.is_none()
            && self.events_dead_letter_queue.is_none()
            && self.events_rule.is_none()
            && self.alerting.is_empty()
    }
}
