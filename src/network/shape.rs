//! A network the stack makes for itself: its address range, its subnets in two zones, what
//! it costs a month and the egress verdict it promises. Pure; `crate::aws::stack_network`
//! makes and removes it.

use crate::profile::NetworkShape;

use super::Egress;

/// An IPv4 range, `10.100.0.0/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    base: u32,
    prefix: u8,
}

/// The smallest and largest VPC the stack makes: AWS allows /16 to /28, and four subnets
/// of a /24 (a /26 each) still leave room for a few dozen tasks.
const WIDEST: u8 = 16;
const NARROWEST: u8 = 24;

impl Cidr {
    /// Any IPv4 CIDR (`172.31.0.0/16`); `None` for anything else (IPv6, garbage).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = text.trim().split_once('/')?;
        let addr: std::net::Ipv4Addr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        Some(Cidr {
            base: u32::from(addr) & mask(prefix),
            prefix,
        })
    }

    /// A range for a VPC the stack makes, with the reason when it cannot be one.
    pub fn parse_for_network(text: &str) -> Result<Cidr, String> {
        let Some(cidr) = Cidr::parse(text) else {
            return Err(format!(
                "'{text}' is not an IPv4 range; write it like \"10.100.0.0/16\""
            ));
        };
        if !(WIDEST..=NARROWEST).contains(&cidr.prefix) {
            return Err(format!(
                "'{text}' is a /{}: the stack's network is a /{WIDEST} to a /{NARROWEST}",
                cidr.prefix
            ));
        }
        if cidr.to_string() != text.trim() {
            return Err(format!(
                "'{text}' is not the start of its range; did you mean \"{cidr}\"?"
            ));
        }
        let private = [
            Cidr::parse("10.0.0.0/8"),
            Cidr::parse("172.16.0.0/12"),
            Cidr::parse("192.168.0.0/16"),
        ];
        if !private.iter().flatten().any(|p| p.contains(&cidr)) {
            return Err(format!(
                "'{text}' is not a private range; use one inside 10.0.0.0/8, 172.16.0.0/12 or \
                 192.168.0.0/16"
            ));
        }
        Ok(cidr)
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    fn last(&self) -> u32 {
        self.base | !mask(self.prefix)
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.base <= other.last() && other.base <= self.last()
    }

    fn contains(&self, other: &Cidr) -> bool {
        self.base <= other.base && other.last() <= self.last()
    }

    /// The `index`th of the four equal quarters of this range.
    fn quarter(&self, index: u32) -> Cidr {
        let prefix = self.prefix + 2;
        Cidr {
            base: self.base + (index << (32 - u32::from(prefix))),
            prefix,
        }
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", std::net::Ipv4Addr::from(self.base), self.prefix)
    }
}

/// The first /16 of `10.100.0.0` .. `10.254.0.0` that overlaps none of `taken` (the
/// account's VPCs in the region), so the stack's network can later be peered with them.
pub fn choose_cidr(taken: &[Cidr]) -> Option<Cidr> {
    (100..=254u32)
        .map(|second| Cidr {
            base: (10 << 24) | (second << 16),
            prefix: 16,
        })
        .find(|c| !taken.iter().any(|t| t.overlaps(c)))
}

/// One subnet of the stack's network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSubnet {
    /// `public-a`, `private-b`: the end of its `Name` tag.
    pub role: String,
    pub cidr: Cidr,
    /// 0 or 1: the first or second availability zone.
    pub zone: usize,
    pub public: bool,
}

/// What a shape consists of, for a given range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub shape: NetworkShape,
    pub cidr: Cidr,
    pub subnets: Vec<PlannedSubnet>,
}

/// Interface endpoints the endpoints shape makes (the S3 gateway endpoint besides): every
/// one a worker needs, and CloudWatch's (`monitoring`) for the metrics sidecar that alarms
/// and backlog scaling add, so turning those on later needs no change of network.
pub const INTERFACE_ENDPOINTS: [&str; 8] = [
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ecs",
    "ec2",
    "sqs",
    "monitoring",
];

