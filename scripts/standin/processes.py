"""processes: a task's container as a local process, started as Fargate would.

There is no image and no container: the container definition's entryPoint + command runs
on this machine (for `prefect worker start`, from the repo's .venv), in its own process
group and its own throwaway home directory, with an environment built from scratch out of
the container definition (with a RunTask's `containerOverrides` of its name applied):
`environment`, `secrets` read from Secrets Manager or SSM Parameter Store (a name or an
`ssm` ARN; asked of the execution role first, see execution_role.py), and what Fargate
adds: the AWS region and credentials, the task role's (see credentials.py) or, for a task
without one, the emulator's fake keys. The same for the essential container (agent.py) and for the
non-essential ones (sidecars.py). The AWS endpoint variables and PREFECT_API_URL then say
what the task's subnet and security groups let it reach (reach.py).

Each Fargate task has its own network namespace; here all tasks share this machine's. So
the one port a task definition names in PREFECT_WORKER_WEBSERVER_PORT (the worker's health
endpoint) is given a free local port instead, and the health check's mentions of
`localhost:<that port>` / `127.0.0.1:<that port>` follow it (see `PortMap`).

No image is run, so none can be broken, except those the stand-in is told of (server.py's
--exits-at-once): a container of one of these starts like any other (PENDING, then
RUNNING), then, whatever its command, writes one line to its stderr (EXITS_AT_ONCE_LINE,
what an image built for another CPU says; shipped to its awslogs stream like any output)
and exits with code 1 at once, as a container whose image cannot run does on Fargate.

Not emulated: images otherwise, the working directory, users, resource limits, ulimits,
volumes, and port mappings other than that one.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

if TYPE_CHECKING:
    from .reach import Reach

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FAKE_KEY = "standin"
WEBSERVER_PORT_VAR = "PREFECT_WORKER_WEBSERVER_PORT"

log = logging.getLogger("standin")


class StartFailure(Exception):
    """A task could not start; the message is its stoppedReason, worded like Fargate's."""


def error_text(e: BaseException) -> str:
    """moto's exceptions keep their words in `message`; str() of some is empty."""
    return getattr(e, "message", None) or str(e) or type(e).__name__


@dataclass
class PortMap:
    """The container's ports and the local ports standing in for them."""

    local: dict[int, int] = field(default_factory=dict)

    def rewrite(self, text: str) -> str:
        for container_port, local_port in self.local.items():
            text = re.sub(rf"\b(localhost|127\.0\.0\.1):{container_port}\b", rf"\g<1>:{local_port}", text)
        return text


def essential_container(task_definition: Any) -> dict:
    for container in task_definition.container_definitions:
        if container.get("essential", True):
            return container
    raise StartFailure(f"task definition {task_definition.arn} has no essential container")


def task_container(task_definition: Any, overrides: dict | None) -> dict:
    """The essential container as the task runs it: RunTask's containerOverrides applied."""
    return with_overrides(essential_container(task_definition), overrides)


def sidecar_containers(task_definition: Any, overrides: dict | None) -> list[dict]:
    """The non-essential containers (`essential: false`) as the task runs them."""
    return [with_overrides(container, overrides) for container in task_definition.container_definitions
            if not container.get("essential", True)]


def with_overrides(definition: dict, overrides: dict | None) -> dict:
    """A container definition with RunTask's containerOverrides of its name applied.

    `command` replaces the definition's; `environment` entries are added or replace those
    of the same name. `cpu` and `memory` are kept in the result but limit nothing here.
    """
    container = dict(definition)
    for override in (overrides or {}).get("containerOverrides") or []:
        if override.get("name") != container.get("name"):
            continue
        if override.get("command"):
            container["command"] = list(override["command"])
        if override.get("environment"):
            merged = {e["name"]: e["value"] for e in container.get("environment", [])}
            merged.update({e["name"]: e["value"] for e in override["environment"]})
            container["environment"] = [{"name": k, "value": v} for k, v in merged.items()]
        for limit in ("cpu", "memory", "memoryReservation"):
            if override.get(limit) is not None:
                container[limit] = override[limit]
    return container


EXITS_AT_ONCE_LINE = ("exec /usr/bin/tini: exec format error "
                      "(the stand-in was told this image's container exits at once)")


def exiting_at_once(container: dict) -> dict:
    """The container as an image that cannot run runs it: one line on stderr, exit code 1."""
    return dict(container, entryPoint=[],
                command=["/bin/sh", "-c", 'printf "%s\\n" "$1" >&2; exit 1', "sh", EXITS_AT_ONCE_LINE])


def container_env(container: dict, account_id: str, region: str, endpoint: str, home: str,
                  credentials: dict[str, str] | None = None,
                  reach: Reach | None = None) -> tuple[dict[str, str], PortMap]:
    """The process environment, built from scratch as Fargate would from the definition.

    `credentials` are the task role's AWS_* variables; without them, the fake keys.
    `reach` (reach.of_task) points what the task's subnet cannot reach, or its security groups
    refuse, at the blackhole.
    """
    env = {e["name"]: e["value"] for e in container.get("environment", [])}
    for secret in container.get("secrets", []):
        env[secret["name"]] = read_secret(secret["valueFrom"], account_id, region)
    ports = PortMap()
    declared = env.get(WEBSERVER_PORT_VAR)
    local = free_port()
    if declared and declared.isdigit():
        ports.local[int(declared)] = local
    env.update(
        PATH=f"{os.path.dirname(sys.executable)}:{SYSTEM_PATH}",  # the image has prefect; .venv does here
        HOME=home,
        PREFECT_HOME=home,
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", region),
        AWS_REGION=region,
        # The task's own network namespace on Fargate; a shared loopback here.
        PREFECT_WORKER_WEBSERVER_HOST="127.0.0.1",
    )
    env.update(credentials or {"AWS_ACCESS_KEY_ID": FAKE_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_KEY})
    env[WEBSERVER_PORT_VAR] = str(local)
    if reach is not None:
        reach.apply(env, endpoint)
    return env, ports


