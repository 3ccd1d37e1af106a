"""network: a task's network interface, and whether its subnet lets Fargate start it.

Interface. moto gives an awsvpc task a network interface in its first subnet, but with a
random address outside the subnet, a DNS name only in VPCs with DNS hostnames (and fails
with a 500 in others), and it keeps the interface after the task is gone. Here, as ECS does: the address is one of the
subnet's, the name is `ip-a-b-c-d.<region>.compute.internal`, the interface gets a public
IP when assignPublicIp is ENABLED, it is in the VPC's default security group when the
task names none (moto fails on that), the task's ENI attachment is PRECREATED while the task
is PROVISIONING, ATTACHED from PENDING on and DELETED (the interface with it) once the task
is STOPPED. The task's availabilityZone is the subnet's.

Reachability. Before its container starts, Fargate needs a way out of the task's subnet to
read the task's secrets, get registry credentials, pull the image and create its log
stream. The subnet's route table (its explicit association, else the VPC's main table)
decides, simply:
  - 0.0.0.0/0 to an internet gateway attached to the VPC, with assignPublicIp ENABLED, or
    0.0.0.0/0 to a NAT gateway (or a NAT instance, or a transit gateway, taken to lead
    out): everything is reachable;
  - otherwise only VPC endpoints help: an interface endpoint for `secretsmanager` (secrets)
    and `ssm` (parameters), for `ecr.api` and `ecr.dkr` plus the `s3` gateway endpoint on
    that route table (an image in ECR of the task's region; ECR keeps layers in S3), for
    `logs` (awslogs). An image from any other registry (Docker Hub, ghcr.io) cannot be
    pulled without a route out, as on Fargate.
On platform 1.4.0 these calls leave through the task's network interface, so the task's
security groups must let each out on TCP 443, to the service's public address or to its
endpoint, and the endpoint's groups let it in (security_groups.py); a refused call is a
connection that times out, as one with no route is, and the stand-in logs the missing rule
at INFO (AWS's sentence never names a security group).
What is missing first, in Fargate's order (secrets and registry auth, image, log stream),
makes the task stop with stopCode TaskFailedToStart and Fargate's sentence for it, after
the agent's pull timeout (Fargate retries for about a minute): "... dial tcp <address>:443:
i/o timeout" where a connection was tried and dropped, the address the endpoint's interface
in the VPC or a made-up public one.

What the container itself reaches once running (AWS APIs, the Prefect API) is reach.py's.

Not emulated: network ACLs, endpoint policies and private DNS settings (here, for
Fargate's own calls; reach.py heeds private DNS for the containers'), an interface
endpoint with private DNS drawing Fargate's calls away from a subnet's way out (they go to
the public addresses here), IPv6, and subnets after the first.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import random
import re
from dataclasses import dataclass
from typing import Any, Iterator

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import random_public_ip

from . import security_groups

DEFAULT_ROUTE = "0.0.0.0/0"
SECRETS_FAILED = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                  "retrieval failed: ")
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")

log = logging.getLogger("standin")


# The interface


def install() -> None:
    """moto names an interface only in a VPC with DNS hostnames, and its ECS fails on an
    unnamed one (a 500 for RunTask there): unnamed is None instead. Idempotent."""
    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = None


def awsvpc(task: Any) -> dict:
    return (getattr(task, "network_configuration", None) or {}).get("awsvpcConfiguration") or {}


def _ec2(backend: Any) -> Any:
    return ec2_backends[backend.account_id][backend.region_name]


def _eni_attachment(task: Any) -> dict | None:
    return next((a for a in task.attachments if a.get("type") == "ElasticNetworkInterface"), None)


def _detail(attachment: dict, name: str) -> str | None:
    return next((d["value"] for d in attachment["details"] if d["name"] == name), None)


def attach(backend: Any, task: Any) -> None:
    """Makes moto's interface for a new task what ECS would have made (see the docstring)."""
    attachment = _eni_attachment(task)
    if attachment is None:
        return
    ec2 = _ec2(backend)
    eni = ec2.enis.get(_detail(attachment, "networkInterfaceId"))
    if eni is None:
        return
    subnet = eni.subnet
    address = free_address(ec2, subnet)
    region = backend.region_name
    eni.private_ip_address = address
    eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": address}]
    eni.private_dns_name = f"ip-{address.replace('.', '-')}.{region}.compute.internal"
    eni.description = f"arn:aws:ecs:{region}:{backend.account_id}:attachment/{attachment['id']}"
    eni.requester_managed = True
    if awsvpc(task).get("assignPublicIp") == "ENABLED":
        eni.public_ip = random_public_ip()
    details = {d["name"]: d for d in attachment["details"]}
    details["privateIPv4Address"]["value"] = address
    if "privateDnsName" in details:
        details["privateDnsName"]["value"] = eni.private_dns_name
    else:
        attachment["details"].append({"name": "privateDnsName", "value": eni.private_dns_name})
    attachment["status"] = "PRECREATED"
    task.availability_zone = subnet.availability_zone
    for container in task.containers:
        container.network_interfaces = [{"attachmentId": attachment["id"], "privateIpv4Address": address}]


