"""network: a task's network interface, as ECS makes it.

moto gives an awsvpc task a network interface in its first subnet, but with a random
address outside the subnet, a DNS name only in VPCs with DNS hostnames (and fails with a
500 in others), and it keeps the interface after the task is gone. Here, as ECS does: the
address is one of the subnet's, the name is `ip-a-b-c-d.<region>.compute.internal`, the
interface gets a public IP when assignPublicIp is ENABLED, it is in the VPC's default
security group when the task names none (moto fails on that), the task's ENI attachment is
PRECREATED while the task is PROVISIONING, ATTACHED from PENDING on and DELETED (the
interface with it) once the task is STOPPED. The task's availabilityZone is the subnet's.

Not emulated: security groups' rules, IPv6, and subnets after the first.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import random_private_ip, random_public_ip


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
    address = random_private_ip(subnet.cidr_block)
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
