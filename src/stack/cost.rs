//! What the stack costs a month, and what one flow-run hour costs, before anything is
//! made: from a price table shipped here, with its date and source, so `plan` and the
//! wizard's review can say it. Pure arithmetic, tested against prices written by hand.
//!
//! The prices are AWS's public list prices in US dollars, Linux/x86, on demand, as read
//! from aws.amazon.com/fargate/pricing, /secrets-manager/pricing, /cloudwatch/pricing,
//! /sqs/pricing and /vpc/pricing in January 2025 and not re-checked since (this project's
//! build machines have no route to AWS). They change rarely; the estimate says their date.
//! Not counted: data transfer, NAT traffic, the free tiers, taxes, and the stack's own
//! network (its shape has its own cost line).

use super::spec::StackSpec;

/// Where the prices come from, said with every estimate.
pub const PRICES_AS_OF: &str = "AWS list prices of January 2025 (USD, on demand)";

/// Hours in an average month, as AWS's pricing pages count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Fargate's per-hour prices in one region: a vCPU, and a GB of memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FargatePrice {
    pub vcpu_hour: f64,
    pub gb_hour: f64,
}

/// Every price the estimate uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub fargate: FargatePrice,
    /// Fargate Spot as a share of on demand (AWS moves Spot prices with demand).
    pub spot_share: f64,
    pub secret_month: f64,
    /// A standard-resolution alarm, per metric it reads.
    pub alarm_metric_month: f64,
    pub custom_metric_month: f64,
    /// PutMetricData, per 1,000 requests.
    pub metric_requests_thousand: f64,
    pub log_ingest_gb: f64,
    pub log_storage_gb_month: f64,
    /// SQS standard queue, per million requests.
    pub sqs_requests_million: f64,
    pub public_ipv4_hour: f64,
}

/// Fargate by region; other prices are the same everywhere in this table.
const FARGATE: [(&str, FargatePrice); 12] = [
    ("us-east-1", price(0.04048, 0.004445)),
    ("us-east-2", price(0.04048, 0.004445)),
    ("us-west-1", price(0.04656, 0.00511)),
    ("us-west-2", price(0.04048, 0.004445)),
    ("ca-central-1", price(0.04456, 0.004865)),
    ("eu-west-1", price(0.04048, 0.004445)),
    ("eu-west-2", price(0.04656, 0.00511)),
    ("eu-central-1", price(0.04656, 0.00511)),
    ("ap-south-1", price(0.04256, 0.004675)),
    ("ap-southeast-1", price(0.05056, 0.00553)),
    ("ap-southeast-2", price(0.04856, 0.00532)),
    ("ap-northeast-1", price(0.05056, 0.00553)),
];

const fn price(vcpu_hour: f64, gb_hour: f64) -> FargatePrice {
    FargatePrice { vcpu_hour, gb_hour }
}

/// The table's prices for a region, and whether the region is in it (if not, us-east-1's
/// are used and the estimate says so).
pub fn prices_for(region: &str) -> (Prices, bool) {
    let found = FARGATE.iter().find(|(r, _)| *r == region);
    let fargate = found.map_or(FARGATE[0].1, |(_, p)| *p);
    (
        Prices {
            fargate,
            spot_share: 0.30,
            secret_month: 0.40,
            alarm_metric_month: 0.10,
            custom_metric_month: 0.30,
            metric_requests_thousand: 0.01,
            log_ingest_gb: 0.50,
            log_storage_gb_month: 0.03,
            sqs_requests_million: 0.40,
            public_ipv4_hour: 0.005,
        },
        found.is_some(),
    )
}

/// Assumptions the estimate states rather than measures.
/// A worker's log output a month (its poll lines and the flow runs it submits).
pub const WORKER_LOG_GB_MONTH: f64 = 0.05;
/// The observer long-polls its queue: one receive every 20 seconds per worker.
pub const OBSERVER_REQUESTS_MONTH: f64 = HOURS_PER_MONTH * 180.0;
/// Container Insights publishes about this many metrics for one cluster and one service.
pub const CONTAINER_INSIGHTS_METRICS: f64 = 20.0;
/// A flow run's size when the pool's defaults leave it to prefect-aws (1 vCPU, 2 GB).
pub const FLOW_RUN_CPU: u32 = 1024;
pub const FLOW_RUN_MEMORY: u32 = 2048;

/// What is priced, from a spec.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostInputs {
    pub cpu: u32,
    pub memory: u32,
    pub workers_min: u32,
    pub workers_max: u32,
    pub secret: bool,
    /// Alarm metrics: each alarm counts once per metric it reads.
    pub alarm_metrics: u32,
    /// Metrics the stack publishes (the sidecar's, the log filter's).
    pub custom_metrics: u32,
    /// The sidecar's PutMetricData calls, one a minute per worker.
    pub sidecar: bool,
    pub container_insights: bool,
    pub log_retention_days: u32,
    pub public_ip: bool,
    pub spot_flow_runs: bool,
}