def default_security_groups(backend: Any, config: dict | None) -> None:
    """An awsvpcConfiguration without securityGroups gets the VPC's default group, as ECS
    gives it (moto fails on the missing key)."""
    awsvpc_config = (config or {}).get("awsvpcConfiguration")
    if not awsvpc_config or awsvpc_config.get("securityGroups") or not awsvpc_config.get("subnets"):
        return
    ec2 = _ec2(backend)
    try:
        vpc_id = ec2.get_subnet(awsvpc_config["subnets"][0]).vpc_id
        awsvpc_config["securityGroups"] = [ec2.get_default_security_group(vpc_id).id]
    except Exception:
        awsvpc_config["securityGroups"] = []  # moto will say what is wrong with the subnet


def free_address(ec2: Any, subnet: Any) -> str:
    """An address of the subnet no other interface has; not one of the five AWS keeps."""
    network = ipaddress.ip_network(subnet.cidr_block)
    taken = {e.private_ip_address for e in ec2.enis.values() if getattr(e.subnet, "id", None) == subnet.id}
    for _ in range(100):
        address = str(network[random.randint(4, network.num_addresses - 2)])
        if address not in taken:
            return address
    return str(network[4])


def mark_attached(task: Any) -> None:
    attachment = _eni_attachment(task)
    if attachment is not None:
        attachment["status"] = "ATTACHED"


def release(backend: Any, task: Any) -> None:
    """The task is STOPPED: its attachment is DELETED and its interface goes, as in ECS."""
    attachment = _eni_attachment(task)
    if attachment is None or attachment.get("status") == "DELETED":
        return
    attachment["status"] = "DELETED"
    _ec2(backend).enis.pop(_detail(attachment, "networkInterfaceId"), None)


# Reachability


