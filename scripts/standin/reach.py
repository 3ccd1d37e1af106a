"""reach: which AWS APIs and which Prefect API a running task's containers can reach.

What AWS does. A Fargate task's containers send everything through the task's network
interface in its first subnet. Where the subnet's route table (network.route_table_of)
sends 0.0.0.0/0 to a NAT gateway, or to the VPC's internet gateway while the interface has
a public IP, they reach the internet: every AWS API's public endpoint, and Prefect Cloud.
Otherwise there is no internet at all, and an AWS API is reachable only through the VPC's
endpoints: an interface endpoint of that service (`com.amazonaws.<region>.<service>`) with
private DNS enabled, which makes the service's default hostname (the one the SDKs call)
resolve to the endpoint's addresses in the VPC; the VPC needs enableDnsSupport and
enableDnsHostnames for that private hosted zone (EC2 API reference, CreateVpcEndpoint
PrivateDnsEnabled). Without private DNS the hostname resolves to the service's public
addresses, which no packet from the subnet reaches. S3 and DynamoDB are also reachable
through a gateway endpoint on the subnet's route table. Calls to anything else are
dropped: the SDK's connection attempt times out ("dial tcp ...: i/o timeout", botocore's
ConnectTimeoutError) after its retries.

What is emulated. When the stand-in builds a container's environment (processes.
container_env, for the essential container and each sidecar), it decides from the task's
first subnet, route table, assignPublicIp and the VPC's endpoints which services the task
reaches, and sets each SDK service-specific endpoint variable (AWS_ENDPOINT_URL_<service
id>, which the AWS SDKs, botocore and aiobotocore among them, prefer to AWS_ENDPOINT_URL;
names in SERVICE_VARIABLES) to moto for a reachable service and to the blackhole for an
unreachable one. In a subnet without a way out, AWS_ENDPOINT_URL itself is the blackhole
too, so a service missing from the table is unreachable there as well. The blackhole is
one loopback port the stand-in opens and whose accept queue it keeps full: the kernel
drops each new connection's SYN, so a call gets a connect timeout, as on AWS, and never
an answer or a refusal.
An interface endpoint counts while it is available or pending (the environment is
decided once, at container start, and a pending endpoint serves within minutes), with
private DNS on, at least one subnet and the VPC's two DNS attributes on; one deleting,
deleted, rejected or failed does not.

The Prefect API. The tests' Prefect server listens on loopback and stands for a server on
the public internet, like Prefect Cloud: reachable only from a subnet that reaches the
internet. For a self-hosted server inside the VPC, the stand-in opens an in-VPC relay
(server.py's --in-vpc-relay; `open_in_vpc_relay`): a second loopback port that forwards to
the same server, reachable from any subnet of any VPC (as if every VPC had one). A
container whose PREFECT_API_URL its subnet cannot reach gets the URL pointed at the
blackhole, path kept, so its worker never comes online there.

Security groups. Where the route leads somewhere, the task's security groups must also let
the connection out, and an interface endpoint's groups let it in (security_groups.py: TCP 443
to an AWS API's public address or to the endpoint; to the Prefect API URL's port, its
explicit one, else 443 for https and 80 for http, at a public address, or at an address in
the VPC for the in-VPC relay). A destination they refuse is pointed at the blackhole as an
unreachable one is, and the stand-in logs one line at INFO naming the task, the destination
and the rule it lacks. The rules are read when the container starts, as the endpoints are.

Not emulated: network ACLs, endpoint policies, the endpoint's subnets' zones (one interface
anywhere in the VPC serves every subnet), an interface endpoint with private DNS drawing its
service's traffic from a subnet with a way out (there, every AWS API is reached at its public
address), routes to other VPCs (peering, transit gateway) and their endpoints, endpoints
made or deleted and rules changed after a container started, the Regions newer than
2023-12-23 needing ecs-agent and ecs-telemetry beside ecs, what a container reaches other
than through the SDKs' endpoint variables and PREFECT_API_URL (all tasks share this
machine's loopback), IPv6, and subnets after the first.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import network, security_groups

log = logging.getLogger("standin")

# VPC endpoint service (after `com.amazonaws.<region>.`) -> the SDK variables of the
# clients it serves. Each name is AWS_ENDPOINT_URL_ + the client's service id, upper case,
# spaces and hyphens as underscores (botocore's ConfiguredEndpointProvider; the SDKs and
# Tools reference guide's table of service-specific endpoint identifiers). test_reach checks
# them against botocore. `ecr.dkr` (the registry) has no SDK client: network.py's business.
SERVICE_VARIABLES: dict[str, tuple[str, ...]] = {
    "ecs": ("AWS_ENDPOINT_URL_ECS",),
    "ec2": ("AWS_ENDPOINT_URL_EC2",),
    "sqs": ("AWS_ENDPOINT_URL_SQS",),
    "logs": ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",),
    "monitoring": ("AWS_ENDPOINT_URL_CLOUDWATCH",),
    "secretsmanager": ("AWS_ENDPOINT_URL_SECRETS_MANAGER",),
    "sts": ("AWS_ENDPOINT_URL_STS",),
    "s3": ("AWS_ENDPOINT_URL_S3",),
    "events": ("AWS_ENDPOINT_URL_EVENTBRIDGE",),
    "ecr.api": ("AWS_ENDPOINT_URL_ECR",),
    "ssm": ("AWS_ENDPOINT_URL_SSM",),
    "kms": ("AWS_ENDPOINT_URL_KMS",),
    "sns": ("AWS_ENDPOINT_URL_SNS",),
    "dynamodb": ("AWS_ENDPOINT_URL_DYNAMODB",),
    "lambda": ("AWS_ENDPOINT_URL_LAMBDA",),
    "elasticloadbalancing": ("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
                             "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"),
    "autoscaling": ("AWS_ENDPOINT_URL_AUTO_SCALING",),
    "application-autoscaling": ("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",),
}
# Gateway endpoints exist for these two only; they work by a route on the subnet's table.
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
COUNTING_STATES = frozenset({"available", "pending"})
PREFECT_URL_VARIABLES = ("PREFECT_API_URL",)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
OTHER_SERVICES = "*"  # in Reach.denied: every AWS API missing from SERVICE_VARIABLES (AWS_ENDPOINT_URL)


@dataclass(frozen=True)
class Reach:
    """What one task's containers can reach: everything, or the services listed; less what
    its security groups refuse (`denied`; `groups` decides for a Prefect API URL)."""

    internet: bool
    services: frozenset[str] = field(default_factory=frozenset)  # endpoint short names
    denied: frozenset[str] = field(default_factory=frozenset)  # routed there, refused by the groups
    groups: security_groups.TaskGroups | None = None  # None: nothing filtered
    task: str = ""  # the task's ID, for the log

    def reaches(self, service: str) -> bool:
        return (self.internet or service in self.services) and service not in self.denied

    def reaches_others(self) -> bool:
        """An AWS API missing from the table: only at its public address."""
        return self.internet and OTHER_SERVICES not in self.denied

    def reaches_url(self, url: str) -> bool:
        """A Prefect API URL: the in-VPC relay from anywhere, anything else only with the
        internet; in either case only on a port the groups let out."""
        return (self.internet or is_in_vpc(url)) and self.url_refusal(url) is None

    def url_refusal(self, url: str) -> str | None:
        """The rule the task's groups lack to reach a Prefect API URL, or None."""
        if self.groups is None:
            return None
        port = url_port(url)
        return self.groups.missing(security_groups.in_vpc(port) if is_in_vpc(url) else security_groups.internet(port))

    def apply(self, env: dict[str, str], endpoint: str) -> None:
        """Points each unreachable service (and Prefect URL) of a container's environment
        at the blackhole, each reachable one at moto (`endpoint`)."""
        # Where no SDK variable of its own says otherwise: a service missing from the table.
        env["AWS_ENDPOINT_URL"] = endpoint if self.reaches_others() else blackhole_url()
        for service, names in SERVICE_VARIABLES.items():
            for name in names:
                # Set even when reachable: a value from the task definition would lead elsewhere.
                env[name] = endpoint if self.reaches(service) else blackhole_url()
        for name in PREFECT_URL_VARIABLES:
            url = env.get(name)
            if url and not self.reaches_url(url):
                if self.internet or is_in_vpc(url):  # routed there: the groups refuse it
                    log.info("task %s: its security groups refuse %s %s: %s", self.task, name, url,
                             self.url_refusal(url))
                env[name] = _moved_to(url, blackhole_url())


