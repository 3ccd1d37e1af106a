"""ec2_rules: what a deletion in EC2 leaves behind for a while, and what AWS refuses meanwhile.

moto deletes at once and checks almost no dependency: DeleteVpcEndpoints drops an interface
endpoint's network interfaces in the same call, DeleteNatGateway answers `deleted` and
leaves the gateway's interface and elastic IP behind forever, and DeleteSubnet,
DeleteSecurityGroup, DetachInternetGateway and ReleaseAddress succeed whatever still uses
them. On AWS the first two are asynchronous and the last four refuse while something
depends on what they delete; a destroy written against moto fails the first time on AWS.

Emulated here, as the EC2 API reference and the errors AWS sends say:
  - DeleteVpcEndpoints of an interface endpoint returns at once; the endpoint reads
    `deleting` for --endpoint-delete-seconds, then `deleted` (it stays listed, as moto
    keeps it and as AWS shows it for a while). Its network interfaces, one per subnet, in
    the endpoint's security groups (the VPC's default group when it names none), with an
    address of their subnet, stay until then and are listed by DescribeNetworkInterfaces.
    AWS gives no figure; interface endpoints are reported to take a few minutes. Gateway
    endpoints go at once, as in moto (their routes are removed in the call).
  - DeleteNatGateway returns at once; the gateway reads `deleting` for --nat-delete-seconds,
    then `deleted`, with its deleteTime. Until then its network interface stays in its
    subnet and its elastic IP stays associated; the deletion then disassociates the address
    ("Deleting a NAT gateway disassociates its Elastic IP address, but does not release the
    address") and removes the interface. AWS documents no duration; tools that delete NAT
    gateways are reported to wait for `deleted` before they release the address.
    DeleteNatGateway of an unknown id is NatGatewayNotFound (moto fails with a 500).
  - DeleteSubnet while any network interface is in the subnet (a lingering endpoint or NAT
    gateway interface, a task's, an instance's): DependencyViolation "The subnet
    'subnet-...' has dependencies and cannot be deleted."
  - DeleteSecurityGroup while a network interface is in the group, or another group's rule
    names it: DependencyViolation "resource sg-... has a dependent object".
  - DetachInternetGateway while an interface in the VPC has a public address (an elastic IP,
    a NAT gateway's among them, or a task's assignPublicIp address): DependencyViolation
    "Network vpc-... has some mapped public address(es). Please unmap those public
    address(es) before detaching the gateway."
  - ReleaseAddress of an elastic IP a NAT gateway still holds: AuthFailure "You do not have
    permission to access the specified resource." (AWS's answer then, as users report it,
    until the gateway is deleted); of one associated otherwise, outside the default VPC:
    InvalidIPAddress.InUse "Address ... is in use." (moto disassociates silently).
  - CreateRoute for a destination the table already routes: RouteAlreadyExists, also when
    that route is a blackhole (moto refuses already; here with AWS's closing period).
    ReplaceRoute is the call that changes it.
  - A route's state: `blackhole` once its NAT gateway is deleted (or failed), or its
    internet gateway is detached from the table's VPC or deleted; moto always says
    `active`. A NAT gateway that is still `deleting` may still carry traffic, as AWS says,
    so its routes stay active until it is gone.
Time passes between requests: each EC2 request first completes the deletions that are due.

Not emulated: DeleteNetworkInterface of an endpoint's or a NAT gateway's interface (AWS
refuses a requester-managed interface; moto deletes it), deleted endpoints and NAT
gateways leaving the listings after a while, the VPC association and prefix list references
that also hold a security group, routes to deleted interfaces, instances and peering
connections turning blackhole, Gateway Load Balancer endpoints, and IPv6.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.ec2 import models as ec2_models
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.route_tables import Route
from moto.ec2.responses import EC2Response

from . import network

DEFAULT_ENDPOINT_DELETE_SECONDS = 2.0
DEFAULT_NAT_DELETE_SECONDS = 2.0
# How long a deletion takes here; server.py's flags set them, tests may change them.
delays = {"endpoint": DEFAULT_ENDPOINT_DELETE_SECONDS, "nat": DEFAULT_NAT_DELETE_SECONDS}
# Guards the deletions in progress: requests are served on several threads.
_lock = threading.RLock()


def configure(endpoint_delete_seconds: float | None = None, nat_delete_seconds: float | None = None) -> None:
    if endpoint_delete_seconds is not None:
        delays["endpoint"] = endpoint_delete_seconds
    if nat_delete_seconds is not None:
        delays["nat"] = nat_delete_seconds


def install(endpoint_delete_seconds: float = DEFAULT_ENDPOINT_DELETE_SECONDS,
            nat_delete_seconds: float = DEFAULT_NAT_DELETE_SECONDS) -> None:
    """Hooks moto's EC2 backend once per process; the delays may change at each call."""
    configure(endpoint_delete_seconds, nat_delete_seconds)
    backend = ec2_models.EC2Backend
    if getattr(backend, "_standin_ec2_rules", False):
        return
    backend._standin_ec2_rules = True
    _hook(backend, "create_vpc_endpoint", after=_after_create_vpc_endpoint)
    _hook(backend, "delete_vpc_endpoints", replace=_delete_vpc_endpoints)
    _hook(backend, "delete_nat_gateway", replace=_delete_nat_gateway)
    _hook(backend, "delete_subnet", before=_refuse_used_subnet)
    _hook(backend, "delete_security_group", before=_refuse_used_group)
    _hook(backend, "detach_internet_gateway", before=_refuse_mapped_addresses)
    _hook(backend, "release_address", before=_refuse_associated_address)
    _hook(backend, "create_route", replace=_create_route)
    Route.state = property(route_state)
    EC2Response.call_action = _settling(EC2Response.call_action)


