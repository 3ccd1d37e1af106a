"""security_groups: what a task's security groups let its network interface connect to.

What AWS does. A Fargate task's traffic, its containers' and Fargate's own before they
start (platform 1.4.0 on: secrets, registry auth, the image, the awslogs stream), leaves
through the task's network interface, which is in the security groups of its
awsvpcConfiguration (RunTask's and CreateService's networkConfiguration; ECS uses the
VPC's default group when it names none). Security groups are stateful and allow-only: a
connection goes out when any egress rule of any of the groups matches it, on its protocol
(tcp, or -1 for all traffic), its port (FromPort..ToPort; -1 covers every port) and its
destination (an IPv4 CIDR holding the address, a prefix list holding it, or a security
group the destination's interface is in); the answers come back whatever the ingress
rules say. At the other end, an interface endpoint's interfaces are in the endpoint's
groups (the VPC's default group when it names none), and one of their ingress rules must
let the task in. A connection no rule allows is dropped, not refused: the caller's connect
times out ("dial tcp ...: i/o timeout"). A new group has one rule, egress of all traffic to
0.0.0.0/0; a VPC's default group also lets in all traffic from its own members. Security
groups do not filter traffic to the Amazon DNS server, DHCP, the instance and task
metadata endpoints (169.254.170.2, the container credentials), Amazon Time Sync or the VPC
router (VPC User Guide, "Security group rules").

What is emulated. reach.py and network.py decide from the subnet's routes and the VPC's
endpoints where a connection goes; `TaskGroups.missing` then says whether the task's groups
let it go there, and if not, which rule it lacks. Destinations as the stand-in models them:
  - an AWS API's public address (through a NAT gateway, or an internet gateway with a
    public IP; S3's and DynamoDB's also through a gateway endpoint): TCP 443, matched by
    an egress rule to 0.0.0.0/0 or to the service's AWS-managed prefix list (moto makes
    com.amazonaws.<region>.s3 and .dynamodb, as AWS does), never by a narrower CIDR: AWS's
    addresses are many and change (`aws_api`);
  - anything else on the internet (the tests' Prefect server on loopback, a registry other
    than ECR): TCP to its port, matched by 0.0.0.0/0 only (`internet`);
  - an address inside the VPC (the in-VPC Prefect relay, reach.is_in_vpc): TCP to its port,
    matched by a CIDR holding the VPC's (0.0.0.0/0 among them) (`in_vpc`);
  - an interface endpoint: TCP 443, matched by an egress rule whose CIDR overlaps one of
    the endpoint's subnets (the VPC's CIDR and 0.0.0.0/0 do) or that names one of the
    endpoint's groups, and then by an ingress rule of the endpoint's groups whose CIDR holds
    the task's subnet or that names one of the task's groups (`endpoint`).
A customer-managed prefix list counts as its entries' CIDRs. moto makes a VPC's default
group without the rule letting its members in: it is taken as there. The rules are read
when a container starts (as reach.py's endpoints are). The container credentials are
never filtered: the stand-in hands them over in the environment (credentials.py), as the
credential endpoint is on AWS whatever the groups say.

Not emulated: network ACLs, IPv6 rules, UDP and ICMP (rules of theirs allow nothing here;
DNS is never filtered anyway), connection tracking and its limits, rules naming groups of
peered VPCs, prefix lists managed by AWS other than S3's and DynamoDB's, a rule naming a
group for the in-VPC relay (its interface's groups are unknown), the default group's
self-referencing rule once revoked, and a rule changed after a container started (on AWS a
change applies to new connections at once; here the container keeps what it had).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable

HTTPS = 443
ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")
Network = ipaddress.IPv4Network


@dataclass(frozen=True)
class Destination:
    """Where a task connects, as a rule sees it: TCP to `port` at a public address (of the
    AWS service `service` when it is one), at an interface endpoint (`endpoint`, moto's),
    or, neither public nor an endpoint, at an address inside the task's VPC."""

    port: int
    public: bool = False
    service: str | None = None
    endpoint: Any = None

    def __str__(self) -> str:
        if self.endpoint is not None:
            return f"interface endpoint {self.endpoint.id} ({self.endpoint.service_name}) on tcp {self.port}"
        if self.public and self.service:
            return f"{self.service}'s public address on tcp {self.port}"
        return f"{'a public' if self.public else 'an in-VPC'} address on tcp {self.port}"


def aws_api(service: str | None) -> Destination:
    """An AWS API's public endpoint (`service` None: any API, as AWS_ENDPOINT_URL leads)."""
    return Destination(HTTPS, public=True, service=service)


def internet(port: int) -> Destination:
    return Destination(port, public=True)


def in_vpc(port: int) -> Destination:
    return Destination(port)


def endpoint(vpc_endpoint: Any) -> Destination:
    return Destination(HTTPS, endpoint=vpc_endpoint)


@dataclass(frozen=True)
class TaskGroups:
    """A task's security groups, and what they let it connect to (see the docstring)."""

    ec2: Any
    region: str
    vpc: Network  # the VPC's CIDR
    subnet: Network  # the task's subnet's
    groups: tuple[Any, ...]  # moto's SecurityGroups

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(g.id for g in self.groups)

    def missing(self, destination: Destination) -> str | None:
        """None when a rule lets the task connect to `destination`; else the rule it lacks."""
        if not any(self._egress_matches(rule, destination) for group in self.groups
                   for rule in list(group.egress_rules)):
            return f"no egress rule of {_names(self.ids)} allows tcp {destination.port} to {self._wanted(destination)}"
        if destination.endpoint is None:
            return None
        theirs = endpoint_groups(self.ec2, destination.endpoint)
        if not any(self._lets_in(group, destination.port) for group in theirs):
            return (f"no ingress rule of {_names(g.id for g in theirs)} (the endpoint's) allows tcp "
                    f"{destination.port} from {self.subnet} or {_names(self.ids)}")
        return None

    # Egress: the task's rules

    def _egress_matches(self, rule: Any, destination: Destination) -> bool:
        if not _covers(rule, destination.port):
            return False
        if destination.endpoint is not None:
            subnets = endpoint_subnets(self.ec2, destination.endpoint)
            if _named_group(rule) in {g.id for g in endpoint_groups(self.ec2, destination.endpoint)}:
                return True
            return any(cidr.overlaps(subnet) for cidr in self._cidrs(rule) for subnet in subnets)
        if destination.public:
            if destination.service and self._is_service_prefix_list(rule, destination.service):
                return True
            return any(cidr.prefixlen == 0 for cidr in self._cidrs(rule))
        return any(self.vpc.subnet_of(cidr) for cidr in self._cidrs(rule))

    def _wanted(self, destination: Destination) -> str:
        """What an egress rule would have to name, for the log."""
        if destination.endpoint is not None:
            subnets = ", ".join(str(s) for s in endpoint_subnets(self.ec2, destination.endpoint)) or "none"
            groups = _names(g.id for g in endpoint_groups(self.ec2, destination.endpoint))
            return f"the endpoint's subnets ({subnets}) or groups ({groups})"
        if destination.public and destination.service:
            listed = self._service_prefix_list(destination.service)
            return f"{ANYWHERE}" + (f" or {listed.id} ({listed.prefix_list_name})" if listed else "")
        return str(ANYWHERE) if destination.public else f"{self.vpc} (the VPC)"

    # Ingress: the endpoint's rules

    def _lets_in(self, group: Any, port: int) -> bool:
        """Whether one of the endpoint's groups lets the task in: by one of its rules, or, for
        a VPC's default group, as one of its members (the rule AWS makes it with; moto omits it)."""
        if getattr(group, "is_default", False) and group.id in self.ids:
            return True
        return any(self._ingress_matches(rule, port) for rule in list(group.ingress_rules))

    def _ingress_matches(self, rule: Any, port: int) -> bool:
        if not _covers(rule, port):
            return False
        return _named_group(rule) in self.ids or any(self.subnet.subnet_of(cidr) for cidr in self._cidrs(rule))

    # Prefix lists

    def _cidrs(self, rule: Any) -> list[Network]:
        """The IPv4 CIDRs a rule names: its own, or its customer-managed prefix list's."""
        cidr = (rule.ip_range or {}).get("CidrIp")
        if cidr:
            return [ipaddress.IPv4Network(cidr, strict=False)]
        listed = self._prefix_list(rule)
        if listed is None or _aws_managed(listed):
            return []
        entries = (listed.entries or {}).get(listed.version) or []
        return [ipaddress.IPv4Network(e["Cidr"], strict=False) for e in entries if ":" not in e.get("Cidr", ":")]

    def _prefix_list(self, rule: Any) -> Any | None:
        if not rule.prefix_list_id:
            return None
        return getattr(self.ec2, "managed_prefix_lists", {}).get(rule.prefix_list_id)

    def _is_service_prefix_list(self, rule: Any, service: str) -> bool:
        listed = self._prefix_list(rule)
        return listed is not None and _aws_managed(listed) and listed.prefix_list_name == self._list_name(service)

    def _service_prefix_list(self, service: str) -> Any | None:
        return next((p for p in list(getattr(self.ec2, "managed_prefix_lists", {}).values())
                     if _aws_managed(p) and p.prefix_list_name == self._list_name(service)), None)

    def _list_name(self, service: str) -> str:
        return f"com.amazonaws.{self.region}.{service}"


def of_task(ec2: Any, region: str, subnet: Any, config: dict) -> TaskGroups:
    """The groups of a task's awsvpcConfiguration, else its VPC's default group, as ECS
    does (network.default_security_groups already named it at RunTask or CreateService);
    a group that does not exist allows nothing."""
    named = config.get("securityGroups") or []
    if named:
        groups = [ec2.get_security_group_from_id(g) for g in named]
    else:
        groups = [ec2.get_default_security_group(subnet.vpc_id)]
    vpc = ec2.vpcs.get(subnet.vpc_id)
    return TaskGroups(ec2=ec2, region=region,
                      vpc=ipaddress.IPv4Network(vpc.cidr_block if vpc else subnet.cidr_block, strict=False),
                      subnet=ipaddress.IPv4Network(subnet.cidr_block, strict=False),
                      groups=tuple(g for g in groups if g is not None))


def endpoint_groups(ec2: Any, vpc_endpoint: Any) -> list[Any]:
    """An interface endpoint's groups; the VPC's default group when it names none."""
    named = list(vpc_endpoint.security_group_ids or [])
    groups = ([ec2.get_security_group_from_id(g) for g in named] if named
              else [ec2.get_default_security_group(vpc_endpoint.vpc_id)])
    return [g for g in groups if g is not None]


def endpoint_subnets(ec2: Any, vpc_endpoint: Any) -> list[Network]:
    """The CIDRs of the subnets an interface endpoint has its interfaces in."""
    found = []
    for subnet_id in list(vpc_endpoint.subnet_ids or []):
        try:
            found.append(ipaddress.IPv4Network(ec2.get_subnet(subnet_id).cidr_block, strict=False))
        except Exception:
            continue  # a subnet gone since: no interface there
    return found


def endpoint_address(ec2: Any, vpc_endpoint: Any) -> str | None:
    """The address of one of an interface endpoint's interfaces (ec2_rules gives them one of
    their subnet's), if it has any."""
    for eni_id in list(vpc_endpoint.network_interface_ids or []):
        eni = ec2.enis.get(eni_id)
        if eni is not None and eni.private_ip_address:
            return eni.private_ip_address
    return None


def _covers(rule: Any, port: int) -> bool:
    """Whether a rule's protocol and port range take in a TCP connection to `port`."""
    protocol = str(rule.ip_protocol or "").lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6") or rule.from_port is None or rule.to_port is None:
        return False
    return int(rule.from_port) <= port <= int(rule.to_port)


def _named_group(rule: Any) -> str | None:
    return (rule.source_group or {}).get("GroupId")


def _aws_managed(prefix_list: Any) -> bool:
    return getattr(prefix_list, "owner_id", None) == "AWS"


def _names(ids: Iterable[str]) -> str:
    ids = sorted(ids)
    return ", ".join(ids) if ids else "no group"