def start_failure(backend: Any, task: Any, container: dict) -> str | None:
    """Why Fargate could not start this container from the task's subnet with its security
    groups, or None."""
    config = awsvpc(task)
    subnets = config.get("subnets") or []
    if not subnets:
        return None  # not awsvpc: nothing to decide here
    ec2 = _ec2(backend)
    try:
        subnet = ec2.get_subnet(subnets[0])
    except Exception:
        return None  # moto refused the task already if the subnet did not exist
    table = route_table_of(ec2, subnet)
    internet = table is not None and reaches_internet(ec2, table, subnet.vpc_id,
                                                      config.get("assignPublicIp") == "ENABLED")
    region = backend.region_name
    ways = _Ways(ec2, region, subnet, table.id if table else None, internet,
                 security_groups.of_task(ec2, region, subnet, config), task.id)
    # Fargate's order: secrets and registry auth, then the image, then the log stream.
    for secret in container.get("secrets") or []:
        value_from = secret["valueFrom"]
        if ":secretsmanager:" in value_from:
            call = ways.to("secretsmanager", f"secretsmanager.{region}.amazonaws.com")
            if not call.routed:
                return (f"{SECRETS_FAILED}unable to retrieve secret from asm: service call has been retried 5 "
                        f"time(s): failed to fetch secret {value_from} from secrets manager: RequestCanceled: "
                        "request context canceled caused by: context deadline exceeded. Please check your task "
                        "network configuration.")
            if call.refused:
                return (f"{SECRETS_FAILED}unable to retrieve secret from asm: service call has been retried 5 "
                        f"time(s): failed to fetch secret {value_from} from secrets manager: {call.timeout}. "
                        "Please check your task network configuration.")
        else:
            call = ways.to("ssm", f"ssm.{region}.amazonaws.com")
            if not call.open:
                return (f"{SECRETS_FAILED}unable to retrieve secrets from ssm: service call has been retried 5 "
                        f"time(s): {call.timeout}. Please check your task network configuration.")
    image = container.get("image") or ""
    ecr = ECR_IMAGE.match(image)
    if ecr and ecr.group(2) == region:
        call = ways.to("ecr.api", f"api.ecr.{region}.amazonaws.com")
        if not call.open:
            return (f"{SECRETS_FAILED}unable to retrieve ecr registry auth: service call has been retried 3 "
                    f"time(s): {call.timeout}. Please check your task network configuration.")
        call = ways.to("ecr.dkr", image.split("/", 1)[0])
        if not call.open:
            return _manifest_timeout(image, call.address)
        call = ways.to("s3", f"prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com")
        if not call.open:
            return ("CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: "
                    f"failed open: failed to do request: Get \"https://{call.host}/\": dial tcp {call.address}:443: "
                    "i/o timeout")
    else:
        call = ways.to_registry(_parse_image(image)[1])
        if not call.open:
            return _manifest_timeout(image, call.address)
    log_config = container.get("logConfiguration") or {}
    if log_config.get("logDriver") == "awslogs":
        logs_region = (log_config.get("options") or {}).get("awslogs-region") or region
        call = ways.to("logs", f"logs.{logs_region}.amazonaws.com")
        if not call.open:
            return ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                    f"times: failed to create Cloudwatch log stream: {call.timeout} : exit status 1")
    return None


@dataclass(frozen=True)
class _Call:
    """Where one of Fargate's calls goes from the task's subnet, and whether it gets there."""

    host: str
    address: str  # where it dials: the endpoint's interface in the VPC, else a made-up public address
    routed: bool  # False: no route and no endpoint lead there
    refused: bool = False  # routed, but the task's security groups drop it

    @property
    def open(self) -> bool:
        return self.routed and not self.refused

    @property
    def timeout(self) -> str:
        """The SDK's words for a connection nobody answers (Fargate's calls are POSTs)."""
        return (f'RequestError: send request failed caused by: Post "https://{self.host}/": dial tcp '
                f"{self.address}:443: i/o timeout")


@dataclass(frozen=True)
class _Ways:
    """The ways out of one task's subnet for Fargate's own calls (see the docstring)."""

    ec2: Any
    region: str
    subnet: Any
    table_id: str | None
    internet: bool
    groups: security_groups.TaskGroups
    task_id: str

    def to(self, service: str, host: str) -> _Call:
        """A call to an AWS service: out to its public address, else through the VPC's
        endpoint of it (S3: a gateway endpoint on the subnet's route table; the others: an
        interface endpoint)."""
        if self.internet:
            return self._through(security_groups.aws_api(service), host, _address(host))
        vpc_id = self.subnet.vpc_id
        if service == "s3":
            if "s3" in endpoint_services(self.ec2, vpc_id, self.region, "Gateway", self.table_id):
                return self._through(security_groups.aws_api(service), host, _address(host))
            return _Call(host, _address(host), routed=False)
        endpoint = interface_endpoint(self.ec2, vpc_id, self.region, service)
        if endpoint is None:
            return _Call(host, _address(host), routed=False)
        address = security_groups.endpoint_address(self.ec2, endpoint) or _address(host)
        return self._through(security_groups.endpoint(endpoint), host, address)

    def to_registry(self, host: str) -> _Call:
        """A registry other than ECR's in the task's region: only on the internet."""
        if not self.internet:
            return _Call(host, _address(host), routed=False)
        return self._through(security_groups.internet(443), host, _address(host))

    def _through(self, destination: security_groups.Destination, host: str, address: str) -> _Call:
        missing = self.groups.missing(destination)
        if missing:
            log.info("task %s: its security groups refuse Fargate's call to %s at %s: %s", self.task_id, host,
                     destination, missing)
        return _Call(host, address, routed=True, refused=bool(missing))


