"""credentials: a task's AWS credentials, its task role's, as Fargate hands them out.

On Fargate a container gets its task role's credentials from the container credentials
endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, served at 169.254.170.2), which the SDKs
poll and refresh. Here the stand-in assumes the role itself through moto's STS, in this
process, with the task ID as the session name as ECS does (so the caller is
`arn:aws:sts::<account>:assumed-role/<role>/<task id>`), and puts the temporary keys in the
container's environment as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
The role is RunTask's `overrides.taskRoleArn`, else the task definition's `taskRoleArn`. A
task without a task role keeps the emulator's fake keys, which nothing checks (iam.py
enforces IAM for the assumed-role keys only).

ECS must be able to assume the role: it must exist in IAM and its trust policy must allow
sts:AssumeRole to the service principal ecs-tasks.amazonaws.com, with the statement's
Condition met by the context ECS sends (iam_conditions.py): aws:SourceAccount, the task's
account, and aws:SourceArn, the task's ARN (arn:<p>:ecs:<region>:<account>:task/<cluster>/
<id>: the ECS guide's advice is ArnLike arn:<p>:ecs:<region>:<account>:*, and an AWS engineer
wrote, in awsdocs/amazon-ecs-developer-guide#208, that `task/*` works there while scoping
the role to one cluster's tasks does not, so a `task/<cluster>/*` condition that passes
here may fail on AWS: not shown here). A Deny statement for ECS whose condition holds
refuses it. If ECS cannot assume the role, the task fails to start (stopCode
TaskFailedToStart) with ECS's sentence "ECS was unable to assume the role ..."; on AWS,
RunTask or the service scheduler may refuse such a task before it exists.

The task execution role is assumed the same way, with the same sentence when ECS cannot,
and what Fargate does as it before a container starts is checked in execution_role.py.

Not emulated: expiry and refresh (moto's keys never expire), session policies and tags.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from . import iam_conditions
from .processes import StartFailure

ECS_TASKS = "ecs-tasks.amazonaws.com"
SESSION_SECONDS = 6 * 3600  # what the container credentials endpoint hands out, about


def task_role_arn(task_definition: Any, overrides: dict | None) -> str | None:
    return (overrides or {}).get("taskRoleArn") or getattr(task_definition, "task_role_arn", None) or None


def role_credentials(account_id: str, region: str, role_arn: str, task_id: str,
                     task_arn: str | None = None) -> dict[str, str]:
    """The environment variables for the role's temporary keys; StartFailure if ECS could
    not assume it. `task_arn` is what ECS sends as aws:SourceArn (absent if not given)."""
    partition = get_partition(region)
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    try:
        role = iam_backends[role_account or account_id][partition].get_role_by_arn(role_arn)
        trusted = trusts_ecs_tasks(role.assume_role_policy_document, ecs_source_context(account_id, task_arn))
    except Exception:
        trusted = False
    if not trusted:
        raise StartFailure(
            f"ECS was unable to assume the role '{role_arn}' that was provided for this task. Please verify that "
            "the role being passed has the proper trust relationship and permissions and that your IAM user has "
            "permissions to pass this role.")
    assumed = sts_backends[account_id][partition].assume_role(
        region_name=region, role_session_name=task_id, role_arn=role_arn, policy="",
        duration=SESSION_SECONDS, external_id="")
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }


def ecs_source_context(account_id: str, task_arn: str | None) -> iam_conditions.Context:
    """The request context of ECS's AssumeRole for a task: who it acts for."""
    context = {"aws:sourceaccount": [account_id]}
    if task_arn:
        context["aws:sourcearn"] = [task_arn]
    return context


def trusts_ecs_tasks(document: Any, context: iam_conditions.Context | None = None) -> bool:
    """Whether a trust policy lets ECS tasks assume the role: an Allow of sts:AssumeRole to
    Principal.Service ecs-tasks.amazonaws.com whose Condition holds in `context` (what ECS
    sends, `ecs_source_context`; none: every key missing), and no such Deny."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            document = json.loads(urllib.parse.unquote(document))
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    concerned = [s for s in statements if _names_ecs_assume_role(s)
                 and iam_conditions.statement_applies(s, context or {})]
    if any(s.get("Effect") == "Deny" for s in concerned):
        return False
    return any(s.get("Effect") == "Allow" for s in concerned)


def _names_ecs_assume_role(statement: dict) -> bool:
    actions = statement.get("Action") or []
    actions = [actions] if isinstance(actions, str) else actions
    principal = statement.get("Principal") or {}
    services = principal.get("Service") or [] if isinstance(principal, dict) else []
    services = [services] if isinstance(services, str) else services
    return (any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)
            and (ECS_TASKS in services or principal == "*"))