impl Layout {
    /// The range is split in four: two public quarters, then two private ones; a shape
    /// makes the quarters it uses.
    pub fn new(shape: NetworkShape, cidr: Cidr) -> Layout {
        let (public, private) = match shape {
            NetworkShape::Public => (true, false),
            NetworkShape::Nat => (true, true),
            NetworkShape::Endpoints => (false, true),
        };
        let mut subnets = Vec::new();
        for (used, kind, first) in [(public, "public", 0), (private, "private", 2)] {
            if !used {
                continue;
            }
            for zone in 0..2usize {
                subnets.push(PlannedSubnet {
                    role: format!("{kind}-{}", ['a', 'b'][zone]),
                    cidr: cidr.quarter(first + zone as u32),
                    zone,
                    public: kind == "public",
                });
            }
        }
        Layout {
            shape,
            cidr,
            subnets,
        }
    }

    /// The subnets the workers run in: the public ones in a public network, else the private.
    pub fn worker_subnets(&self) -> impl Iterator<Item = &PlannedSubnet> {
        let public = self.shape == NetworkShape::Public;
        self.subnets.iter().filter(move |s| s.public == public)
    }
}

pub fn shape_name(shape: NetworkShape) -> &'static str {
    match shape {
        NetworkShape::Public => "public",
        NetworkShape::Nat => "nat",
        NetworkShape::Endpoints => "endpoints",
    }
}

pub fn shape_from_name(name: &str) -> Option<NetworkShape> {
    [
        NetworkShape::Public,
        NetworkShape::Nat,
        NetworkShape::Endpoints,
    ]
    .into_iter()
    .find(|s| shape_name(*s) == name)
}

/// What discovery will say of the workers' subnets once the shape is made.
pub fn promised_egress(shape: NetworkShape) -> Egress {
    match shape {
        NetworkShape::Public => Egress::Public,
        NetworkShape::Nat => Egress::Nat,
        NetworkShape::Endpoints => Egress::Endpoints,
    }
}

/// Hours in an average month, as AWS's pricing pages count them.
const HOURS_PER_MONTH: f64 = 730.0;
/// us-east-1 list prices, USD (2026).
const PUBLIC_IPV4_HOUR: f64 = 0.005;
const NAT_GATEWAY_HOUR: f64 = 0.045;
const NAT_GATEWAY_GB: f64 = 0.045;
const INTERFACE_ENDPOINT_HOUR: f64 = 0.01;
const INTERFACE_ENDPOINT_GB: f64 = 0.01;

/// A shape's monthly cost before traffic, for `workers` tasks, in US dollars.
pub fn monthly_cost(shape: NetworkShape, workers: u32) -> f64 {
    let hourly = match shape {
        NetworkShape::Public => PUBLIC_IPV4_HOUR * f64::from(workers),
        NetworkShape::Nat => NAT_GATEWAY_HOUR + PUBLIC_IPV4_HOUR,
        NetworkShape::Endpoints => INTERFACE_ENDPOINT_HOUR * (INTERFACE_ENDPOINTS.len() * 2) as f64,
    };
    hourly * HOURS_PER_MONTH
}

/// One line a person reads before choosing: the cost, and what it buys.
pub fn cost_line(shape: NetworkShape, workers: u32) -> String {
    let cost = monthly_cost(shape, workers);
    match shape {
        NetworkShape::Public => format!(
            "about ${cost:.2}/month: a public IPv4 address per worker ({workers}), no NAT; \
             nothing can connect in (no inbound rule)"
        ),
        NetworkShape::Nat => format!(
            "about ${cost:.2}/month: one NAT gateway and its address, plus ${NAT_GATEWAY_GB}/GB \
             through it (image pulls included); workers have no public IP"
        ),
        NetworkShape::Endpoints => format!(
            "about ${cost:.2}/month: {} interface endpoints in 2 zones, plus \
             ${INTERFACE_ENDPOINT_GB}/GB; no internet: a Prefect server inside AWS, an image in ECR",
            INTERFACE_ENDPOINTS.len()
        ),
    }
}

