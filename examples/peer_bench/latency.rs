//! What a call costs on AWS, on top of what the emulator takes: the benchmark's latency
//! model. Against the emulator a call takes a few milliseconds, so a tool's time there is
//! mostly its own start-up; a user's wait on AWS is mostly the calls in sequence. The relay
//! holds back each answer's first byte by the figure below, for both sides of a comparison
//! alike.
//!
//! The figures are assumptions, not measurements: the machine that ran the benchmark has
//! no AWS account and no route to AWS. Each is a round trip from a user's machine to the
//! region (`ROUND_TRIP`) plus the service's own time for a read (Describe, Get, List) or a
//! write (everything else), of the order of magnitude these calls usually take; they are
//! the same for both sides, so a comparison depends on them less than its absolute times
//! do. What is documented and used: IAM is a global
//! service whose one endpoint is in us-east-1 (the IAM documentation's endpoint table), so
//! from another region its calls pay a longer round trip (`IAM_EXTRA_ROUND_TRIP`); IAM
//! writes are eventually consistent and propagate for seconds, which the emulator does not
//! do and this model does not add (prefect-tui retries while a new role propagates; the
//! AWS CLI script does not).
//!
//! `BENCH_LATENCY=off` runs without the model (the emulator's own times, as the first
//! benchmark runs did); `BENCH_LATENCY_SCALE=2` doubles every figure.

use std::time::Duration;

/// The user's machine to the region's endpoint and back (an assumption: a user in the
/// region's continent).
pub const ROUND_TRIP: Duration = Duration::from_millis(30);

/// From a region other than us-east-1 to IAM's endpoint there (an assumption: Europe to
/// the US east coast).
pub const IAM_EXTRA_ROUND_TRIP: Duration = Duration::from_millis(80);

/// A service's own time for one call, in milliseconds: (service, read, write). The
/// service is the signing name of the request (the relay reads it from the signature).
/// `prefect` is the Prefect API (Prefect Cloud or a self-hosted server), reached through
/// its own relay: reads are GET and `/filter` POSTs, writes the rest.
const SERVICE_MS: &[(&str, u64, u64)] = &[
    ("sts", 20, 20),
    ("ec2", 120, 250),
    ("iam", 60, 200),
    ("secretsmanager", 40, 120),
    ("logs", 40, 80),
    ("ecs", 60, 250),
    ("sqs", 20, 60),
    ("events", 40, 120),
    ("monitoring", 40, 80),
    ("prefect", 40, 80),
];

/// Operations slower than their service's writes (assumptions): making a service and
/// registering a task definition validate roles, images and the network before they
/// answer; making a cluster provisions its capacity providers.
const OPERATION_MS: &[(&str, u64)] = &[
    ("ecs:CreateService", 600),
    ("ecs:UpdateService", 400),
    ("ecs:RegisterTaskDefinition", 300),
    ("ecs:CreateCluster", 400),
    ("ecs:DeleteService", 300),
    ("iam:CreateRole", 300),
    ("iam:DeleteRole", 300),
    ("sqs:CreateQueue", 120),
];

#[derive(Clone, Copy, Debug)]
pub struct LatencyModel {
    /// Every figure multiplied by this; 0 turns the model off.
    pub scale: f64,
    /// Whether the region is us-east-1 (IAM's own region).
    pub iam_local: bool,
}

impl LatencyModel {
    pub fn from_env(region: &str) -> Self {
        let off = std::env::var("BENCH_LATENCY").is_ok_and(|v| v == "off");
        let scale = std::env::var("BENCH_LATENCY_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(1.0);
        Self {
            scale: if off { 0.0 } else { scale },
            iam_local: region == "us-east-1",
        }
    }

    pub fn is_on(&self) -> bool {
        self.scale > 0.0
    }

    /// The delay added to one call, `service:Operation` as the relay names it.
    pub fn delay(&self, op: &str) -> Duration {
        if !self.is_on() {
            return Duration::ZERO;
        }
        let (service, name) = op.split_once(':').unwrap_or((op, ""));
        let own = OPERATION_MS
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, ms)| *ms)
            .or_else(|| {
                SERVICE_MS
                    .iter()
                    .find(|(s, _, _)| *s == service)
                    .map(
                        |(_, read, write)| {
                            if is_read(name) { *read } else { *write }
                        },
                    )
            })
            .unwrap_or(100);
        let mut total = ROUND_TRIP + Duration::from_millis(own);
        if service == "iam" && !self.iam_local {
            total += IAM_EXTRA_ROUND_TRIP;
        }
        total.mul_f64(self.scale)
    }

    /// The model in words, for the benchmark's header.
    pub fn describe(&self) -> String {
        if !self.is_on() {
            return "latency model off: the emulator's own times".to_owned();
        }
        let services: Vec<String> = SERVICE_MS
            .iter()
            .map(|(s, r, w)| format!("{s} {r}/{w}"))
            .collect();
        let ops: Vec<String> = OPERATION_MS
            .iter()
            .map(|(o, ms)| format!("{o} {ms}"))
            .collect();
        format!(
            "latency model (assumed, x{}): each call {} ms round trip plus the service's time, \
             read/write in ms: {}; slower operations: {}; IAM from outside us-east-1 +{} ms",
            self.scale,
            ROUND_TRIP.as_millis(),
            services.join(", "),
            ops.join(", "),
            IAM_EXTRA_ROUND_TRIP.as_millis()
        )
    }
}

/// Describe, Get, List, Filter (AWS) and GET, `/filter`, `/count` (Prefect) read; the
/// rest write.
pub fn is_read(name: &str) -> bool {
    if let Some(path) = name.strip_prefix("POST ") {
        return path.ends_with("/filter") || path.ends_with("/count");
    }
    name.starts_with("GET ")
        || ["Describe", "Get", "List", "Filter"]
            .iter()
            .any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_cost_what_the_table_says() {
        let model = LatencyModel {
            scale: 1.0,
            iam_local: false,
        };
        assert_eq!(
            model.delay("ecs:DescribeServices"),
            Duration::from_millis(90)
        );
        assert_eq!(model.delay("ecs:CreateService"), Duration::from_millis(630));
        assert_eq!(model.delay("iam:GetRole"), Duration::from_millis(170));
        assert_eq!(
            model.delay("prefect:POST work_pools/filter"),
            Duration::from_millis(70)
        );
        assert_eq!(
            model.delay("prefect:PATCH work_pools"),
            Duration::from_millis(110)
        );
        let off = LatencyModel {
            scale: 0.0,
            iam_local: false,
        };
        assert_eq!(off.delay("iam:CreateRole"), Duration::ZERO);
    }
}
