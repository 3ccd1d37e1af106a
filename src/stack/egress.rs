//! What the worker's security group lets out. AWS gives a new group one egress rule, all
//! traffic to anywhere; a worker needs only TCP 443 (the AWS APIs, the image registry and
//! its S3 layers, Prefect Cloud) and, for a self-hosted Prefect server on another port,
//! that port. The pool's flow runs share the group, so `network.egress_ports` adds the
//! ports a flow needs (a database, say). Security groups never filter the Amazon DNS
//! server, the task metadata and credentials endpoint or the time service, so nothing is
//! needed for those.
//!
//! Rules are compared as EC2 reports them, one destination each: a rule someone added by
//! hand is drift, revoked by the next deploy, and a missing one is authorized.

use url::Url;

use super::StackSpec;

/// EC2's IPv4 "anywhere".
pub const ANYWHERE: &str = "0.0.0.0/0";
pub const HTTPS: u16 = 443;

/// Where a rule lets traffic go.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    Ipv4(String),
    Ipv6(String),
    Group(String),
    PrefixList(String),
}

/// One egress rule with one destination, as DescribeSecurityGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EgressRule {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all traffic.
    pub protocol: String,
    /// The port range; `None` where the protocol has no ports (all traffic).
    pub ports: Option<(i32, i32)>,
    pub to: Destination,
}

impl EgressRule {
    /// TCP to one port, anywhere on IPv4.
    pub fn tcp(port: u16) -> Self {
        Self {
            protocol: "tcp".to_owned(),
            ports: Some((i32::from(port), i32::from(port))),
            to: Destination::Ipv4(ANYWHERE.to_owned()),
        }
    }

    /// For people: `tcp 443 to 0.0.0.0/0`, `all traffic to ::/0`.
    pub fn describe(&self) -> String {
        let what = match (self.protocol.as_str(), self.ports) {
            ("-1", _) => "all traffic".to_owned(),
            (p, Some((from, to))) if from == to => format!("{p} {from}"),
            (p, Some((from, to))) if from == -1 && to == -1 => p.to_owned(),
            (p, Some((from, to))) => format!("{p} {from}-{to}"),
            (p, None) => p.to_owned(),
        };
        let to = match &self.to {
            Destination::Ipv4(c) | Destination::Ipv6(c) => c.as_str(),
            Destination::Group(g) => g.as_str(),
            Destination::PrefixList(p) => p.as_str(),
        };
        format!("{what} to {to}")
    }
}

/// The rules the worker's group should have, each with the description EC2 keeps for it.
pub fn wanted(spec: &StackSpec) -> Vec<(EgressRule, String)> {
    let mut rules = vec![(
        EgressRule::tcp(HTTPS),
        "HTTPS: AWS APIs, the image registry, Prefect Cloud".to_owned(),
    )];
    let mut add = |port: u16, why: String| {
        if !rules.iter().any(|(r, _)| *r == EgressRule::tcp(port)) {
            rules.push((EgressRule::tcp(port), why));
        }
    };
    if let Some(port) = prefect_port(&spec.prefect.api_url()) {
        add(port, "the Prefect server".to_owned());
    }
    for port in &spec.egress_ports {
        add(*port, "network.egress_ports".to_owned());
    }
    rules
}

/// The TCP port a Prefect API URL is reached on: its own, or its scheme's.
pub fn prefect_port(api_url: &str) -> Option<u16> {
    Url::parse(api_url).ok()?.port_or_known_default()
}

/// What to revoke and what to authorize to make `live` the `wanted` rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressChange {
    pub revoke: Vec<EgressRule>,
    pub authorize: Vec<(EgressRule, String)>,
}

impl EgressChange {
    pub fn is_empty(&self) -> bool {
        self.revoke.is_empty() && self.authorize.is_empty()
    }

    /// The plan's field for it: `egress: all traffic to 0.0.0.0/0 -> tcp 443 to 0.0.0.0/0`.
    pub fn describe(&self, wanted: &[(EgressRule, String)]) -> String {
        let list = |rules: Vec<String>| {
            if rules.is_empty() {
                "nothing".to_owned()
            } else {
                rules.join(", ")
            }
        };
        let mut kept: Vec<&EgressRule> = wanted
            .iter()
            .map(|(r, _)| r)
            .filter(|r| !self.authorize.iter().any(|(a, _)| a == *r))
            .collect();
        let mut before = kept.clone();
        before.extend(self.revoke.iter());
        kept.extend(self.authorize.iter().map(|(r, _)| r));
        let words = |mut rules: Vec<&EgressRule>| {
            rules.sort();
            list(rules.into_iter().map(EgressRule::describe).collect())
        };
        let (before, kept) = (words(before), words(kept));
        format!("egress: {before} -> {kept}")
    }
}

pub fn change(wanted: &[(EgressRule, String)], live: &[EgressRule]) -> EgressChange {
    let mut revoke: Vec<EgressRule> = live
        .iter()
        .filter(|l| !wanted.iter().any(|(w, _)| w == *l))
        .cloned()
        .collect();
    revoke.sort();
    revoke.dedup();
    let authorize = wanted
        .iter()
        .filter(|(w, _)| !live.contains(w))
        .cloned()
        .collect();
    EgressChange { revoke, authorize }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_traffic() -> EgressRule {
        EgressRule {
            protocol: "-1".into(),
            ports: None,
            to: Destination::Ipv4(ANYWHERE.into()),
        }
    }

    #[test]
    fn the_prefect_port_is_the_urls_own_or_its_schemes() {
        assert_eq!(prefect_port("http://10.0.0.5:4200/api"), Some(4200));
        assert_eq!(prefect_port("https://prefect.example.com/api"), Some(443));
        assert_eq!(prefect_port("http://prefect.internal/api"), Some(80));
        assert_eq!(prefect_port("not a url"), None);
    }

    #[test]
    fn aws_default_egress_is_revoked_and_https_authorized() {
        let wanted = vec![
            (EgressRule::tcp(443), "https".to_owned()),
            (EgressRule::tcp(4200), "prefect".to_owned()),
        ];
        let change = change(&wanted, &[all_traffic(), EgressRule::tcp(443)]);
        assert_eq!(change.revoke, vec![all_traffic()]);
        assert_eq!(
            change.authorize,
            vec![(EgressRule::tcp(4200), "prefect".to_owned())]
        );
        assert_eq!(
            change.describe(&wanted),
            "egress: all traffic to 0.0.0.0/0, tcp 443 to 0.0.0.0/0 -> tcp 443 to 0.0.0.0/0, \
             tcp 4200 to 0.0.0.0/0"
        );
        assert!(self::change(&wanted, &[EgressRule::tcp(4200), EgressRule::tcp(443)]).is_empty());
    }

    #[test]
    fn rules_read_as_ec2_reports_them() {
        let range = EgressRule {
            protocol: "udp".into(),
            ports: Some((1000, 2000)),
            to: Destination::Group("sg-1".into()),
        };
        assert_eq!(range.describe(), "udp 1000-2000 to sg-1");
        let v6 = EgressRule {
            to: Destination::Ipv6("::/0".into()),
            ..all_traffic()
        };
        assert_eq!(v6.describe(), "all traffic to ::/0");
    }
}
