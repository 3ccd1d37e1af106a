"""execution_role: what Fargate does as the task's execution role before a container starts.

On Fargate, everything done for a task before its containers run is done with the task
definition's execution role (`executionRoleArn`), not the task role: fetching its `secrets`
from Secrets Manager and SSM Parameter Store, getting ECR registry credentials, pulling the
image, and starting the awslogs log driver (AWS's "Amazon ECS task execution IAM role" page;
AmazonECSTaskExecutionRolePolicy grants the ECR and log stream actions, not
logs:CreateLogGroup and not the secrets). Here, before any container of a task starts, the
stand-in assumes that role as ECS does (credentials.role_credentials: a role that does not
exist or does not trust ecs-tasks.amazonaws.com fails the start with ECS's "ECS was unable
to assume the role ..." sentence, as for the task role) and asks the role's inline and
attached policies, with moto's own evaluation (moto.iam.access_control: the policies
IAMRequest collects for an assumed role, IAMPolicy for each; an explicit Deny wins; the
Condition blocks judged by iam_conditions.py, the context holding aws:RequestedRegion and
aws:SecureTransport, as a call Fargate makes would), for each action Fargate needs, in
Fargate's order:
  1. secrets and registry auth, for every container: secretsmanager:GetSecretValue on each
     Secrets Manager secret (its ARN without the json-key / stage / version suffix, the
     secret's full ARN when the given one is partial), ssm:GetParameters on each parameter
     (`valueFrom` an SSM ARN or a name: processes.read_secret, which also reads them), and
     ecr:GetAuthorizationToken on "*" for each ECR image;
  2. the image, for each ECR image (account.dkr.ecr.region.amazonaws.com/...):
     ecr:BatchGetImage (the manifest), then ecr:GetDownloadUrlForLayer (the layers), both
     on the repository, arn:aws:ecr:region:account:repository/<name>;
  3. the log stream, per container as it is opened (logs.open_stream): logs:CreateLogStream
     on arn:aws:logs:region:account:log-group:<group>:log-stream:<stream>, and with
     `awslogs-create-group` "true" logs:CreateLogGroup on
     arn:aws:logs:region:account:log-group:<group>:log-stream: (the resource AWS names in
     that refusal); a group that does not exist without create-group "true" fails as on
     AWS ("The specified log group does not exist.").
Any refusal stops the task at once with stopCode TaskFailedToStart and the stoppedReason
Fargate gives for it ("ResourceInitializationError: unable to pull secrets or registry
auth: ... AccessDeniedException: User: arn:aws:sts::<account>:assumed-role/<role>/<task id>
is not authorized to perform: <action> on resource: <arn> because no identity-based policy
allows the <action> action ...", "CannotPullContainerError: ... 403 Forbidden",
"ResourceInitializationError: failed to validate logger args: ..."), its process never
started. The request IDs and the layer digest in those sentences are made up.

logs:CreateLogGroup is asked for whenever create-group is "true", even if the group exists.
The awslogs driver Fargate runs (moby's) calls CreateLogStream first and CreateLogGroup only
when that answers ResourceNotFoundException, so on AWS a role without it starts tasks as
long as the group is there; but AWS documents the permission as required to use the option,
and a stack that relies on the group never going away fails on AWS the day it does (every
task then stops with "failed to create Cloudwatch log group: AccessDeniedException"), which
a forgiving stand-in would never show. So the stand-in is stricter here, on purpose.

logs:PutLogEvents on the stream is asked for too, but a refusal does not stop the task: the
driver sends events from the background and only logs its failures, so on AWS the container
runs and its lines never reach CloudWatch. Here, likewise, its lines are dropped (the
stand-in's own log says why).

RegisterTaskDefinition is refused as ECS refuses it (ClientException) when a task
definition needs an execution role and names none: "Fargate requires task definition to
have execution role ARN to support log driver awslogs." and "... to support ECR images."
for a FARGATE-compatible one, "When you are specifying container secrets, you must also
specify a value for 'executionRoleArn'." for any (moto 5.2.5 accepts all three). Which
sentence ECS gives first when several apply is not documented: here the log driver, then
ECR images, then secrets.

Not emulated: the other keys of the context Fargate's calls carry (aws:SourceVpc and the
like), permission boundaries, session policies and resource policies (an ECR repository
policy, a secret's policy, cross-account pulls), kms:Decrypt for secrets under a
customer-managed key, whether the ECR repository and image exist, private registry
credentials (repositoryCredentials), environmentFiles from S3, and firelens.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import EcsClientException
from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy, PermissionResult
from moto.utilities.utils import get_partition

from . import credentials, iam_conditions
from .processes import StartFailure, read_secret

ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                       r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>.+))?$")
REGISTRATION_REFUSALS = {
    "awslogs": "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
    "ecr": "Fargate requires task definition to have execution role ARN to support ECR images.",
    "secrets": "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
}
REGISTRY_AUTH_FAILED = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                        "retrieval failed: unable to retrieve ecr registry auth: service call has been retried "
                        "1 time(s): ")


@dataclass
class ExecutionRole:
    """The execution role as ECS assumed it for one task: who it is, and what it may do."""

    arn: str
    principal: str  # arn:aws:sts::<account>:assumed-role/<role name>/<task id>
    policies: list[Any]

    def verdict(self, action: str, resource: str, region: str) -> PermissionResult:
        """As moto's IAMRequest decides (any explicit Deny wins, else any Allow), with the
        Condition blocks judged as iam.py judges them, against what a call Fargate makes
        to `region` carries."""
        permitted = False
        context = {"aws:requestedregion": [region], "aws:securetransport": ["true"]}
        with iam_conditions.evaluating(context):
            for policy in self.policies:
                result = IAMPolicy(policy).is_action_permitted(action, resource)
                if result == PermissionResult.DENIED:
                    return result
                permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    def denial(self, action: str, resource: str, region: str | None = None,
               request_id: bool = False) -> str | None:
        """None if the role may; else the AccessDeniedException AWS answers, worded as AWS
        words it (with the SDK's `status code: 400, request id: ...` if `request_id`).
        `region`: the one the call goes to, if the resource's ARN does not say."""
        if region is None:
            parts = resource.split(":")
            region = parts[3] if len(parts) > 3 else ""
        verdict = self.verdict(action, resource, region)
        if verdict == PermissionResult.PERMITTED:
            return None
        why = ("with an explicit deny in an identity-based policy" if verdict == PermissionResult.DENIED
               else f"because no identity-based policy allows the {action} action")
        text = (f"AccessDeniedException: User: {self.principal} is not authorized to perform: {action} "
                f"on resource: {resource} {why}")
        return f"{text} status code: 400, request id: {uuid.uuid4()}" if request_id else text


def assume(account_id: str, region: str, role_arn: str, task_id: str, task_arn: str | None = None) -> ExecutionRole:
    """ECS assumes the role (StartFailure with its sentence if it cannot); its policies."""
    keys = credentials.role_credentials(account_id, region, role_arn, task_id, task_arn=task_arn)
    role_account = (role_arn.split(":")[4] if role_arn.count(":") >= 5 else "") or account_id
    key = AssumedRoleAccessKey(account_id=role_account, partition=get_partition(region),
                               access_key_id=keys["AWS_ACCESS_KEY_ID"],
                               headers={"X-Amz-Security-Token": keys["AWS_SESSION_TOKEN"]})
    return ExecutionRole(role_arn, key.arn, key.collect_policies())


def before_start(definition: Any, containers: Iterable[dict], account_id: str, region: str,
                 task_id: str, task_arn: str | None = None) -> ExecutionRole | None:
    """What Fargate does as the execution role before any container starts: steps 1 and 2
    of the module docstring, for every container. The role, for the log streams (step 3), or None
    if the definition names none. Raises StartFailure."""
    containers = list(containers)
    role_arn = getattr(definition, "execution_role_arn", None) or None
    if role_arn is None:
        # Registered before the hook, or not for Fargate: ECS would not have run it here.
        needed = needs_execution_role(containers, fargate=True)
        if needed:
            raise StartFailure(REGISTRATION_REFUSALS[needed])
        return None
    role = assume(account_id, region, role_arn, task_id, task_arn)
    for container in containers:
        for secret in container.get("secrets") or []:
            read_secret(secret["valueFrom"], account_id, region, role)
    images = [image for image in map(ecr_image, (c.get("image") or "" for c in containers)) if image]
    for image in images:
        denied = role.denial("ecr:GetAuthorizationToken", "*", image.region, request_id=True)
        if denied:
            raise StartFailure(f"{REGISTRY_AUTH_FAILED}{denied}")
    for image in images:
        check_pull(role, image)
    return role


# Images


@dataclass(frozen=True)
class EcrImage:
    host: str
    account: str
    region: str
    repository: str
    reference: str  # the tag (latest if none) or the digest
    ref: str  # as containerd names it in its errors

    @property
    def repository_arn(self) -> str:
        return f"arn:{get_partition(self.region)}:ecr:{self.region}:{self.account}:repository/{self.repository}"


def ecr_image(image: str) -> EcrImage | None:
    """An image in a private ECR registry, or None (Docker Hub, ghcr.io, ECR Public...)."""
    found = ECR_IMAGE.match(image)
    if not found:
        return None
    host = image.split("/", 1)[0]
    digest, tag = found["digest"], found["tag"] or "latest"
    ref = f"{host}/{found['repository']}" + (f"@{digest}" if digest else f":{tag}")
    return EcrImage(host, found["account"], found["region"], found["repository"], digest or tag, ref)


def check_pull(role: ExecutionRole, image: EcrImage) -> None:
    """The manifest (BatchGetImage), then the layers (GetDownloadUrlForLayer): ECR answers
    a pull it refuses with 403 Forbidden, which containerd reports as such."""
    if role.denial("ecr:BatchGetImage", image.repository_arn):
        raise StartFailure(
            f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
            f"{image.ref}: pulling from host {image.host} failed with status code [manifests {image.reference}]: "
            "403 Forbidden")
    if role.denial("ecr:GetDownloadUrlForLayer", image.repository_arn):
        layer = hashlib.sha256(image.ref.encode()).hexdigest()  # no image here: a digest of its name
        raise StartFailure(
            "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: "
            f"failed open: unexpected status code https://{image.host}/v2/{image.repository}/blobs/sha256:{layer}: "
            "403 Forbidden")


# RegisterTaskDefinition


def needs_execution_role(containers: Iterable[dict], fargate: bool) -> str | None:
    """Which of REGISTRATION_REFUSALS applies to a definition without an execution role."""
    containers = list(containers)
    if fargate and any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        return "awslogs"
    if fargate and any(ecr_image(c.get("image") or "") for c in containers):
        return "ecr"
    if any(c.get("secrets") for c in containers):
        return "secrets"
    return None


def install() -> None:
    """Refuses RegisterTaskDefinition as ECS does without the execution role a definition
    needs. Wraps moto's ECS response once per process; idempotent."""
    responses_cls = ecs_responses.EC2ContainerServiceResponse
    if getattr(responses_cls, "_standin_execution_role_hooked", False):
        return
    responses_cls._standin_execution_role_hooked = True
    original = responses_cls.register_task_definition

    def register_task_definition(self: Any) -> Any:
        if not self._get_param("executionRoleArn"):
            needed = needs_execution_role(self._get_param("containerDefinitions") or [],
                                          fargate="FARGATE" in (self._get_param("requiresCompatibilities") or []))
            if needed:
                raise EcsClientException(REGISTRATION_REFUSALS[needed])
        return original(self)

    register_task_definition.__doc__ = original.__doc__
    responses_cls.register_task_definition = register_task_definition
