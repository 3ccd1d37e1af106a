//! The cost estimate for people: what the stack adds a month, line by line, and what one
//! flow-run hour costs, with the prices' date.

use std::fmt::Write as _;

use crate::stack::cost::{CostEstimate, FLOW_RUN_CPU, FLOW_RUN_MEMORY, PRICES_AS_OF};

fn dollars(low: f64, high: f64) -> String {
    if (high - low).abs() < 0.005 {
        format!("${low:.2}")
    } else {
        format!("${low:.2} to ${high:.2}")
    }
}

pub fn render_cost(e: &CostEstimate, region: &str) -> String {
    // Short lines: the wizard's review shows them in a pane that does not break words.
    let mut out = format!(
        "Cost: about {} a month for what the stack adds in {region}\n  ({PRICES_AS_OF}{}; \
         before traffic and free tiers):\n",
        dollars(e.low, e.high),
        if e.region_guessed {
            ";\n  this region is not in the table, so us-east-1's prices are used"
        } else {
            ""
        }
    );
    for line in &e.lines {
        let _ = writeln!(out, "  {:>18}  {}", dollars(line.low, line.high), line.what);
    }
    let spot = if e.flow_run_hour < e.flow_run_hour_on_demand {
        format!(
            " on Fargate Spot\n  (${:.4} on demand; AWS may stop a Spot task with two minutes' notice)",
            e.flow_run_hour_on_demand
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  One flow-run hour at the pool's default size ({} vCPU, {} GB): ${:.4}{spot}.",
        f64::from(FLOW_RUN_CPU) / 1024.0,
        f64::from(FLOW_RUN_MEMORY) / 1024.0,
        e.flow_run_hour
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::cost::{CostInputs, estimate_with, prices_for};

    #[test]
    fn the_estimate_names_its_prices_and_the_spot_trade_off() {
        let (prices, _) = prices_for("us-east-1");
        let inputs = CostInputs {
            cpu: 512,
            memory: 1024,
            workers_min: 1,
            workers_max: 3,
            secret: true,
            alarm_metrics: 4,
            custom_metrics: 4,
            sidecar: true,
            container_insights: true,
            log_retention_days: 30,
            public_ip: false,
            spot_flow_runs: true,
        };
        let text = render_cost(&estimate_with(&prices, &inputs), "us-east-1");
        assert!(text.contains(PRICES_AS_OF), "{text}");
        assert!(text.contains(" to $"), "a range with scaling: {text}");
        assert!(text.contains("Fargate Spot"), "{text}");
        assert!(text.contains("two minutes' notice"), "{text}");
    }
}