def _hook(cls: type, name: str, before: Callable | None = None, after: Callable | None = None,
          replace: Callable | None = None) -> None:
    """`before` may refuse; `after` sees the result; `replace` gets moto's method first."""
    original = getattr(cls, name)

    def hooked(self, *args, **kwargs):
        with _lock:
            if replace is not None:
                return replace(original, self, *args, **kwargs)
            if before is not None:
                before(self, *args, **kwargs)
            result = original(self, *args, **kwargs)
            if after is not None:
                after(self, result)
            return result

    hooked.__name__ = name
    hooked.__doc__ = original.__doc__
    setattr(cls, name, hooked)


def _settling(call_action: Callable) -> Callable:
    """Every EC2 request first completes the deletions whose time has come."""
    def settled_call_action(self):
        settle(self.ec2_backend)
        return call_action(self)
    return settled_call_action


def dependency_violation(message: str) -> EC2ClientError:
    return EC2ClientError("DependencyViolation", message)


# Deletions that take a while


def settle(ec2: Any) -> None:
    now = time.monotonic()
    with _lock:
        for endpoint in list(ec2.vpc_end_points.values()):
            due = getattr(endpoint, "_standin_gone_at", None)
            if due is not None and now >= due:
                _finish_endpoint(ec2, endpoint)
        for nat in list(ec2.nat_gateways.values()):
            due = getattr(nat, "_standin_gone_at", None)
            if due is not None and now >= due:
                _finish_nat_gateway(ec2, nat)


def _after_create_vpc_endpoint(ec2: Any, endpoint: Any) -> None:
    """An interface endpoint's interfaces as AWS makes them: in the endpoint's groups, with an
    address of their subnet (moto gives a random one), marked as the endpoint's."""
    if not _is_interface(endpoint):
        return
    groups = [ec2.get_security_group_from_id(g) for g in endpoint.security_group_ids]
    for eni_id in endpoint.network_interface_ids:
        eni = ec2.enis.get(eni_id)
        if eni is None:
            continue
        if groups and all(groups):
            eni._group_set = groups
        address = network.free_address(ec2, eni.subnet)
        eni.private_ip_address = address
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": address}]
        eni.description = f"VPC Endpoint Interface {endpoint.id}"
        eni.interface_type = "vpc_endpoint"
        eni.requester_managed = True
        eni.status = "in-use"


def _delete_vpc_endpoints(original: Callable, ec2: Any, vpce_ids: list[str] | None = None) -> None:
    """Interface endpoints start `deleting`; the others go as moto deletes them."""
    at_once = []
    for vpce_id in vpce_ids or []:
        endpoint = ec2.vpc_end_points.get(vpce_id)
        if endpoint is None or not _is_interface(endpoint):
            at_once.append(vpce_id)
        elif endpoint.state not in ("deleting", "deleted"):
            endpoint.state = "deleting"
            endpoint._standin_gone_at = time.monotonic() + delays["endpoint"]
    return original(ec2, at_once)


def _finish_endpoint(ec2: Any, endpoint: Any) -> None:
    for eni_id in endpoint.network_interface_ids:
        ec2.enis.pop(eni_id, None)
    endpoint.state = "deleted"
    endpoint._standin_gone_at = None


def _is_interface(endpoint: Any) -> bool:
    return (endpoint.vpc_endpoint_type or "").lower() == "interface"