EVERYTHING = Reach(internet=True)


def of_task(backend: Any, task: Any) -> Reach:
    """What the task's containers reach, from its awsvpc configuration (see the docstring)."""
    config = network.awsvpc(task)
    subnets = config.get("subnets") or []
    if not subnets:
        return EVERYTHING  # not awsvpc: nothing to decide here (network.start_failure agrees)
    ec2 = network._ec2(backend)
    try:
        subnet = ec2.get_subnet(subnets[0])
    except Exception:
        return EVERYTHING  # moto refused the task already if the subnet did not exist
    region = backend.region_name
    groups = security_groups.of_task(ec2, region, subnet, config)
    table = network.route_table_of(ec2, subnet)
    public_ip = config.get("assignPublicIp") == "ENABLED"
    internet = table is not None and network.reaches_internet(ec2, table, subnet.vpc_id, public_ip)
    if internet:
        ways = {service: [security_groups.aws_api(service)] for service in SERVICE_VARIABLES}
        ways[OTHER_SERVICES] = [security_groups.aws_api(None)]
    else:
        ways = {service: [security_groups.endpoint(e) for e in endpoints]
                for service, endpoints in interface_endpoints(ec2, subnet.vpc_id, region).items()
                if service in SERVICE_VARIABLES}
        if table is not None:
            for service in GATEWAY_SERVICES & network.endpoint_services(ec2, subnet.vpc_id, region, "Gateway",
                                                                         table.id):
                ways.setdefault(service, []).append(security_groups.aws_api(service))
    denied = frozenset(service for service, destinations in ways.items()
                       if _refused(groups, task.id, service, destinations))
    return Reach(internet=internet, services=frozenset() if internet else frozenset(ways), denied=denied,
                 groups=groups, task=task.id)


