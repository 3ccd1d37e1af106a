//! The worker step's production answers: who the alarms e-mail, how far the service
//! scales, and the warning when more than one worker would run in one zone. Pure, shared
//! by the full-screen wizard and `init --plain`.

use super::checks::{Problem, WorkerAnswers};
use crate::network::VpcReport;

/// What the worker step's production answers make: who is told, how far it scales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    pub emails: Vec<String>,
    pub scale_max: Option<u32>,
}

/// The addresses one by one, and the scaling bound at or above the worker count.
pub fn check_production(w: &WorkerAnswers, count: u32) -> Result<Production, Problem> {
    let emails: Vec<String> = w
        .emails
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    for email in &emails {
        crate::stack::check_email(email).map_err(|e| {
            Problem::new(
                e,
                "Type addresses like oncall@example.com, separated by commas, or leave the field empty for no alarms.",
            )
        })?;
    }
    let scale_max = match w.scale_max.trim() {
        "" => None,
        typed => {
            let max: u32 = typed.parse().map_err(|_| {
                Problem::new(
                    format!("\"{typed}\" is not a number of workers to scale up to."),
                    "Type a whole number at or above Workers, or leave it empty for a fixed count.",
                )
            })?;
            if max < count || max > 20 {
                return Err(Problem::new(
                    format!("Scale up to {max} is outside {count} (the Workers above) to 20."),
                    "Type a number between Workers and 20, or leave it empty for a fixed count.",
                ));
            }
            (max > count).then_some(max)
        }
    };
    Ok(Production { emails, scale_max })
}

/// The high-availability warning: two or more workers (or scaling up to two) in subnets of
/// one zone stop together when that zone fails. `None` when the zones are enough or one
/// worker is all that runs. A network the stack makes spans two zones.
pub fn one_zone_warning(
    vpc: Option<&VpcReport>,
    chosen: &[String],
    most_workers: u32,
) -> Option<String> {
    if most_workers < 2 {
        return None;
    }
    let vpc = vpc?;
    let mut zones: Vec<&str> = vpc
        .subnets
        .iter()
        .filter(|s| chosen.contains(&s.id))
        .map(|s| s.az.as_str())
        .collect();
    zones.sort_unstable();
    zones.dedup();
    match zones.as_slice() {
        [zone] => Some(format!(
            "Every subnet picked is in {zone}: if that zone fails, all {most_workers} workers \
             stop. Esc, then add a subnet in another zone."
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Egress, SubnetReport};
    use crate::profile::{Credential, ScaleOn};
    use crate::tui::wizard::checks::{Answers, build_profile};

    #[test]
    fn alert_emails_and_scaling_answers_are_checked_and_reach_the_profile() {
        let mut w = WorkerAnswers {
            stack: "data-prod".into(),
            work_pool: "ecs-pool".into(),
            cpu: 512,
            memory: 1024,
            desired_count: "2".into(),
            image: "prefecthq/prefect-aws:latest".into(),
            emails: " oncall@example.com, data@example.org ".into(),
            scale_max: "4".into(),
            spot: true,
        };
        assert_eq!(
            check_production(&w, 2),
            Ok(Production {
                emails: vec!["oncall@example.com".into(), "data@example.org".into()],
                scale_max: Some(4),
            })
        );
        w.scale_max = "2".into();
        assert_eq!(check_production(&w, 2).map(|p| p.scale_max), Ok(None));
        w.scale_max = "1".into();
        let below = check_production(&w, 2).expect_err("below the count");
        assert!(below.message.contains("outside 2"), "{}", below.message);
        w.scale_max = "lots".into();
        assert!(check_production(&w, 2).is_err());
        w.scale_max = "3".into();
        w.emails = "oncall@example".into();
        let bad = check_production(&w, 2).expect_err("not an address");
        assert!(bad.message.contains("oncall@example"), "{}", bad.message);
        assert!(bad.hint.unwrap_or_default().contains("commas"));

        w.emails = "oncall@example.com".into();
        let answers = Answers {
            aws_profile: None,
            region: "us-east-1".into(),
            prefect_url: "https://prefect.example.com/api".into(),
            credential: Credential::ApiKey,
            vpc_id: "vpc-0123456789abcdef0".into(),
            subnet_ids: vec!["subnet-0123456789abcdef0".into()],
            create_network: None,
            worker: w.clone(),
            customizations: Vec::new(),
        };
        let (profile, spec) = build_profile(&answers).expect("a profile");
        assert_eq!(
            profile.notifications.map(|n| n.emails),
            Some(vec!["oncall@example.com".to_owned()])
        );
        assert_eq!(profile.alarms.map(|a| a.minutes), Some(5));
        let scaling = profile.scaling.expect("scaling");
        assert_eq!(
            (scaling.min, scaling.max, scaling.on),
            (2, 3, ScaleOn::Backlog)
        );
        assert!(profile.flow_runs.spot);
        assert!(spec.monitoring.sidecar());

        // Nothing typed: none of it.
        let mut plain = answers.clone();
        plain.worker.emails.clear();
        plain.worker.scale_max.clear();
        plain.worker.spot = false;
        let (profile, spec) = build_profile(&plain).expect("a profile");
        assert!(profile.notifications.is_none() && profile.alarms.is_none());
        assert!(profile.scaling.is_none() && !profile.flow_runs.spot);
        assert!(!spec.monitoring.sidecar());
    }

    #[test]
    fn two_workers_in_one_zone_are_warned_about() {
        let subnet = |id: &str, az: &str| SubnetReport {
            id: id.into(),
            name: None,
            az: az.into(),
            cidr: "10.0.0.0/24".into(),
            available_ips: 250,
            egress: Egress::Public,
            reason: String::new(),
        };
        let vpc = VpcReport {
            id: "vpc-1".into(),
            name: None,
            cidr: "10.0.0.0/16".into(),
            is_default: false,
            recommended_subnets: Vec::new(),
            subnets: vec![
                subnet("subnet-a", "eu-west-1a"),
                subnet("subnet-b", "eu-west-1b"),
            ],
        };
        let one = vec!["subnet-a".to_owned()];
        let both = vec!["subnet-a".to_owned(), "subnet-b".to_owned()];
        let warned = one_zone_warning(Some(&vpc), &one, 2).expect("warned");
        assert!(warned.contains("eu-west-1a"), "{warned}");
        assert!(warned.contains("another zone"), "{warned}");
        assert_eq!(one_zone_warning(Some(&vpc), &one, 1), None);
        assert_eq!(one_zone_warning(Some(&vpc), &both, 3), None);
    }
}