def route_table_of(ec2: Any, subnet: Any) -> Any | None:
    """The subnet's explicitly associated route table, else its VPC's main one."""
    tables = [t for t in ec2.route_tables.values() if t.vpc_id == subnet.vpc_id]
    for table in tables:
        if subnet.id in table._associations.values():
            return table
    return next((t for t in tables if t.main_association_id is not None), None)


def reaches_internet(ec2: Any, table: Any, vpc_id: str, public_ip: bool) -> bool:
    for route in table.routes:
        if route.destination_cidr_block != DEFAULT_ROUTE:
            continue
        if route.nat_gateway is not None and route.nat_gateway.state in ("deleted", "failed"):
            continue  # a blackhole: its NAT gateway is gone (ec2_rules.route_state)
        if route.nat_gateway or route.instance or route.interface or route.transit_gateway:
            return True
        gateway = route.gateway
        if gateway is not None and gateway.id.startswith("igw-") and public_ip:
            attached = getattr(ec2.internet_gateways.get(gateway.id), "vpc", None)
            if attached is not None and attached.id == vpc_id:
                return True
    return False


def endpoint_services(ec2: Any, vpc_id: str, region: str, kind: str, route_table_id: str | None = None) -> set[str]:
    """Short service names (`ecr.api`, `s3`) of the VPC's endpoints of one kind; a gateway
    endpoint counts only on the given route table."""
    return {service for service, _ in _endpoints(ec2, vpc_id, region, kind, route_table_id)}


def interface_endpoint(ec2: Any, vpc_id: str, region: str, service: str) -> Any | None:
    """The VPC's interface endpoint of a service (its short name), if one counts."""
    return next((e for name, e in _endpoints(ec2, vpc_id, region, "Interface") if name == service), None)


def _endpoints(ec2: Any, vpc_id: str, region: str, kind: str,
               route_table_id: str | None = None) -> Iterator[tuple[str, Any]]:
    """(short service name, endpoint) of the VPC's available or pending endpoints of one kind."""
    prefix = f"com.amazonaws.{region}."
    for endpoint in list(ec2.vpc_end_points.values()):
        if endpoint.vpc_id != vpc_id or (endpoint.vpc_endpoint_type or "Gateway") != kind:
            continue
        if getattr(endpoint, "state", "available") not in ("available", "pending"):
            continue
        if kind == "Gateway" and route_table_id not in (endpoint.route_table_ids or []):
            continue
        if endpoint.service_name.startswith(prefix):
            yield endpoint.service_name[len(prefix):], endpoint


def _manifest_timeout(image: str, address: str | None = None) -> str:
    ref, host, repository, reference = _parse_image(image)
    return ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            f'{ref}: failed to do request: Head "https://{host}/v2/{repository}/manifests/{reference}": '
            f"dial tcp {address or _address(host)}:443: i/o timeout")


def _parse_image(image: str) -> tuple[str, str, str, str]:
    """(full ref, registry host, repository, tag or digest), as containerd resolves a name."""
    name, digest = (image.split("@", 1) + [""])[:2]
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        host, repository = name.split("/", 1)
        registry = host
    else:
        host, registry = "registry-1.docker.io", "docker.io"
        repository = name if "/" in name else f"library/{name}"
    tag = ""
    if ":" in repository.rsplit("/", 1)[-1]:
        repository, tag = repository.rsplit(":", 1)
    reference = digest or tag or "latest"
    ref = f"{registry}/{repository}" + (f"@{digest}" if digest else f":{tag or 'latest'}")
    return ref, host, repository, reference


def _address(host: str) -> str:
    """A made-up public address for a host, the same each time."""
    digest = hashlib.sha256(host.encode()).digest()
    return f"52.{digest[0] % 100 + 1}.{digest[1]}.{digest[2] % 254 + 1}"