def _refused(groups: security_groups.TaskGroups, task_id: str, service: str,
             destinations: list[security_groups.Destination]) -> bool:
    """Whether the groups refuse every way to a service; if so, logs the first's missing rule."""
    refusals = [groups.missing(d) for d in destinations]
    if all(refusals):
        what = "other AWS APIs (AWS_ENDPOINT_URL)" if service == OTHER_SERVICES else service
        log.info("task %s: its security groups refuse %s at %s: %s", task_id, what, destinations[0], refusals[0])
        return True
    return False


def interface_endpoints(ec2: Any, vpc_id: str, region: str) -> dict[str, list[Any]]:
    """The VPC's interface endpoints whose private DNS serves the SDKs, by short name."""
    if not _vpc_private_dns(ec2, vpc_id):
        return {}
    prefix = f"com.amazonaws.{region}."
    found: dict[str, list[Any]] = {}
    for endpoint in list(ec2.vpc_end_points.values()):
        if endpoint.vpc_id != vpc_id or (endpoint.vpc_endpoint_type or "").lower() != "interface":
            continue
        if (getattr(endpoint, "state", "available") or "").lower() not in COUNTING_STATES:
            continue
        # Without private DNS the default hostname stays public; with no subnet there is no
        # interface to send to.
        if not _true(endpoint.private_dns_enabled) or not endpoint.subnet_ids:
            continue
        if endpoint.service_name.startswith(prefix):
            found.setdefault(endpoint.service_name[len(prefix):], []).append(endpoint)
    return found


def url_port(url: str) -> int:
    """The port a URL connects to: its own, else 443 for https and 80 for http."""
    try:
        parts = urlsplit(url)
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return 443 if url.startswith("https") else 80