def _delete_nat_gateway(original: Callable, ec2: Any, nat_gateway_id: str) -> Any:
    nat = ec2.nat_gateways.get(nat_gateway_id)
    if nat is None:
        raise EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
    if nat.state in ("deleting", "deleted"):
        return nat
    original(ec2, nat_gateway_id)  # moto marks it deleted; it is only starting to go
    nat.state = "deleting"
    nat._standin_gone_at = time.monotonic() + delays["nat"]
    return nat


def _finish_nat_gateway(ec2: Any, nat: Any) -> None:
    eni = getattr(nat, "_eni", None)
    for eip in list(ec2.addresses):
        if eni is not None and eip.eni is eni:
            ec2.disassociate_address(address=eip.public_ip)
    if eni is not None:
        ec2.enis.pop(eni.id, None)
    nat.state = "deleted"
    nat.delete_time = iso_8601_datetime_with_milliseconds(utcnow())
    nat._standin_gone_at = None


# Refusals while something depends on what is deleted


def _refuse_used_subnet(ec2: Any, subnet_id: str) -> None:
    if any(getattr(eni.subnet, "id", None) == subnet_id for eni in list(ec2.enis.values())):
        raise dependency_violation(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")


def _refuse_used_group(ec2: Any, name: str | None = None, group_id: str | None = None) -> None:
    group = ec2.get_security_group_by_name_or_id(group_id or name) if (group_id or name) else None
    if group is None:
        return  # moto answers InvalidGroup.NotFound
    in_use = any(group.id in {g.id for g in eni.group_set} for eni in list(ec2.enis.values()))
    if in_use or _referenced_by_other_group(ec2, group):
        raise dependency_violation(f"resource {group.id} has a dependent object")


def _referenced_by_other_group(ec2: Any, group: Any) -> bool:
    for other in list(ec2.groups.get(group.vpc_id, {}).values()):
        if other.id == group.id:
            continue  # a group's rules naming itself do not hold it
        for rule in list(other.ingress_rules) + list(other.egress_rules):
            if (rule.source_group or {}).get("GroupId") == group.id:
                return True
    return False


def _refuse_mapped_addresses(ec2: Any, internet_gateway_id: str, vpc_id: str) -> None:
    gateway = ec2.internet_gateways.get(internet_gateway_id)
    if gateway is None or gateway.vpc is None or gateway.vpc.id != vpc_id:
        return  # moto answers the error for a gateway that is not attached there
    for eni in list(ec2.enis.values()):
        if eni.public_ip and getattr(eni.subnet, "vpc_id", None) == vpc_id:
            raise dependency_violation(
                f"Network {vpc_id} has some mapped public address(es). Please unmap those public "
                "address(es) before detaching the gateway.")


def _refuse_associated_address(ec2: Any, address: str | None = None, allocation_id: str | None = None) -> None:
    if allocation_id:
        found = [a for a in ec2.addresses if a.allocation_id == allocation_id]
    else:
        found = [a for a in ec2.addresses if a.public_ip == address]
    if not found or found[0].eni is None:
        return  # moto answers an unknown address; a free one is released
    eip = found[0]
    if any(getattr(nat, "_eni", None) is eip.eni for nat in ec2.nat_gateways.values()):
        raise EC2ClientError("AuthFailure", "You do not have permission to access the specified resource.")
    vpc = ec2.vpcs.get(getattr(eip.eni.subnet, "vpc_id", None))
    if vpc is not None and not vpc.is_default:
        raise EC2ClientError("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")


# Routes


def _create_route(original: Callable, ec2: Any, *args, **kwargs) -> Any:
    try:
        return original(ec2, *args, **kwargs)
    except EC2ClientError as error:
        if error.code != "RouteAlreadyExists":
            raise
        # moto's wording without AWS's closing period.
        raise EC2ClientError("RouteAlreadyExists", f"{error.message.rstrip('.')}.") from None


def route_state(route: Any) -> str:
    """`blackhole` when the route's target is gone (see the docstring), else `active`."""
    nat = route.nat_gateway
    if nat is not None and nat.state in ("deleted", "failed"):
        return "blackhole"
    gateway = route.gateway
    if gateway is not None and str(getattr(gateway, "id", "")).startswith("igw-"):
        ec2 = route.route_table.ec2_backend
        attached = getattr(ec2.internet_gateways.get(gateway.id), "vpc", None)
        if attached is None or attached.id != route.route_table.vpc_id:
            return "blackhole"
    return "active"
