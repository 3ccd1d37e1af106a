//! Counts the AWS API operations a run makes, by `service:Operation`.
//!
//! It exists so that tests and benchmarks can check claims like "discovery makes the same
//! number of calls for 2 VPCs as for 200", and so `-v` can report the calls a command made.
//! One operation counts once however many attempts its retries take. The hook is
//! `read_before_serialization`: client-level `read_before_execution` runs before the
//! operation metadata is in the config bag.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    /// Attempts that failed in a way the SDK retries (no answer, or a 5xx or 429), and
    /// the last one in words.
    failed_attempts: Arc<Mutex<(u64, Option<String>)>>,
}

impl CallCounter {
    /// Operation name (`ec2:DescribeVpcs`) to the number of times it was called.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        match self.counts.lock() {
            Ok(counts) => counts.clone(),
            // A poisoned lock only means another thread panicked mid-increment; the map
            // itself is still a valid count.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// The calls that change something (anything not a Describe, Get or List), for
    /// checking that a no-change deploy writes nothing.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.snapshot()
            .into_iter()
            .filter(|(op, _)| {
                let name = op.split(':').nth(1).unwrap_or_default();
                !["Describe", "Get", "List"]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect()
    }

    /// How many attempts failed with no answer or a 5xx/429 (each retried by the SDK
    /// unless its retries ran out), and the last one in words.
    pub fn failed_attempts(&self) -> (u64, Option<String>) {
        match self.failed_attempts.lock() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn record(&self, key: String) {
        let mut counts = match self.counts.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        };
        *counts.entry(key).or_default() += 1;
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "prefect-tui-call-counter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = match cfg.load::<Metadata>() {
            Some(meta) => format!("{}:{}", meta.service().to_ascii_lowercase(), meta.name()),
            None => "unknown:unknown".to_owned(),
        };
        self.record(key);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let what = match context.response().map(|r| r.status().as_u16()) {
            None => "no answer",
            Some(code) if code >= 500 || code == 429 => "an error answer",
            Some(_) => return Ok(()),
        };
        let operation = match cfg.load::<Metadata>() {
            Some(meta) => format!("{}:{}", meta.service().to_ascii_lowercase(), meta.name()),
            None => "an AWS call".to_owned(),
        };
        let status = context
            .response()
            .map(|r| format!(" (HTTP {})", r.status().as_u16()))
            .unwrap_or_default();
        let mut failed = match self.failed_attempts.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        failed.0 += 1;
        failed.1 = Some(format!("{operation} got {what}{status}"));
        Ok(())
    }
}