SECRETS_FAILED = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                  "retrieval failed: ")


def read_secret(value_from: str, account_id: str, region: str, role: Any = None) -> str:
    """A `secrets` entry's value: a Secrets Manager secret's ARN (optionally
    `:json-key:stage:version-id`), else an SSM parameter's ARN or name, as ECS reads them.

    With `role` (execution_role.ExecutionRole), the call is first asked of its policies, as
    Fargate makes it with the execution role. StartFailure, worded as Fargate's, if refused
    or unreadable.
    """
    if value_from.startswith("arn:") and value_from.split(":")[2:3] == ["secretsmanager"]:
        return _read_asm(value_from, account_id, region, role)
    return _read_ssm(value_from, account_id, region, role)


def _read_asm(value_from: str, account_id: str, region: str, role: Any) -> str:
    parts = value_from.split(":")
    backend = secretsmanager_backends[parts[4] or account_id][parts[3] or region]
    arn = ":".join(parts[:7])
    json_key, stage, version = (parts[7:] + ["", "", ""])[:3]
    failed = f"{SECRETS_FAILED}unable to retrieve secret from asm: service call has been retried 1 time(s): "
    if role is not None:
        # AWS checks the secret's own ARN; the one given may be partial (no random suffix).
        denied = role.denial("secretsmanager:GetSecretValue", _secret_arn(backend, arn), request_id=True)
        if denied:
            raise StartFailure(f"{failed}failed to fetch secret {value_from} from secrets manager: {denied}")
    try:
        value = backend.get_secret_value(arn, version or None, stage or None)["SecretString"]
    except Exception as e:
        raise StartFailure(f"{failed}failed to fetch secret {value_from} from secrets manager: "
                           f"{error_code(e)}: {error_text(e)}") from e
    if not json_key:
        return value
    try:
        return str(json.loads(value)[json_key])
    except (ValueError, KeyError, TypeError) as e:
        raise StartFailure(f"{failed}retrieved secret from Secrets Manager did not contain json key {json_key}") from e


def _secret_arn(backend: Any, arn: str) -> str:
    try:
        return backend.describe_secret(arn).arn
    except Exception:  # not there: AWS still asks IAM first, of the ARN it was given
        return arn


def _read_ssm(value_from: str, account_id: str, region: str, role: Any) -> str:
    if value_from.startswith("arn:"):
        parts = value_from.split(":", 5)
        ssm_account, ssm_region = parts[4] or account_id, parts[3] or region
        tail = parts[5].split("/", 1)[-1] if len(parts) == 6 else value_from
        # parameter/a/b is the parameter named /a/b; parameter/x is x (or /x).
        names, resource = [f"/{tail}", tail], value_from
    else:
        ssm_account, ssm_region, names = account_id, region, [value_from]
        resource = f"arn:{get_partition(region)}:ssm:{region}:{account_id}:parameter/{value_from.lstrip('/')}"
    failed = f"{SECRETS_FAILED}unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
    if role is not None:
        denied = role.denial("ssm:GetParameters", resource, request_id=True)
        if denied:
            raise StartFailure(f"{failed}{denied}")
    backend = ssm_backends[ssm_account][ssm_region]
    for name in names:
        try:
            parameter = backend.get_parameter(name)
        except Exception:  # a version or label that is not there
            parameter = None
        if parameter is not None:
            return parameter.decrypt(parameter.value) or ""  # ECS reads them WithDecryption
    raise StartFailure(f"{failed}invalid ssm parameters: {value_from}")


def error_code(e: BaseException) -> str:
    """An AWS error's code, as SDK errors begin: moto's exceptions keep it in `error_type`."""
    return getattr(e, "error_type", None) or type(e).__name__


def spawn(container: dict, env: dict[str, str], home: str) -> subprocess.Popen:
    """Starts the container's command. Only ever from the main thread (see die_with_parent)."""
    argv = (container.get("entryPoint") or []) + (container.get("command") or [])
    if not argv:
        # The image's default command would run on Fargate; there is no image here.
        raise StartFailure("CannotStartContainerError: the stand-in needs a command (it has no image)")
    try:
        # Its own process group, so stopping a task signals everything it started. The
        # image's working directory does not exist here, so it runs in its home.
        return subprocess.Popen(argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, process_group=0, preexec_fn=die_with_parent)
    except OSError as e:
        raise StartFailure(f"CannotStartContainerError: failed to create task for container: {e}") from e


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: get SIGKILL if the stand-in dies without cleaning up.

    Tied to the thread that forked, so tasks are only ever spawned from the main thread.
    """
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def exit_code(returncode: int) -> int:
    """Like Docker, death by signal N is exit code 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def pump_output(proc: subprocess.Popen, task_id: str, shipper: Any) -> None:
    """Reader thread: each output line to CloudWatch and, for debugging, to our stderr."""
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        log.info("[%s] %s", task_id, line)
        if shipper and line:  # CloudWatch rejects empty messages
            shipper.add(line)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
