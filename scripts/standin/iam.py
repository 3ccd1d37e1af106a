"""iam: IAM enforced for the tasks' role credentials, and for no other caller.

moto checks IAM policies only once its process-wide count of unauthenticated requests
(INITIAL_NO_AUTH_ACTION_COUNT) is used up, and then for every request: the program under
test, the tests and the sandbox would all need real IAM users. Here, instead, a request
is checked if and only if it is signed with keys that moto's STS issued by AssumeRole
(looked up in moto's STS backend: the task role keys credentials.py hands out, or any
other AssumeRole's), with moto's own authenticator (moto.iam.access_control.IAMRequest,
as moto's ActionAuthenticatorMixin runs it): the signature must match (over a form body
as the client encoded it, which moto would re-encode its own way: `check_signature`), and
the role's inline and attached policies must allow the action. A denied call gets moto's words,
"User: arn:aws:sts::<account>:assumed-role/<role>/<task id> is not authorized to perform:
<service>:<Action>", as AccessDenied (XML) from query-protocol services (IAM, STS, EC2) and
as AccessDeniedException (JSON, as AWS sends it there) from the others: moto would send XML
that their SDKs cannot parse. Every other request is served unchecked, as before.
`install(enforce=False)` (fargate_standin.py --no-task-role-enforcement) turns it off.

How moto evaluates, and so what this enforces (moto 5.2.5):
  - actions, with wildcards, and Allow / explicit Deny between statements and policies;
  - resources, against the resource moto names for the request: IAM (role requests), STS
    (AssumeRole) and SQS requests name theirs; for ECS, CloudWatch Logs and Secrets
    Manager this module names them as AWS's service authorization reference does (see
    `resources_of`: the task definition RunTask runs and RegisterTaskDefinition makes, the
    tasks DescribeTasks and StopTask touch, the resource TagResource tags, the log stream
    GetLogEvents reads, the log group other Logs calls name, the secret), and the role or
    queue moto cannot name because it does not exist yet (CreateRole, GetRole of a missing
    role, CreateQueue, GetQueueUrl by name),
    each checked in turn; for the rest (EC2, SNS, EventBridge, ...) moto names "*", so a
    statement whose Resource lists specific ARNs grants nothing there (an AccessDenied
    AWS would not give), while a Resource "*" statement grants the action on everything;
  - actions as IAM names them: moto builds the action from the signing name, which for
    CloudWatch is "monitoring"; here it is "cloudwatch:" as on AWS (`iam_action`);
  - Condition blocks, which moto treats as met (it only compares sts:ExternalId on
    AssumeRole): here they are evaluated (iam_conditions.py) for the operators and keys
    the stack's policies use (String*, Arn*, Bool, Null, with ForAnyValue:/ForAllValues:
    and ...IfExists; ecs:cluster, cloudwatch:namespace, iam:PassedToService,
    ecs:CreateAction, aws:RequestedRegion, aws:SecureTransport), and a condition on
    anything else fails closed with a warning;
  - the permissions RunTask and RegisterTaskDefinition add (iam_implicit.py): iam:PassRole
    on the task's roles, with iam:PassedToService, and ecs:TagResource with
    ecs:CreateAction when they carry tags;
  - not resource policies (an SQS queue's or SNS topic's aws:SourceArn condition is never
    checked), permission boundaries, SCPs, session policies, or the implicit permissions
    of other calls.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode, urlparse

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.core.utils import get_service_model
from moto.ecs.models import ecs_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.iam.models import get_account_id_from
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from . import iam_conditions, iam_implicit

enforcing = True
# moto renders its authorization errors as XML, which SDKs of JSON-protocol services (ECS,
# CloudWatch Logs, Secrets Manager...) cannot read; those get them as AWS sends them there.
JSON_ERROR_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def install(enforce: bool = True) -> None:
    """Wraps moto's request authorization once per process; `enforce` may change later."""
    global enforcing
    enforcing = enforce
    if getattr(ActionAuthenticatorMixin, "_standin_hooked", False):
        return
    ActionAuthenticatorMixin._standin_hooked = True
    iam_conditions.install()
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if enforcing and signed_by_assumed_role(self):
            check(self, iam_request_cls, resource)
        else:
            original(self, iam_request_cls, resource)

    authorize.__doc__ = original.__doc__
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize


def signed_by_assumed_role(response: Any) -> bool:
    """Whether the request is signed (SigV4 header) with keys an AssumeRole issued."""
    if "Authorization" not in response.headers:
        return False
    key = response.get_access_key()
    account = get_account_id_from(key)
    partition = get_partition(getattr(response, "region", None) or "")
    return sts_backends[account][partition].get_assumed_role_from_access_key(key) is not None


def check(response: Any, iam_request_cls: type, resource: str) -> None:
    """moto's checks for an authenticated request (ActionAuthenticatorMixin's own)."""
    if response.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    path = response.raw_path
    query = urlparse(response.uri).query
    if query:
        path += "?" + query
    request = iam_request_cls(account_id=response.current_account, method=response.method, path=path,
                              data=response.data, body=response.raw_body, headers=response.headers,
                              action=response._get_action())
    request._action = iam_action(request._action)
    try:
        check_signature(request, response)
        context = iam_conditions.request_context(response, request._action, request._region)
        with iam_conditions.evaluating(context):
            for named in resources_of(response, resource):
                request.check_action_permitted(named)
        iam_implicit.check(response, request, context)
    except _RESTError as e:
        if not speaks_json(response):
            raise
        error = JsonRESTError(JSON_ERROR_CODES.get(e.error_type, e.error_type), e.message)
        error.code = e.code
        raise error from e


def check_signature(request: Any, response: Any) -> None:
    """The request's SigV4 signature, over the body as it was sent. A form body (IAM, EC2,
    STS, SNS, CloudWatch's query protocol) reaches moto parsed, and moto signs it again
    encoded as Python encodes forms (a space as "+"); an SDK that encodes as RFC 3986 does
    (a space as "%20", "*" as "%2A": the Rust SDK the program uses) signed other bytes, so
    its every request with a space in a field would fail. The body was one of the two."""
    try:
        request.check_signature()
    except _RESTError:
        if response.raw_body or not response.data:
            raise
        fields = [(key, values[0]) for key, values in response.data.items()]
        request._body = urlencode(fields, quote_via=quote, safe="-_.~")
        request.check_signature()


# moto names an action after the service's SigV4 signing name, which for a few services is
# not its IAM prefix: CloudWatch signs as "monitoring", so moto would ask a policy for
# "monitoring:PutMetricData", an action no policy can grant on AWS.
SIGNING_NAME_TO_IAM_PREFIX = {"monitoring": "cloudwatch"}


def iam_action(action: str) -> str:
    """`service:Action` with the service as IAM names it."""
    service, sep, name = action.partition(":")
    return f"{SIGNING_NAME_TO_IAM_PREFIX.get(service, service)}{sep}{name}"


