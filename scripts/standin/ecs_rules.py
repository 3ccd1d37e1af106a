"""ecs_rules: ECS's refusals where moto accepts: capacity providers, names, tags, a busy cluster.

moto stores what it is given: a capacity provider strategy naming a provider the cluster
does not have (CreateService and UpdateService even drop the strategy), names and tags of
any length and any characters, and a second PutClusterCapacityProviders at once. On AWS
each of these is refused; a stack that passes here could fail on its first call there.

Emulated here, on the API requests only (the stand-in's own scheduler is not checked):
  - RunTask, CreateService, UpdateService with a capacityProviderStrategy naming a
    provider not associated with the cluster: InvalidParameterException "The specified
    capacity provider strategy cannot contain a capacity provider that is not associated
    with the cluster. Associate the capacity provider with the cluster or specify a valid
    capacity provider and try again." (AWS's words, as users report them for FARGATE_SPOT
    on a cluster without it).
  - RunTask and CreateService with both a capacityProviderStrategy and a launchType:
    InvalidParameterException "Specifying both a launch type and capacity provider
    strategy is not supported. Remove one and try again." (the API reference: "If a
    capacityProviderStrategy is specified, the launchType parameter must be omitted").
  - Names (the API reference: "Up to 255 letters (uppercase and lowercase), numbers,
    underscores, and hyphens are allowed"): a task definition family, ClientException
    "Family contains invalid characters."; a container name, ClientException
    "Container.name contains invalid characters." (both as AWS words them); a cluster name
    at CreateCluster and a service name at CreateService, InvalidParameterException in the
    form AWS uses for the cluster parameter ("Cluster must match ^[a-zA-Z0-9\\-_]{1,255}$,
    but was ..."). AWS checks length and characters in one pattern, so a name too long gets
    the same answer.
  - Tags on CreateCluster, CreateService, RegisterTaskDefinition, RunTask and TagResource,
    as the ECS Tag reference restricts them: a key of 1 to 128 characters, a value of 0
    to 256, both of letters, numbers, spaces and `_ . : / = + - @`; neither key nor value
    beginning with `aws:` in any case (reserved); at most 50 tags on a resource (TagResource
    counts the ones it already has). InvalidParameterException, in AWS's general validation
    wording: AWS does not document ECS's own, so the wording here is not AWS's.
  - A cluster's capacity providers taking a moment to attach: for --cluster-update-seconds
    after CreateCluster with capacityProviders or after PutClusterCapacityProviders, the
    cluster's attachmentsStatus is UPDATE_IN_PROGRESS (then UPDATE_COMPLETE), and another
    PutClusterCapacityProviders gets UpdateInProgressException (one of the errors the API
    reference lists for it; the attachmentsStatus values are documented too). The wording
    is the one reported for it, not found in AWS's documentation.
Not emulated: the cluster-not-ACTIVE refusal (ClientException "Cluster was not ACTIVE.")
AWS also gives there; UpdateClusterSettings in that window (moto does not serve
UpdateClusterSettings at all); capacity providers that do not exist or are not ACTIVE;
the cluster's default strategy when neither launchType nor strategy is given (moto's
behaviour stays); switching a service between launch type and strategy; tags on the
other ECS calls; names of capacity providers and task sets.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from typing import Any, Callable

from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import ECSException, EcsClientException, InvalidParameterException

DEFAULT_CLUSTER_UPDATE_SECONDS = 1.0
settings = {"cluster_update": DEFAULT_CLUSTER_UPDATE_SECONDS}

NAME = re.compile(r"[a-zA-Z0-9_-]{1,255}")
NAME_PATTERN = r"^[a-zA-Z0-9\-_]{1,255}$"
MAX_TAGS = 50
TAG_PUNCTUATION = set("_.:/=+-@")
NOT_ASSOCIATED = ("The specified capacity provider strategy cannot contain a capacity provider that is not "
                  "associated with the cluster. Associate the capacity provider with the cluster or specify "
                  "a valid capacity provider and try again.")
BOTH = ("Specifying both a launch type and capacity provider strategy is not supported. "
        "Remove one and try again.")
BUSY = ("The specified cluster is in a busy state. Cluster attachments must be in UPDATE_COMPLETE or "
        "CREATE_COMPLETE status.")
_lock = threading.RLock()


def configure(cluster_update_seconds: float | None = None) -> None:
    if cluster_update_seconds is not None:
        settings["cluster_update"] = cluster_update_seconds


def install(cluster_update_seconds: float = DEFAULT_CLUSTER_UPDATE_SECONDS) -> None:
    """Hooks moto's ECS responses once per process; the window may change at each call."""
    configure(cluster_update_seconds)
    responses = ecs_responses.EC2ContainerServiceResponse
    if getattr(responses, "_standin_ecs_rules", False):
        return
    responses._standin_ecs_rules = True
    _check(responses, "run_task", _check_run_task)
    _check(responses, "create_service", _check_create_service)
    _check(responses, "update_service", _check_update_service)
    _check(responses, "register_task_definition", _check_register_task_definition)
    _check(responses, "create_cluster", _check_create_cluster, after=_after_create_cluster)
    _check(responses, "put_cluster_capacity_providers", _check_put_capacity_providers,
           after=_after_put_capacity_providers)
    _check(responses, "tag_resource", _check_tag_resource)
    ecs_models.Cluster.attachments_status = property(attachments_status)


