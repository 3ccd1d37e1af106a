"""iam_implicit: the authorizations AWS adds to RunTask and RegisterTaskDefinition.

Some calls need more than their own action. The ECS service authorization reference lists,
for RunTask and RegisterTaskDefinition, besides ecs:RunTask or ecs:RegisterTaskDefinition:
  - iam:PassRole on each role the task will run with, with iam:PassedToService =
    ecs-tasks.amazonaws.com: for RegisterTaskDefinition its taskRoleArn and
    executionRoleArn; for RunTask the task's roles, RunTask's overrides.taskRoleArn and
    overrides.executionRoleArn, else the task definition's (callers meet this refusal on
    RunTask with no override, e.g. aws/serverless-application-model#2247);
  - ecs:TagResource on the resource created, with ecs:CreateAction = the action's name,
    when the call carries `tags` (ECS's "Grant permission to tag resources on creation";
    tagResourceAuthorization is on for every account). The resource is the new task
    definition revision, or for RunTask a task of the request's cluster, whose ID does not
    exist yet: a fresh one stands in for it, so only a pattern such as task/<cluster>/*
    grants it, as on AWS.
moto checks none of these. Here they are checked, with conditions (iam_conditions.py), for
the requests iam.py checks, after the call's own action; a refusal is AWS's
AccessDeniedException, worded as AWS words it: "User: <caller> is not authorized to perform:
iam:PassRole on resource: <role ARN> because no identity-based policy allows the
iam:PassRole action" (or "with an explicit deny in an identity-based policy").

Not emulated: PassRole for the other actions that take a role (CreateService's `role`,
StartTask, CreateCapacityProvider, ...), iam:AssociatedResourceArn, and tags on create for
the other tag-on-create actions (CreateService, CreateCluster, ...).
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.exceptions import _RESTError
from moto.ecs.models import ecs_backends
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.utilities.utils import get_partition

from . import iam_conditions
from .iam_conditions import Context, param

ECS_TASKS = "ecs-tasks.amazonaws.com"


class ImplicitAccessDenied(_RESTError):
    code = 403  # as moto's AccessDeniedError, which iam.py turns into AWS's JSON error

    def __init__(self, caller: str, action: str, resource: str, explicit: bool):
        why = ("with an explicit deny in an identity-based policy" if explicit
               else f"because no identity-based policy allows the {action} action")
        super().__init__("AccessDenied",
                         f"User: {caller} is not authorized to perform: {action} on resource: {resource} {why}")


def check(response: Any, request: Any, context: Context) -> None:
    """The added authorizations of `request` (an IAMRequest whose own action passed);
    ImplicitAccessDenied on the first refused."""
    action = request._action
    if action not in ("ecs:RunTask", "ecs:RegisterTaskDefinition"):
        return
    globals_only = {k: v for k, v in context.items() if k.startswith("aws:")}
    for role in passed_roles(response, action):
        authorize(request, "iam:PassRole", role, {**globals_only, "iam:passedtoservice": [ECS_TASKS]})
    if param(response, "tags"):
        created = created_arn(response, action)
        tagging = {**context, "ecs:createaction": [action.partition(":")[2]]}
        if action == "ecs:RegisterTaskDefinition":
            tagging.pop("ecs:cluster", None)  # a task definition belongs to no cluster
        authorize(request, "ecs:TagResource", created, tagging)


def authorize(request: Any, action: str, resource: str, context: Context) -> None:
    """moto's evaluation of the caller's policies for one action on one resource, with
    conditions judged against `context`."""
    allowed = False
    with iam_conditions.evaluating(context):
        for policy in request._access_key.collect_policies():
            verdict = IAMPolicy(policy).is_action_permitted(action, resource)
            if verdict == PermissionResult.DENIED:
                raise ImplicitAccessDenied(request._access_key.arn, action, resource, explicit=True)
            allowed = allowed or verdict == PermissionResult.PERMITTED
    if not allowed:
        raise ImplicitAccessDenied(request._access_key.arn, action, resource, explicit=False)


def passed_roles(response: Any, action: str) -> list[str]:
    """The role ARNs the call hands to ECS, each once."""
    if action == "ecs:RegisterTaskDefinition":
        roles = [param(response, "taskRoleArn"), param(response, "executionRoleArn")]
    else:
        overrides = param(response, "overrides") or {}
        definition = task_definition(response)
        roles = [overrides.get("taskRoleArn") or getattr(definition, "task_role_arn", None),
                 overrides.get("executionRoleArn") or getattr(definition, "execution_role_arn", None)]
    arns = [role_arn(response, str(r)) for r in roles if r]
    return list(dict.fromkeys(arns))


def task_definition(response: Any) -> Any:
    given = param(response, "taskDefinition")
    if not given:
        return None
    try:
        return ecs_backends[response.current_account][response.region].describe_task_definition(str(given))
    except Exception:
        return None  # RunTask itself will say it does not exist


def role_arn(response: Any, role: str) -> str:
    """A role as ECS takes it (name or ARN), as an ARN."""
    if role.startswith("arn:"):
        return role
    return f"arn:{get_partition(response.region)}:iam::{response.current_account}:role/{role}"


def created_arn(response: Any, action: str) -> str:
    """The ARN of the resource the call creates (for RunTask, a task ID not yet drawn)."""
    account, region = response.current_account, response.region
    base = f"arn:{get_partition(region)}:ecs:{region}:{account}"
    if action == "ecs:RegisterTaskDefinition":
        family = str(param(response, "family") or "")
        revisions = ecs_backends[account][region].task_definitions.get(family, {})
        return f"{base}:task-definition/{family}:{max(revisions, default=0) + 1}"
    cluster = str(param(response, "cluster") or "default").rsplit("/", 1)[-1]
    return f"{base}:task/{cluster}/{uuid.uuid4().hex}"
