//! The stack's own network as it was read (found by the stack's tags), and the plan's rows
//! for it: what is missing of the shape the profile asks for. Pure; the reads and writes
//! are `crate::aws::stack_network`.

use crate::network::{
    COST_BASIS, Cidr, INTERFACE_ENDPOINTS, Layout, choose_cidr, cost_line, shape_name,
};
use crate::profile::NetworkShape;

use super::names::StackNames;
use super::plan::{Action, Change, Resource};
use super::spec::OwnedNetwork;

/// The tag on the stack's VPC that says which shape it was made as.
pub const NETWORK_SHAPE_TAG: &str = "prefect-tui:network";
/// The gateway endpoint ECR's image layers come through.
pub const GATEWAY_ENDPOINT: &str = "s3";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedNetwork {
    pub vpc: Option<NetworkVpc>,
    /// The stack's subnets, by role (`public-a`, from their `Name` tag).
    pub subnets: Vec<NetworkSubnet>,
    pub internet_gateway: Option<NetworkGateway>,
    /// A NAT gateway of the stack that is pending or available.
    pub nat_gateway: Option<String>,
    /// Elastic IPs carrying the stack's tag, with the association when there is one.
    pub addresses: Vec<NetworkAddress>,
    pub route_tables: Vec<NetworkRouteTable>,
    /// Endpoints in the stack's VPC by short service name (`ecr.api`, `s3`), not deleted.
    pub endpoints: Vec<(String, String)>,
    /// The security group of the interface endpoints.
    pub endpoint_group: Option<String>,
    /// Every other VPC's range in the region: a new network must not overlap them.
    pub taken: Vec<(String, Cidr)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkVpc {
    pub id: String,
    pub cidr: Option<Cidr>,
    /// The shape the VPC was made as (its tag); `None` if the tag is gone.
    pub shape: Option<NetworkShape>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSubnet {
    pub role: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkGateway {
    pub id: String,
    pub attached: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkAddress {
    pub allocation_id: String,
    pub associated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRouteTable {
    /// `public` or `private`, from the `Name` tag.
    pub role: String,
    pub id: String,
    /// Where 0.0.0.0/0 goes (`igw-...`, `nat-...`), if anywhere.
    pub default_target: Option<String>,
    pub subnet_ids: Vec<String>,
}

/// Names of the network's parts, like every other resource's: `prefect-tui-<stack>-vpc`,
/// `prefect-tui-<stack>-public-a`, `prefect-tui-<stack>-nat`.
pub fn part_name(names: &StackNames, part: &str) -> String {
    format!("prefect-tui-{}-{part}", names.stack)
}

impl ObservedNetwork {
    pub fn subnet(&self, role: &str) -> Option<&NetworkSubnet> {
        self.subnets.iter().find(|s| s.role == role)
    }

    pub fn route_table(&self, role: &str) -> Option<&NetworkRouteTable> {
        self.route_tables.iter().find(|t| t.role == role)
    }

    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, id)| id.as_str())
    }

    /// Whether anything of the stack's network exists (what destroy has to remove).
    pub fn is_empty(&self) -> bool {
        self.vpc.is_none()
            && self.subnets.is_empty()
            && self.internet_gateway.is_none()
            && self.nat_gateway.is_none()
            && self.addresses.is_empty()
            && self.route_tables.is_empty()
            && self.endpoints.is_empty()
            && self.endpoint_group.is_none()
    }

    /// The workers' subnet ids, once every one of them exists.
    pub fn worker_subnet_ids(&self, layout: &Layout) -> Option<Vec<String>> {
        layout
            .worker_subnets()
            .map(|s| self.subnet(&s.role).map(|n| n.id.clone()))
            .collect()
    }
}

/// The range and subnets the stack's network has or will have, or why there is none: the
/// VPC's own range once it exists; else the profile's (refused when it overlaps a VPC of
/// the account); else the first free /16 from 10.100.0.0.
pub fn layout(owned: &OwnedNetwork, observed: &ObservedNetwork) -> Result<Layout, String> {
    if let Some(vpc) = &observed.vpc {
        if let Some(made) = vpc.shape
            && made != owned.shape
        {
            return Err(format!(
                "the stack's network {} was made as create = \"{}\", and the profile now says \
                 \"{}\"; a network cannot change shape in place. Set it back, or run \
                 `prefect-tui destroy` first and deploy again",
                vpc.id,
                shape_name(made),
                shape_name(owned.shape)
            ));
        }
        let Some(cidr) = vpc.cidr else {
            return Err(format!("the stack's VPC {} has no IPv4 range", vpc.id));
        };
        if let Some(asked) = owned.cidr
            && asked != cidr
        {
            return Err(format!(
                "the stack's VPC {} has the range {cidr}, and the profile asks for {asked}; a \
                 VPC's range cannot change. Set cidr = \"{cidr}\", or remove it",
                vpc.id
            ));
        }
        return Ok(Layout::new(owned.shape, cidr));
    }
    let taken: Vec<Cidr> = observed.taken.iter().map(|(_, c)| *c).collect();
    let cidr = match owned.cidr {
        Some(asked) => {
            if let Some((vpc, theirs)) = observed.taken.iter().find(|(_, c)| c.overlaps(&asked)) {
                return Err(format!(
                    "cidr {asked} overlaps {vpc} ({theirs}) in this account; choose another \
                     range, or remove `cidr` and one that overlaps nothing is chosen"
                ));
            }
            asked
        }
        None => choose_cidr(&taken).ok_or_else(|| {
            "every /16 from 10.100.0.0 to 10.254.0.0 overlaps a VPC of this account; set \
             cidr under [network] to a free range"
                .to_owned()
        })?,
    };
    Ok(Layout::new(owned.shape, cidr))
}

/// The plan's rows for the network, in the order they are made.
pub fn network_changes(
    names: &StackNames,
    layout: &Layout,
    observed: &ObservedNetwork,
    taken: usize,
    workers: u32,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |resource, name: String, fields: Vec<String>, exists: bool| {
        let action = match (exists, fields.is_empty()) {
            (_, true) => Action::Noop,
            (false, false) => Action::Create,
            (true, false) => Action::Update,
        };
        changes.push(Change {
            resource,
            name,
            action,
            fields,
            values: Vec::new(),
        });
    };
    let shape = layout.shape;
    let name = |r: Resource| part_of(names, shape, r);

    let vpc_fields = match &observed.vpc {
        Some(_) => vec![],
        None => vec![
            format!(
                "cidr {} (overlaps none of the account's {taken} other VPC(s) here)",
                layout.cidr
            ),
            format!("create = \"{}\", DNS names on", shape_name(shape)),
            format!("cost: {} ({COST_BASIS})", cost_line(shape, workers)),
        ],
    };
    push(
        Resource::Vpc,
        name(Resource::Vpc),
        vpc_fields,
        observed.vpc.is_some(),
    );

    let missing: Vec<String> = layout
        .subnets
        .iter()
        .filter(|s| observed.subnet(&s.role).is_none())
        .map(|s| format!("{} {} (zone {})", s.role, s.cidr, s.zone + 1))
        .collect();
    push(
        Resource::Subnets,
        name(Resource::Subnets),
        missing,
        !observed.subnets.is_empty(),
    );

    if shape != NetworkShape::Endpoints {
        let fields = match &observed.internet_gateway {
            None => vec!["attach to the VPC".to_owned()],
            Some(g) if !g.attached => vec!["attach to the VPC".to_owned()],
            Some(_) => vec![],
        };
        push(
            Resource::InternetGateway,
            name(Resource::InternetGateway),
            fields,
            observed.internet_gateway.is_some(),
        );
    }
    if shape == NetworkShape::Nat {
        let fields = match &observed.nat_gateway {
            None => vec![
                "an elastic IP".to_owned(),
                "in public-a, for both zones".to_owned(),
            ],
            Some(_) => vec![],
        };
        push(
            Resource::NatGateway,
            name(Resource::NatGateway),
            fields,
            observed.nat_gateway.is_some(),
        );
    }

    let mut table_fields = Vec::new();
    for (role, default, subnets) in route_tables(layout) {
        let Some(table) = observed.route_table(role) else {
            table_fields.push(format!("{role}: {}", describe_table(default, &subnets)));
            continue;
        };
        if let Some(target) = default {
            // The route must lead to the gateway the stack has now: one to a NAT gateway
            // deleted by hand (a blackhole) or to a replaced one counts as missing.
            let current = match target {
                DefaultTarget::InternetGateway => {
                    observed.internet_gateway.as_ref().map(|g| g.id.as_str())
                }
                DefaultTarget::NatGateway => observed.nat_gateway.as_deref(),
            };
            let ok = current.is_some() && table.default_target.as_deref() == current;
            if !ok {
                table_fields.push(format!("{role}: 0.0.0.0/0 -> {}", target.words()));
            }
        }
        let unassociated: Vec<&str> = subnets
            .iter()
            .filter(|r| {
                observed
                    .subnet(r)
                    .is_none_or(|s| !table.subnet_ids.contains(&s.id))
            })
            .copied()
            .collect();
        if !unassociated.is_empty() {
            table_fields.push(format!("{role}: associate {}", unassociated.join(", ")));
        }
    }
    push(
        Resource::RouteTables,
        name(Resource::RouteTables),
        table_fields,
        !observed.route_tables.is_empty(),
    );

    if shape == NetworkShape::Endpoints {
        let mut fields = Vec::new();
        if observed.endpoint_group.is_none() {
            fields.push("security group: HTTPS in from the VPC".to_owned());
        }
        for service in INTERFACE_ENDPOINTS {
            if observed.endpoint(service).is_none() {
                fields.push(format!("{service} (interface, private DNS)"));
            }
        }
        if observed.endpoint(GATEWAY_ENDPOINT).is_none() {
            fields.push(format!(
                "{GATEWAY_ENDPOINT} (gateway, on the private table)"
            ));
        }
        push(
            Resource::VpcEndpoints,
            name(Resource::VpcEndpoints),
            fields,
            !observed.endpoints.is_empty() || observed.endpoint_group.is_some(),
        );
    }
    changes
}

/// The network's rows for a shape, in the order they are made, with the names the plan,
/// the progress and the account of what exists all use.
pub fn parts(names: &StackNames, shape: NetworkShape) -> Vec<(Resource, String)> {
    let layout = Layout::new(shape, Cidr::parse("10.0.0.0/16").expect("a range"));
    let roles: Vec<&str> = layout.subnets.iter().map(|s| s.role.as_str()).collect();
    let mut rows = vec![
        (Resource::Vpc, part_name(names, "vpc")),
        (
            Resource::Subnets,
            part_name(names, &format!("{{{}}}", roles.join(","))),
        ),
    ];
    if shape != NetworkShape::Endpoints {
        rows.push((Resource::InternetGateway, part_name(names, "igw")));
    }
    if shape == NetworkShape::Nat {
        rows.push((Resource::NatGateway, part_name(names, "nat")));
    }
    rows.push((Resource::RouteTables, route_tables_name(names, &layout)));
    if shape == NetworkShape::Endpoints {
        rows.push((Resource::VpcEndpoints, part_name(names, "endpoints")));
    }
    rows
}

/// The name of one of the network's rows for a shape.
pub fn part_of(names: &StackNames, shape: NetworkShape, resource: Resource) -> String {
    parts(names, shape)
        .into_iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, n)| n)
        .unwrap_or_else(|| part_name(names, resource.as_str()))
}

