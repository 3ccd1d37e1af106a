//! The checks of [notifications], [alarms], [scaling] and [flow_runs]: each problem names
//! the profile field at fault and says what to write instead.

use super::alerting::{AlarmSettings, Monitoring, Notifications, Scaling, ScalingTarget};
use crate::profile::{Profile, ScaleOn};

const MAX_EMAILS: usize = 10;
const MAX_WORKERS: u32 = 100;

/// Checks [notifications], [alarms], [scaling] and [flow_runs], naming the field at fault.
pub(super) fn check(profile: &Profile, problem: &mut impl FnMut(&str, String)) -> Monitoring {
    let notifications = profile.notifications.as_ref().map(|n| {
        if n.emails.len() > MAX_EMAILS {
            problem(
                "notifications.emails",
                format!(
                    "{} addresses; at most {MAX_EMAILS} (a mailing list is one address)",
                    n.emails.len()
                ),
            );
        }
        for (i, email) in n.emails.iter().enumerate() {
            if let Err(m) = check_email(email) {
                problem(&format!("notifications.emails[{i}]"), m);
            } else if n.emails[..i].iter().any(|e| e.eq_ignore_ascii_case(email)) {
                problem(
                    &format!("notifications.emails[{i}]"),
                    format!("{email} is listed twice"),
                );
            }
        }
        Notifications {
            emails: n.emails.clone(),
        }
    });
    let alarms = profile.alarms.as_ref().map(|a| {
        if notifications.is_none() {
            problem(
                "alarms",
                "alarms need somewhere to go: add a [notifications] section (with emails = \
                 [\"you@example.com\"]) so the stack has a topic, or remove [alarms]"
                    .to_owned(),
            );
        }
        if !(1..=60).contains(&a.minutes) {
            problem(
                "alarms.minutes",
                format!(
                    "{} minutes; use 1 to 60 (how long a shortfall lasts before someone is told)",
                    a.minutes
                ),
            );
        }
        AlarmSettings { minutes: a.minutes }
    });
    let scaling = profile.scaling.as_ref().map(|s| {
        if s.min == 0 {
            problem(
                "scaling.min",
                "min = 0 would let the service stop its last worker, and then nothing submits \
                 the backlog that should bring one back; use 1 or more"
                    .to_owned(),
            );
        }
        if s.min > s.max {
            problem(
                "scaling.min",
                format!(
                    "min {} is above max {}: set min at or below max",
                    s.min, s.max
                ),
            );
        }
        if s.max > MAX_WORKERS {
            problem(
                "scaling.max",
                format!(
                    "{} workers is more than this tool will run ({MAX_WORKERS} at most)",
                    s.max
                ),
            );
        }
        let count = profile.worker.desired_count;
        if s.min <= s.max && !(s.min..=s.max).contains(&count) {
            problem(
                "worker.desired_count",
                format!(
                    "{count} is outside [scaling] min {}..max {}: the service starts with \
                     desired_count workers, so set it between them",
                    s.min, s.max
                ),
            );
        }
        let target = match s.on {
            ScaleOn::Backlog => {
                if !(1..=1000).contains(&s.backlog_per_worker) {
                    problem(
                        "scaling.backlog_per_worker",
                        format!(
                            "{}; use 1 to 1000 due flow runs per worker",
                            s.backlog_per_worker
                        ),
                    );
                }
                ScalingTarget::BacklogPerWorker(s.backlog_per_worker)
            }
            ScaleOn::Cpu => {
                if !(10..=90).contains(&s.cpu_percent) {
                    problem(
                        "scaling.cpu_percent",
                        format!("{}%; use 10 to 90", s.cpu_percent),
                    );
                }
                ScalingTarget::CpuPercent(s.cpu_percent)
            }
        };
        Scaling {
            min: s.min,
            max: s.max,
            target,
        }
    });
    Monitoring {
        notifications,
        alarms,
        scaling,
        spot_flow_runs: profile.flow_runs.spot,
    }
}

/// An address SNS will send to: one `@`, a local part, a domain with a dot, no spaces.
pub fn check_email(email: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("'{email}' is not an e-mail address: {why}"));
    if email.len() > 254 {
        return bad("longer than 254 characters");
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c == ',' || c == ';')
    {
        return bad("it has a space or a separator; list each address apart");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad("no @");
    };
    if local.is_empty() || domain.contains('@') {
        return bad("it needs exactly one name before one @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| {
            l.is_empty()
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return bad("the part after @ is not a domain like example.com");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_plainly() {
        for good in [
            "a@example.com",
            "on-call+prefect@data.example.co.uk",
            "x@a-b.io",
        ] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        for (bad, says) in [
            ("nobody", "no @"),
            ("@example.com", "exactly one name"),
            ("a@b@example.com", "exactly one name"),
            ("a@localhost", "domain"),
            ("a@exa mple.com", "space"),
            ("a@example.com,b@example.com", "separator"),
            ("a@-example.com", "domain"),
            ("a@example..com", "domain"),
        ] {
            let why = check_email(bad).err().unwrap_or_default();
            assert!(why.contains(says), "{bad}: {why}");
        }
    }
}