def resources_of(response: Any, resource: str) -> list[str]:
    """The resources AWS checks a request against, for the ECS, CloudWatch Logs, SQS,
    Secrets Manager and IAM role actions the worker and the deployer call where moto names
    "*"; moto's own choice otherwise."""
    if resource != "*":
        return [resource]
    if getattr(response, "service_name", None) == "iam":
        return [iam_role_arn(response) or resource]
    target = response.headers.get("X-Amz-Target", "")
    prefix, _, action = target.partition(".")
    try:
        body = json.loads(response.body or "{}")
    except ValueError:
        return [resource]
    account, region = response.current_account, response.region
    partition = get_partition(region)
    if prefix == "AmazonEC2ContainerServiceV20141113":
        arn = f"arn:{partition}:ecs:{region}:{account}"
        cluster = str(body.get("cluster") or "default").rsplit("/", 1)[-1]
        if action == "RunTask" and body.get("taskDefinition"):
            return [task_definition_arn(arn, account, region, body["taskDefinition"])]
        if action == "RegisterTaskDefinition" and body.get("family"):
            return [f"{arn}:task-definition/{body['family']}:{next_revision(account, region, body['family'])}"]
        if action in ("StopTask", "DescribeTasks"):
            tasks = body.get("tasks") or [body.get("task")]
            return [f"{arn}:task/{cluster}/{str(t).rsplit('/', 1)[-1]}" for t in tasks if t] or [resource]
        if action in ("TagResource", "UntagResource", "ListTagsForResource") and body.get("resourceArn"):
            return [body["resourceArn"]]
    if prefix == "AmazonSQS" and action in ("GetQueueUrl", "CreateQueue") and body.get("QueueName"):
        # moto names the queue only from a QueueUrl; these two have its name instead.
        return [f"arn:{partition}:sqs:{region}:{account}:{body['QueueName']}"]
    if prefix == "Logs_20140328" and action == "GetLogEvents" and body.get("logGroupName"):
        return [f"arn:{partition}:logs:{region}:{account}:log-group:{body['logGroupName']}"
                f":log-stream:{body.get('logStreamName', '')}"]
    if prefix == "Logs_20140328":
        return log_group_arns(f"arn:{partition}:logs:{region}:{account}", body) or [resource]
    if prefix == "secretsmanager" and (body.get("SecretId") or body.get("Name")):
        return [secret_arn(account, region, str(body.get("SecretId") or body.get("Name")))]
    return [resource]


def iam_role_arn(response: Any) -> str | None:
    """The role an IAM role request names, as an ARN: moto names it only once it exists, so
    CreateRole, and GetRole of a missing role, would be checked against "*"."""
    data = getattr(response, "data", None) or {}
    name = (data.get("RoleName") or [None])[0]
    if not name:
        return None
    path = (data.get("Path") or ["/"])[0].strip("/")
    return f"arn:{get_partition(response.region)}:iam::{response.current_account}:role/" \
        f"{path + '/' if path else ''}{name}"


def log_group_arns(base: str, body: dict[str, Any]) -> list[str]:
    """The log groups a CloudWatch Logs request names (by name, ARN, or a list of them)."""
    given = body.get("logGroupName") or body.get("resourceArn") or body.get("logGroupIdentifiers") or []
    names = [given] if isinstance(given, str) else list(given)
    return [n if n.startswith("arn:") else f"{base}:log-group:{n}" for n in map(str, names)]


def secret_arn(account: str, region: str, given: str) -> str:
    """A secret by name or ARN, as its ARN; a secret not yet made gets the suffix AWS would
    add, as policies' `-??????` matches it."""
    if given.startswith("arn:"):
        return given
    secret = secretsmanager_backends[account][region].secrets.get(given)
    if secret is not None:
        return secret.arn
    return f"arn:{get_partition(region)}:secretsmanager:{region}:{account}:secret:{given}-AbCdEf"


def task_definition_arn(arn: str, account: str, region: str, given: str) -> str:
    """A task definition as RunTask names it (family, family:revision or ARN), as an ARN."""
    if given.startswith("arn:"):
        return given
    if ":" in given:
        return f"{arn}:task-definition/{given}"
    return f"{arn}:task-definition/{given}:{max(next_revision(account, region, given) - 1, 1)}"


def next_revision(account: str, region: str, family: str) -> int:
    revisions = ecs_backends[account][region].task_definitions.get(family, {})
    return max(revisions, default=0) + 1


def speaks_json(response: Any) -> bool:
    """Whether the caller asked in JSON: by its content type (CloudWatch's model names CBOR
    first, and its JSON callers still want JSON back), else by the service's protocol."""
    content_type = str(response.headers.get("Content-Type") or "")
    if content_type.startswith("application/x-amz-json"):
        return True
    try:
        return get_service_model(response.boto3_service_name).protocol in ("json", "rest-json")
    except Exception:
        return False