def _vpc_private_dns(ec2: Any, vpc_id: str) -> bool:
    """A private hosted zone works only with both VPC DNS attributes on."""
    vpc = ec2.vpcs.get(vpc_id)
    return vpc is not None and _true(vpc.enable_dns_support) and _true(vpc.enable_dns_hostnames)


def _true(value: Any) -> bool:
    """moto keeps some booleans as the request's strings."""
    return value is True or str(value).lower() == "true"


def _moved_to(url: str, base: str) -> str:
    """`url` with the scheme kept and the host and port of `base`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme or "http", urlsplit(base).netloc, parts.path, parts.query, parts.fragment))


# The blackhole


class Blackhole:
    """A loopback port that never answers: its accept queue is full and nobody accepts,
    so the kernel drops every new connection's SYN and the caller's connect times out."""

    FILLERS = 8  # enough to fill a backlog of 0 on any kernel seen

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []  # open for the process's life: they fill the queue
        if not self._fill():
            # The queue would not fill (or overflow answers with a reset): hold what comes
            # instead, which still never answers (a read timeout rather than a connect one).
            threading.Thread(target=self._hold, daemon=True, name="blackhole").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _fill(self) -> bool:
        """Connects to itself until a connection is left hanging: the queue is full then."""
        for _ in range(self.FILLERS):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.3)
            try:
                probe.connect(("127.0.0.1", self.port))
            except (TimeoutError, socket.timeout):
                probe.close()
                return True
            except OSError:
                probe.close()
                return False
            self._held.append(probe)
        return False

    def _hold(self) -> None:
        while True:
            connection, _ = self._listener.accept()
            threading.Thread(target=_swallow, args=(connection,), daemon=True).start()


def _swallow(connection: socket.socket) -> None:
    """Reads and drops what comes, answers nothing, closes once the caller has gone."""
    with connection:
        try:
            while connection.recv(65536):
                pass
        except OSError:
            pass


_lock = threading.Lock()
_blackhole: Blackhole | None = None


def blackhole_url() -> str:
    """The blackhole's URL; it is opened on first use, once per process."""
    global _blackhole
    with _lock:
        if _blackhole is None:
            _blackhole = Blackhole()
            log.info("blackhole for unreachable services at %s", _blackhole.url)
        return _blackhole.url


# The Prefect server inside the VPC


_in_vpc_ports: set[int] = set()


def is_in_vpc(url: str) -> bool:
    """Whether `url` is one of the in-VPC relays' (an address of a server inside the VPC)."""
    try:
        parts = urlsplit(url)
        return parts.hostname in LOOPBACK_HOSTS and parts.port in _in_vpc_ports
    except ValueError:
        return False


def open_in_vpc_relay(target_port: int, listen_port: int = 0) -> int:
    """A loopback port forwarding each connection to 127.0.0.1:`target_port`, which the
    tasks of every subnet reach (see the docstring); its port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(64)
    port = listener.getsockname()[1]
    with _lock:
        _in_vpc_ports.add(port)
    threading.Thread(target=_relay, args=(listener, target_port), daemon=True, name=f"in-vpc-{port}").start()
    log.info("Prefect in the VPC: 127.0.0.1:%d relays to 127.0.0.1:%d", port, target_port)
    return port


def _relay(listener: socket.socket, target_port: int) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_forward, args=(client, target_port), daemon=True).start()


def _forward(client: socket.socket, target_port: int) -> None:
    """One connection, both ways, until both sides are done."""
    try:
        server = socket.create_connection(("127.0.0.1", target_port), timeout=10)
    except OSError:
        client.close()  # the server is down: the caller sees its connection closed
        return
    server.settimeout(None)
    upstream = threading.Thread(target=_pump, args=(client, server), daemon=True)
    upstream.start()
    _pump(server, client)
    upstream.join()
    server.close()
    client.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copies one direction until EOF, then passes the EOF on."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        # One side is gone: so is the other, which also ends the other direction's recv.
        for each in (source, sink):
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