impl CostInputs {
    pub fn of(spec: &StackSpec, public_ip: bool) -> Self {
        let m = &spec.monitoring;
        let (workers_min, workers_max) = m
            .scaling
            .map_or((spec.desired_count, spec.desired_count), |s| (s.min, s.max));
        let alarms = m.alarms.is_some();
        Self {
            cpu: spec.cpu,
            memory: spec.memory,
            workers_min,
            workers_max,
            secret: spec.secret_name.is_some(),
            // Workers below desired reads two metrics; no worker online and log errors one.
            alarm_metrics: if alarms { 4 } else { 0 },
            custom_metrics: if m.sidecar() { 3 } else { 0 } + u32::from(alarms),
            sidecar: m.sidecar(),
            container_insights: alarms && matches!(spec.cluster, super::ClusterChoice::Owned(_)),
            log_retention_days: spec.log_retention_days,
            public_ip,
            spot_flow_runs: m.spot_flow_runs,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    pub what: String,
    /// US dollars a month at the fewest workers, and at the most.
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    pub lines: Vec<CostLine>,
    pub low: f64,
    pub high: f64,
    /// One flow-run hour at the pool's default size, where flow runs run.
    pub flow_run_hour: f64,
    pub flow_run_hour_on_demand: f64,
    /// The region is not in the table; us-east-1's prices were used.
    pub region_guessed: bool,
}

pub fn estimate(spec: &StackSpec, public_ip: bool) -> CostEstimate {
    let (prices, known) = prices_for(&spec.region);
    CostEstimate {
        region_guessed: !known,
        ..estimate_with(&prices, &CostInputs::of(spec, public_ip))
    }
}

fn task_hour(p: &FargatePrice, cpu: u32, memory: u32) -> f64 {
    f64::from(cpu) / 1024.0 * p.vcpu_hour + f64::from(memory) / 1024.0 * p.gb_hour
}

pub fn estimate_with(p: &Prices, i: &CostInputs) -> CostEstimate {
    let mut lines = Vec::new();
    let per_worker = |what: String, each: f64, lines: &mut Vec<CostLine>| {
        lines.push(CostLine {
            what,
            low: each * f64::from(i.workers_min),
            high: each * f64::from(i.workers_max),
        })
    };
    let fixed = |what: String, cost: f64, lines: &mut Vec<CostLine>| {
        lines.push(CostLine {
            what,
            low: cost,
            high: cost,
        })
    };
    let workers = if i.workers_min == i.workers_max {
        format!("{}", i.workers_min)
    } else {
        format!("{} to {}", i.workers_min, i.workers_max)
    };
    per_worker(
        format!(
            "{workers} worker(s), {} vCPU and {} GB each, all month",
            f64::from(i.cpu) / 1024.0,
            f64::from(i.memory) / 1024.0
        ),
        task_hour(&p.fargate, i.cpu, i.memory) * HOURS_PER_MONTH,
        &mut lines,
    );
    if i.secret {
        fixed("the API key's secret".into(), p.secret_month, &mut lines);
    }
    let stored_gb = WORKER_LOG_GB_MONTH * (f64::from(i.log_retention_days) / 30.0).max(1.0);
    per_worker(
        format!(
            "worker logs (about {:.2} GB a month each, kept {} days)",
            WORKER_LOG_GB_MONTH, i.log_retention_days
        ),
        WORKER_LOG_GB_MONTH * p.log_ingest_gb + stored_gb * p.log_storage_gb_month,
        &mut lines,
    );
    per_worker(
        "the observer's queue (long polling; before SQS's free tier)".into(),
        OBSERVER_REQUESTS_MONTH / 1e6 * p.sqs_requests_million,
        &mut lines,
    );
    if i.alarm_metrics > 0 {
        fixed(
            format!("alarms ({} alarm metrics)", i.alarm_metrics),
            f64::from(i.alarm_metrics) * p.alarm_metric_month,
            &mut lines,
        );
    }
    if i.custom_metrics > 0 {
        fixed(
            format!("the stack's metrics ({})", i.custom_metrics),
            f64::from(i.custom_metrics) * p.custom_metric_month,
            &mut lines,
        );
    }
    if i.sidecar {
        per_worker(
            "the metrics sidecar's calls (one a minute per worker)".into(),
            HOURS_PER_MONTH * 60.0 / 1000.0 * p.metric_requests_thousand,
            &mut lines,
        );
    }
    if i.container_insights {
        fixed(
            format!(
                "Container Insights (about {CONTAINER_INSIGHTS_METRICS} metrics, for the workers-below-desired alarm)"
            ),
            CONTAINER_INSIGHTS_METRICS * p.custom_metric_month,
            &mut lines,
        );
    }
    if i.public_ip {
        per_worker(
            "a public IPv4 address per worker".into(),
            p.public_ipv4_hour * HOURS_PER_MONTH,
            &mut lines,
        );
    }
    let flow_run_hour_on_demand = task_hour(&p.fargate, FLOW_RUN_CPU, FLOW_RUN_MEMORY);
    CostEstimate {
        low: lines.iter().map(|l| l.low).sum(),
        high: lines.iter().map(|l| l.high).sum(),
        lines,
        flow_run_hour: if i.spot_flow_runs {
            flow_run_hour_on_demand * p.spot_share
        } else {
            flow_run_hour_on_demand
        },
        flow_run_hour_on_demand,
        region_guessed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Round figures, so each expected value below is worked out by hand.
    fn hand_prices() -> Prices {
        Prices {
            fargate: FargatePrice {
                vcpu_hour: 0.04,
                gb_hour: 0.005,
            },
            spot_share: 0.25,
            secret_month: 0.40,
            alarm_metric_month: 0.10,
            custom_metric_month: 0.30,
            metric_requests_thousand: 0.01,
            log_ingest_gb: 0.50,
            log_storage_gb_month: 0.03,
            sqs_requests_million: 0.40,
            public_ipv4_hour: 0.005,
        }
    }

    fn plain() -> CostInputs {
        CostInputs {
            cpu: 512,
            memory: 1024,
            workers_min: 1,
            workers_max: 1,
            secret: true,
            alarm_metrics: 0,
            custom_metrics: 0,
            sidecar: false,
            container_insights: false,
            log_retention_days: 30,
            public_ip: false,
            spot_flow_runs: false,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.005
    }

    #[test]
    fn one_small_worker_with_its_secret_logs_and_queue() {
        let e = estimate_with(&hand_prices(), &plain());
        // worker: (0.5 x 0.04 + 1 x 0.005) x 730 = 18.25
        assert!(close(e.lines[0].low, 18.25), "{:?}", e.lines[0]);
        assert!(close(e.lines[1].low, 0.40));
        // logs: 0.05 GB x 0.50 + 0.05 GB x 0.03 = 0.0265
        assert!((e.lines[2].low - 0.0265).abs() < 1e-9);
        // queue: 131,400 requests x 0.40 / 1e6 = 0.05256
        assert!((e.lines[3].low - 0.05256).abs() < 1e-9);
        assert_eq!(e.lines.len(), 4);
        assert!(close(e.low, 18.25 + 0.40 + 0.0265 + 0.05256));
        assert_eq!(e.low, e.high);
        // a flow-run hour: 1 x 0.04 + 2 x 0.005 = 0.05
        assert!(close(e.flow_run_hour, 0.05));
    }

    #[test]
    fn scaling_gives_a_range_and_spot_cuts_the_flow_run_hour() {
        let inputs = CostInputs {
            workers_min: 1,
            workers_max: 4,
            spot_flow_runs: true,
            ..plain()
        };
        let e = estimate_with(&hand_prices(), &inputs);
        assert!(close(e.lines[0].low, 18.25));
        assert!(close(e.lines[0].high, 73.00));
        assert!(e.lines[0].what.starts_with("1 to 4 worker(s)"));
        assert!(close(e.high - e.low, 3.0 * (18.25 + 0.0265 + 0.05256)));
        assert!(close(e.flow_run_hour, 0.0125));
        assert!(close(e.flow_run_hour_on_demand, 0.05));
    }

    #[test]
    fn alarms_metrics_insights_and_public_addresses_are_priced() {
        let inputs = CostInputs {
            alarm_metrics: 4,
            custom_metrics: 4,
            sidecar: true,
            container_insights: true,
            public_ip: true,
            log_retention_days: 90,
            ..plain()
        };
        let e = estimate_with(&hand_prices(), &inputs);
        let cost = |start: &str| {
            e.lines
                .iter()
                .find(|l| l.what.starts_with(start))
                .map_or(f64::NAN, |l| l.low)
        };
        assert!(close(cost("alarms"), 0.40));
        assert!(close(cost("the stack's metrics"), 1.20));
        // 43,800 calls x 0.01 / 1000 = 0.438
        assert!((cost("the metrics sidecar") - 0.438).abs() < 1e-9);
        assert!(close(cost("Container Insights"), 6.00));
        assert!(close(cost("a public IPv4"), 3.65));
        // logs kept 90 days: 0.05 x 0.50 + 0.15 GB stored x 0.03 = 0.0295
        assert!((cost("worker logs") - 0.0295).abs() < 1e-9);
    }

    #[test]
    fn the_table_knows_the_usual_regions_and_says_when_it_guesses() {
        let (east, known) = prices_for("us-east-1");
        assert!(known);
        assert_eq!(east.fargate.vcpu_hour, 0.04048);
        let (frankfurt, known) = prices_for("eu-central-1");
        assert!(known && frankfurt.fargate.vcpu_hour > east.fargate.vcpu_hour);
        let (_, known) = prices_for("me-central-1");
        assert!(!known);
    }
}