/// Said with every cost: where the prices come from.
pub const COST_BASIS: &str = "us-east-1 list prices, before traffic; other regions differ a little";

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).expect("a value")
    }

    #[test]
    fn overlapping_ranges_are_told_apart_from_neighbours() {
        assert!(cidr("10.0.0.0/16").overlaps(&cidr("10.0.128.0/17")));
        assert!(cidr("10.0.0.0/8").overlaps(&cidr("10.100.0.0/16")));
        assert!(!cidr("10.100.0.0/16").overlaps(&cidr("10.101.0.0/16")));
        assert!(!cidr("172.31.0.0/16").overlaps(&cidr("10.100.0.0/16")));
    }

    #[test]
    fn the_chosen_range_avoids_every_vpc_of_the_account() {
        assert_eq!(
            choose_cidr(&[]).expect("a value").to_string(),
            "10.100.0.0/16"
        );
        let taken = [
            cidr("10.100.0.0/16"),
            cidr("10.101.4.0/24"),
            cidr("172.31.0.0/16"),
        ];
        assert_eq!(
            choose_cidr(&taken).expect("a value").to_string(),
            "10.102.0.0/16"
        );
        // A VPC that holds all of 10/8 leaves nothing to choose.
        assert_eq!(choose_cidr(&[cidr("10.0.0.0/8")]), None);
    }

    #[test]
    fn a_range_for_the_network_is_private_aligned_and_sized() {
        assert!(Cidr::parse_for_network("10.20.0.0/16").is_ok());
        assert!(Cidr::parse_for_network("192.168.4.0/24").is_ok());
        let err = Cidr::parse_for_network("10.20.1.0/16").expect_err("refused");
        assert!(err.contains("did you mean \"10.20.0.0/16\""), "{err}");
        assert!(
            Cidr::parse_for_network("8.8.0.0/16")
                .expect_err("refused")
                .contains("private")
        );
        assert!(
            Cidr::parse_for_network("10.0.0.0/8")
                .expect_err("refused")
                .contains("/16 to a /24")
        );
        assert!(
            Cidr::parse_for_network("fd00::/8")
                .expect_err("refused")
                .contains("IPv4")
        );
    }

    #[test]
    fn each_shape_makes_its_subnets_in_two_zones_without_overlap() {
        for (shape, roles) in [
            (NetworkShape::Public, vec!["public-a", "public-b"]),
            (
                NetworkShape::Nat,
                vec!["public-a", "public-b", "private-a", "private-b"],
            ),
            (NetworkShape::Endpoints, vec!["private-a", "private-b"]),
        ] {
            let layout = Layout::new(shape, cidr("10.100.0.0/16"));
            let got: Vec<&str> = layout.subnets.iter().map(|s| s.role.as_str()).collect();
            assert_eq!(got, roles, "{shape:?}");
            let zones: Vec<usize> = layout.worker_subnets().map(|s| s.zone).collect();
            assert_eq!(zones, vec![0, 1], "{shape:?}: workers in both zones");
            for (i, a) in layout.subnets.iter().enumerate() {
                assert!(layout.cidr.contains(&a.cidr));
                for b in &layout.subnets[i + 1..] {
                    assert!(!a.cidr.overlaps(&b.cidr), "{a:?} {b:?}");
                }
            }
        }
        let nat = Layout::new(NetworkShape::Nat, cidr("10.100.0.0/16"));
        let cidrs: Vec<String> = nat.subnets.iter().map(|s| s.cidr.to_string()).collect();
        assert_eq!(
            cidrs,
            [
                "10.100.0.0/18",
                "10.100.64.0/18",
                "10.100.128.0/18",
                "10.100.192.0/18"
            ]
        );
    }

    #[test]
    fn the_cost_is_said_per_shape_and_nat_is_not_the_cheapest() {
        assert!((monthly_cost(NetworkShape::Public, 1) - 3.65).abs() < 0.01);
        assert!((monthly_cost(NetworkShape::Public, 2) - 7.30).abs() < 0.01);
        assert!((monthly_cost(NetworkShape::Nat, 1) - 36.50).abs() < 0.01);
        assert!((monthly_cost(NetworkShape::Endpoints, 1) - 116.80).abs() < 0.01);
        assert!(cost_line(NetworkShape::Nat, 1).starts_with("about $36.50/month"));
    }
}