/// `prefect-tui-<stack>-{public,private}`: the route tables the shape has.
pub fn route_tables_name(names: &StackNames, layout: &Layout) -> String {
    let roles: Vec<&str> = route_tables(layout).iter().map(|(r, _, _)| *r).collect();
    part_name(names, &format!("{{{}}}", roles.join(",")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultTarget {
    InternetGateway,
    NatGateway,
}

impl DefaultTarget {
    fn words(self) -> &'static str {
        match self {
            DefaultTarget::InternetGateway => "the internet gateway",
            DefaultTarget::NatGateway => "the NAT gateway",
        }
    }
}

fn describe_table(default: Option<DefaultTarget>, subnets: &[&str]) -> String {
    let route = match default {
        Some(t) => format!("0.0.0.0/0 -> {}", t.words()),
        None => "no default route".to_owned(),
    };
    format!("{route}, for {}", subnets.join(", "))
}

/// The route tables a shape needs: role, default route, the subnet roles it serves.
pub fn route_tables(layout: &Layout) -> Vec<(&'static str, Option<DefaultTarget>, Vec<&str>)> {
    let of = |public: bool| -> Vec<&str> {
        layout
            .subnets
            .iter()
            .filter(|s| s.public == public)
            .map(|s| s.role.as_str())
            .collect()
    };
    match layout.shape {
        NetworkShape::Public => vec![("public", Some(DefaultTarget::InternetGateway), of(true))],
        NetworkShape::Nat => vec![
            ("public", Some(DefaultTarget::InternetGateway), of(true)),
            ("private", Some(DefaultTarget::NatGateway), of(false)),
        ],
        NetworkShape::Endpoints => vec![("private", None, of(false))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(shape: NetworkShape, cidr: Option<&str>) -> OwnedNetwork {
        OwnedNetwork {
            shape,
            cidr: cidr.map(|c| Cidr::parse(c).expect("a value")),
        }
    }

    fn taken(list: &[(&str, &str)]) -> ObservedNetwork {
        ObservedNetwork {
            taken: list
                .iter()
                .map(|(v, c)| (v.to_string(), Cidr::parse(c).expect("a value")))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_network_avoids_the_accounts_ranges_and_a_clash_asked_for_is_refused() {
        let seen = taken(&[("vpc-1", "172.31.0.0/16"), ("vpc-2", "10.100.0.0/16")]);
        let got = layout(&owned(NetworkShape::Public, None), &seen).expect("a value");
        assert_eq!(got.cidr.to_string(), "10.101.0.0/16");
        let err = layout(&owned(NetworkShape::Public, Some("10.100.0.0/20")), &seen)
            .expect_err("refused");
        assert!(err.contains("overlaps vpc-2 (10.100.0.0/16)"), "{err}");
        let ok =
            layout(&owned(NetworkShape::Public, Some("10.50.0.0/16")), &seen).expect("a value");
        assert_eq!(ok.cidr.to_string(), "10.50.0.0/16");
    }

    #[test]
    fn an_existing_network_keeps_its_range_and_refuses_a_new_shape() {
        let mut seen = taken(&[]);
        seen.vpc = Some(NetworkVpc {
            id: "vpc-9".into(),
            cidr: Cidr::parse("10.120.0.0/16"),
            shape: Some(NetworkShape::Nat),
        });
        let got = layout(&owned(NetworkShape::Nat, None), &seen).expect("a value");
        assert_eq!(got.cidr.to_string(), "10.120.0.0/16");
        let err = layout(&owned(NetworkShape::Public, None), &seen).expect_err("refused");
        assert!(err.contains("made as create = \"nat\""), "{err}");
        let err =
            layout(&owned(NetworkShape::Nat, Some("10.1.0.0/16")), &seen).expect_err("refused");
        assert!(err.contains("cannot change"), "{err}");
    }

    fn actions(changes: &[Change]) -> Vec<(Resource, Action)> {
        changes.iter().map(|c| (c.resource, c.action)).collect()
    }

    #[test]
    fn nothing_made_yet_plans_every_part_of_each_shape() {
        let names = StackNames::new("prod");
        let none = ObservedNetwork::default();
        for (shape, want) in [
            (
                NetworkShape::Public,
                vec![
                    Resource::Vpc,
                    Resource::Subnets,
                    Resource::InternetGateway,
                    Resource::RouteTables,
                ],
            ),
            (
                NetworkShape::Nat,
                vec![
                    Resource::Vpc,
                    Resource::Subnets,
                    Resource::InternetGateway,
                    Resource::NatGateway,
                    Resource::RouteTables,
                ],
            ),
            (
                NetworkShape::Endpoints,
                vec![
                    Resource::Vpc,
                    Resource::Subnets,
                    Resource::RouteTables,
                    Resource::VpcEndpoints,
                ],
            ),
        ] {
            let layout = Layout::new(shape, Cidr::parse("10.100.0.0/16").expect("a value"));
            let changes = network_changes(&names, &layout, &none, 1, 1);
            let want: Vec<_> = want.into_iter().map(|r| (r, Action::Create)).collect();
            assert_eq!(actions(&changes), want, "{shape:?}");
        }
    }

    #[test]
    fn a_network_cut_short_plans_only_what_is_missing() {
        let names = StackNames::new("prod");
        let layout = Layout::new(
            NetworkShape::Nat,
            Cidr::parse("10.100.0.0/16").expect("a value"),
        );
        let seen = ObservedNetwork {
            vpc: Some(NetworkVpc {
                id: "vpc-1".into(),
                cidr: Some(layout.cidr),
                shape: Some(NetworkShape::Nat),
            }),
            subnets: ["public-a", "public-b", "private-a"]
                .iter()
                .enumerate()
                .map(|(i, r)| NetworkSubnet {
                    role: r.to_string(),
                    id: format!("subnet-{i}"),
                })
                .collect(),
            internet_gateway: Some(NetworkGateway {
                id: "igw-1".into(),
                attached: false,
            }),
            route_tables: vec![NetworkRouteTable {
                role: "public".into(),
                id: "rtb-1".into(),
                default_target: Some("igw-1".into()),
                subnet_ids: vec!["subnet-0".into()],
            }],
            ..Default::default()
        };
        let changes = network_changes(&names, &layout, &seen, 1, 1);
        assert_eq!(
            actions(&changes),
            vec![
                (Resource::Vpc, Action::Noop),
                (Resource::Subnets, Action::Update),
                (Resource::InternetGateway, Action::Update),
                (Resource::NatGateway, Action::Create),
                (Resource::RouteTables, Action::Update),
            ]
        );
        assert_eq!(
            changes[1].fields,
            vec!["private-b 10.100.192.0/18 (zone 2)"]
        );
        assert_eq!(
            changes[4].fields,
            vec![
                "public: associate public-b",
                "private: 0.0.0.0/0 -> the NAT gateway, for private-a, private-b"
            ]
        );
    }
}