def _check(cls: type, name: str, before: Callable, after: Callable | None = None) -> None:
    """`before` reads the request (it may refuse) before moto answers it."""
    original = getattr(cls, name)

    def checked(self):
        with _lock:
            before(self)
            result = original(self)
            if after is not None:
                after(self)
            return result

    checked.__name__ = name
    checked.__doc__ = original.__doc__
    setattr(cls, name, checked)


# Capacity providers


def _check_run_task(response: Any) -> None:
    _check_strategy(response, response._get_param("capacityProviderStrategy"), response._get_param("launchType"))
    check_tags(response._get_param("tags"))


def _check_create_service(response: Any) -> None:
    check_name(response._get_param("serviceName"), "serviceName")
    _check_strategy(response, response._get_param("capacityProviderStrategy"), response._get_param("launchType"))
    check_tags(response._get_param("tags"))


def _check_update_service(response: Any) -> None:
    _check_strategy(response, response._get_param("capacityProviderStrategy"), None)


def _check_strategy(response: Any, strategy: list[dict] | None, launch_type: str | None) -> None:
    if not strategy:
        return
    if launch_type:
        raise InvalidParameterException(BOTH)
    cluster = _cluster(response)
    if cluster is None:
        return  # moto answers ClusterNotFoundException
    associated = {p.split("/")[-1] for p in cluster.capacity_providers or []}
    for item in strategy:
        if str(item.get("capacityProvider", "")).split("/")[-1] not in associated:
            raise InvalidParameterException(NOT_ASSOCIATED)


def _cluster(response: Any) -> Any | None:
    try:
        return response.ecs_backend._get_cluster(response._get_param("cluster", "default"))
    except ECSException:
        return None


def _check_create_cluster(response: Any) -> None:
    check_name(response._get_param("clusterName") or "default", "Cluster")
    check_tags(response._get_param("tags"))


def _after_create_cluster(response: Any) -> None:
    if response._get_param("capacityProviders"):
        cluster = _cluster_named(response, response._get_param("clusterName") or "default")
        _start_update(cluster)


def _check_put_capacity_providers(response: Any) -> None:
    cluster = _cluster(response)
    if cluster is not None and time.monotonic() < getattr(cluster, "_standin_updating_until", 0.0):
        raise ECSException("UpdateInProgressException", BUSY)


def _after_put_capacity_providers(response: Any) -> None:
    _start_update(_cluster(response))


def _cluster_named(response: Any, name: str) -> Any | None:
    return response.ecs_backend.clusters.get(name)


def _start_update(cluster: Any | None) -> None:
    if cluster is not None:
        cluster._standin_updating_until = time.monotonic() + settings["cluster_update"]


def attachments_status(cluster: Any) -> str | None:
    """UPDATE_IN_PROGRESS within the window, UPDATE_COMPLETE after; none if never updated."""
    until = getattr(cluster, "_standin_updating_until", None)
    if until is None:
        return None
    return "UPDATE_IN_PROGRESS" if time.monotonic() < until else "UPDATE_COMPLETE"


# Names


def check_name(name: Any, what: str) -> None:
    """A cluster or service name: InvalidParameterException, in AWS's pattern wording."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidParameterException(f"{what} must match {NAME_PATTERN}, but was {name}")


def _check_register_task_definition(response: Any) -> None:
    family = response._get_param("family")
    if not isinstance(family, str) or not NAME.fullmatch(family):
        raise EcsClientException("Family contains invalid characters.")
    for container in response._get_param("containerDefinitions") or []:
        name = container.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise EcsClientException("Container.name contains invalid characters.")
    check_tags(response._get_param("tags"))


# Tags


def check_tags(tags: list[dict] | None, total: int | None = None) -> None:
    """`total`: how many the resource would have (TagResource adds to what it has)."""
    tags = tags or []
    if (len(tags) if total is None else total) > MAX_TAGS:
        raise InvalidParameterException(
            f"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have "
            f"length less than or equal to {MAX_TAGS}")
    for index, tag in enumerate(tags, start=1):
        _check_tag_part(tag.get("key"), f"tags.{index}.member.key", 1, 128)
        _check_tag_part(tag.get("value") or "", f"tags.{index}.member.value", 0, 256)


def _check_tag_part(text: Any, where: str, shortest: int, longest: int) -> None:
    text = text if isinstance(text, str) else ""
    if len(text) < shortest:
        problem = f"Member must have length greater than or equal to {shortest}"
    elif len(text) > longest:
        problem = f"Member must have length less than or equal to {longest}"
    elif not all(_tag_character(c) for c in text):
        problem = r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
    elif text.lower().startswith("aws:"):
        problem = "the aws: prefix is reserved for AWS use"
    else:
        return
    raise InvalidParameterException(
        f"1 validation error detected: Value '{text}' at '{where}' failed to satisfy constraint: {problem}")


def _tag_character(char: str) -> bool:
    """Unicode letters, separators and numbers, and `_ . : / = + - @`, as the pattern says."""
    return unicodedata.category(char)[0] in "LZN" or char in TAG_PUNCTUATION


def _check_tag_resource(response: Any) -> None:
    new = response._get_param("tags") or []
    keys = {t.get("key") for t in _existing_tags(response)} | {t.get("key") for t in new}
    check_tags(new, total=len(keys))


def _existing_tags(response: Any) -> list[dict]:
    arn = response._get_param("resourceArn") or ""
    backend = response.ecs_backend
    try:
        return list(backend._get_resource(arn, backend._parse_resource_arn(arn)).tags or [])
    except Exception:  # moto answers the unknown resource
        return []
