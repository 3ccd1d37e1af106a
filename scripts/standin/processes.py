"""processes: a task's container as a local process, started as Fargate would.

There is no image and no container: the container definition's entryPoint + command runs
on this machine (for `prefect worker start`, from the repo's .venv), in its own process
group and its own throwaway home directory, with an environment built from scratch out of
the container definition (with a RunTask's `containerOverrides` of its name applied):
`environment`, `secrets` read from Secrets Manager, and what Fargate adds: the AWS region
and credentials, the task role's (see credentials.py) or, for a task without one, the
emulator's fake keys. The same for the essential container (agent.py) and for the
non-essential ones (sidecars.py).

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
volumes, secrets from SSM Parameter Store, and port mappings other than that one.
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
from typing import Any

from moto.secretsmanager.models import secretsmanager_backends

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
                  credentials: dict[str, str] | None = None) -> tuple[dict[str, str], PortMap]:
    """The process environment, built from scratch as Fargate would from the definition.

    `credentials` are the task role's AWS_* variables; without them, the fake keys.
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
    return env, ports


def read_secret(value_from: str, account_id: str, region: str) -> str:
    """A `secrets` entry's value: a secret's ARN, optionally `:json-key:stage:version-id`."""
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) >= 7:
        secret_region, secret_account = parts[3] or region, parts[4] or account_id
        arn = ":".join(parts[:7])
        json_key, stage, version = (parts[7:] + ["", "", ""])[:3]
    else:
        secret_region, secret_account, arn, json_key, stage, version = region, account_id, value_from, "", "", ""
    try:
        value = secretsmanager_backends[secret_account][secret_region].get_secret_value(
            arn, version or None, stage or None)["SecretString"]
        if json_key:
            value = str(json.loads(value)[json_key])
        return value
    except Exception as e:
        raise StartFailure(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution "
            "resource retrieval failed: unable to retrieve secret from asm: failed to fetch "
            f"secret {value_from} from secrets manager: {error_text(e)}") from e


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
