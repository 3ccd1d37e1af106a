"""iam_conditions: IAM Condition blocks, evaluated for the requests iam.py checks.

On AWS a statement applies only if its Condition block holds against the request context,
the keys and values AWS fills in for that request. moto 5.2.5 does not evaluate
conditions: apart from sts:ExternalId on AssumeRole it treats every condition as met, and
a statement whose condition it does find unmet counts as an explicit Deny, even an Allow.
Here, for the requests iam.py checks (signed with AssumeRole keys), moto's
IAMPolicyStatement is hooked so that a statement whose condition does not hold is
neutral: an Allow grants nothing, a Deny refuses nothing. Everything else stays moto's.

The operators, with the IAM User Guide's semantics ("IAM JSON policy elements: Condition
operators", "Single-valued vs. multivalued context keys"):
  - StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
    StringLike, StringNotLike (`*` and `?` wildcards, case-sensitive), ArnEquals, ArnLike,
    ArnNotEquals, ArnNotLike (each of the six colon-separated parts matched on its own,
    wildcards allowed in both), Bool and Null;
  - several values for one key: any of them (OR); for a Not operator, none of them;
    several keys or operators: all of them (AND); keys case-insensitive;
  - a key missing from the request context: the condition is false, true for a Not
    operator, true with the ...IfExists suffix, and what Null asks about; ForAllValues: is
    true for a missing key, ForAnyValue: false.
The keys, as AWS fills them for the request (`request_context`):
  - ecs:cluster: the cluster's ARN, on the ECS actions the service authorization reference
    gives it (RunTask, StartTask, StopTask, DescribeTasks, ListTasks, CreateService,
    UpdateService, DescribeServices, ...), from the request's `cluster` ("default" when
    absent) or, for TagResource and UntagResource, from the tagged resource's ARN;
  - cloudwatch:namespace: PutMetricData's Namespace;
  - aws:RequestedRegion: the region the request is signed for;
  - aws:SecureTransport: "true". The stand-in serves plain HTTP on loopback, but each
    request stands for one an SDK makes to AWS's HTTPS endpoint, so a policy that
    requires TLS is met here as it is there;
  - iam:PassedToService and ecs:CreateAction: in the authorizations AWS adds to RunTask
    and RegisterTaskDefinition (iam_implicit.py);
  - aws:SourceAccount and aws:SourceArn: only in the context ECS sends when it assumes a
    task's role (credentials.py); a request a task signs itself has neither, as on AWS;
  - sts:ExternalId, as moto reads it from AssumeRole.
A key not in that list, or an operator not in the one above, is not modelled: the
condition fails closed (an Allow grants nothing, a Deny applies) and a warning names it
once, so a policy that relies on something unmodelled is noticed rather than passed.

Not emulated: the Numeric, Date, IpAddress and Binary operators, policy variables
(`${aws:username}`), multivalued request keys (aws:TagKeys and the like), tag keys
(aws:RequestTag, aws:ResourceTag, aws:PrincipalTag), and resource policies: moto does not
evaluate an SQS queue's or SNS topic's policy at all, so their aws:SourceArn and
aws:SourceAccount conditions are never checked here.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from typing import Any, Callable, Iterator

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.utilities.utils import get_partition

log = logging.getLogger("standin")

# Request context: lower-cased key -> its values. A key is absent if the request has none.
Context = dict[str, list[str]]

# The keys the stand-in fills in where AWS would: one absent from a request's context is
# missing there (the documented semantics); any other key is not modelled.
MODELLED_KEYS = frozenset({
    "ecs:cluster", "ecs:createaction", "cloudwatch:namespace", "iam:passedtoservice",
    "aws:requestedregion", "aws:securetransport", "aws:sourceaccount", "aws:sourcearn",
    "sts:externalid",
})

# The ECS actions that carry ecs:cluster (the service authorization reference's list).
ECS_CLUSTER_ACTIONS = frozenset({
    "ContinueServiceDeployment", "CreateService", "CreateTaskSet", "DeleteAttributes", "DeleteService",
    "DeleteTaskSet", "DescribeContainerInstances", "DescribeServiceDeployments", "DescribeServiceRevisions",
    "DescribeServices", "DescribeTaskSets", "DescribeTasks", "ExecuteCommand", "GetTaskProtection",
    "ListServiceDeployments", "ListServices", "ListTasks", "PutAttributes", "RunTask", "StartTask",
    "StopServiceDeployment", "StopTask", "TagResource", "UntagResource", "UpdateContainerAgent",
    "UpdateContainerInstancesState", "UpdateService", "UpdateServicePrimaryTaskSet", "UpdateTaskProtection",
    "UpdateTaskSet",
})

_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar("standin_iam_context", default=None)
_warned: set[str] = set()


# Evaluation

def holds(block: Any, context: Context) -> bool | None:
    """Whether a Condition block holds; None if it uses something not modelled (and no
    part of it is false: one false part makes the whole false, whatever the rest)."""
    if not isinstance(block, dict):
        return _unmodelled("Condition block", repr(block))
    verdict: bool | None = True
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            return _unmodelled("Condition block", repr(block))
        for key, values in keys.items():
            one = condition_holds(operator, key, values, context)
            if one is False:
                return False
            if one is None:
                verdict = None
    return verdict


def condition_holds(operator: str, key: str, values: Any, context: Context) -> bool | None:
    """One operator on one key, against the request context; None if not modelled."""
    parsed = _parse_operator(operator)
    if parsed is None:
        return _unmodelled("operator", operator)
    qualifier, base, if_exists = parsed
    key = key.lower()
    if key not in context and key not in MODELLED_KEYS:
        return _unmodelled("condition key", key)
    wanted = [_as_text(v) for v in (values if isinstance(values, list) else [values])]
    if any("${" in v for v in wanted):
        return _unmodelled("policy variable in", f"{operator} {key}")
    present = context.get(key) or []
    if base == "Null":
        return any((v.lower() == "true") != bool(present) for v in wanted)
    match, negated = OPERATORS[base]
    if not present:
        if if_exists or qualifier == "ForAllValues":
            return True
        return False if qualifier == "ForAnyValue" else negated

    def one(value: str) -> bool:
        hit = any(match(w, value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in present)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in present)
    return all(one(v) for v in present) if negated else any(one(v) for v in present)


def _parse_operator(operator: str) -> tuple[str | None, str, bool] | None:
    qualifier, _, base = operator.rpartition(":")
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        return None
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in OPERATORS and base != "Null":
        return None
    if base == "Null" and (if_exists or qualifier):
        return None  # IAM has no NullIfExists, and Null takes no set qualifier
    return qualifier or None, base, if_exists


def _as_text(value: Any) -> str:
    # JSON policies may write Bool values as true/false rather than strings.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _glob(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnEquals and ArnLike alike: each of the six colon-separated parts on its own."""
    wanted, given = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(_glob(w, g) for w, g in zip(wanted, given))


OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    # base operator -> (how one policy value matches one context value, negated)
    "StringEquals": (lambda w, v: w == v, False),
    "StringNotEquals": (lambda w, v: w == v, True),
    "StringEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), True),
    "StringLike": (_glob, False),
    "StringNotLike": (_glob, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda w, v: w.lower() == v.lower(), False),
}


def _unmodelled(what: str, name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning("IAM %s %s is not modelled by the stand-in: the condition fails closed "
                    "(an Allow grants nothing, a Deny applies)", what, name)
    return None


def statement_applies(statement: dict, context: Context) -> bool:
    """Whether a statement's Condition lets it apply, failing closed when not modelled."""
    if not statement.get("Condition"):
        return True
    verdict = holds(statement["Condition"], context)
    if verdict is None:
        return statement.get("Effect") == "Deny"
    return verdict


# The hook into moto's evaluation

@contextlib.contextmanager
def evaluating(context: Context) -> Iterator[None]:
    """Within this block, moto's policy statements are judged with their conditions
    against `context` (moto's own incoming values, sts:ExternalId, added to it)."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def install() -> None:
    """Hooks moto's IAMPolicyStatement once per process; it acts only within `evaluating`."""
    if getattr(IAMPolicyStatement, "_standin_conditions", False):
        return
    IAMPolicyStatement._standin_conditions = True
    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self: Any, action: str, resource: str = "*", principal: str | None = None,
                            incoming_condition_values: dict[str, str] | None = None) -> PermissionResult:
        context = _context.get()
        if context is None or not self._statement.get("Condition"):
            return original(self, action, resource, principal, incoming_condition_values)
        # moto's verdict without the condition first: a statement that does not concern the
        # action or resource needs no condition judged (and warns of nothing).
        bare = IAMPolicyStatement({k: v for k, v in self._statement.items() if k != "Condition"})
        verdict = original(bare, action, resource, principal, incoming_condition_values)
        if verdict == PermissionResult.NEUTRAL:
            return verdict
        extra = {k.lower(): [v] for k, v in (incoming_condition_values or {}).items()}
        return verdict if statement_applies(self._statement, {**context, **extra}) else PermissionResult.NEUTRAL

    is_action_permitted.__doc__ = original.__doc__
    IAMPolicyStatement.is_action_permitted = is_action_permitted


# The request context

def request_context(response: Any, action: str, region: str) -> Context:
    """The keys AWS fills in for this request (`action` as IAM names it, `region` the one
    it is signed for)."""
    context: Context = {"aws:requestedregion": [region], "aws:securetransport": ["true"]}
    service, _, name = action.partition(":")
    if service == "ecs" and name in ECS_CLUSTER_ACTIONS:
        cluster = ecs_cluster_arn(response, name)
        if cluster:
            context["ecs:cluster"] = [cluster]
    if action == "cloudwatch:PutMetricData":
        namespace = param(response, "Namespace")
        if namespace:
            context["cloudwatch:namespace"] = [str(namespace)]
    return context


def ecs_cluster_arn(response: Any, action: str) -> str | None:
    """The cluster an ECS request acts in, as an ARN."""
    account, region = response.current_account, response.region
    base = f"arn:{get_partition(region)}:ecs:{region}:{account}"
    if action in ("TagResource", "UntagResource"):
        return cluster_of_resource(str(param(response, "resourceArn") or ""))
    given = str(param(response, "cluster") or "default")
    return given if given.startswith("arn:") else f"{base}:cluster/{given}"


def cluster_of_resource(arn: str) -> str | None:
    """The cluster of a cluster, service, task or container instance ARN (long format)."""
    head, sep, path = arn.partition(":cluster/")
    if sep:
        return f"{head}:cluster/{path.split('/')[0]}"
    for kind in ("service", "task", "container-instance", "task-set"):
        head, sep, path = arn.partition(f":{kind}/")
        if sep and "/" in path:  # the long ARN format names the cluster first
            return f"{head}:cluster/{path.split('/')[0]}"
    return None


def param(response: Any, name: str) -> Any:
    """A request parameter, however the service's protocol carried it (moto parses them)."""
    try:
        return response._get_param(name)
    except Exception:
        return None
