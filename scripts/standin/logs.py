"""logs: a task's output into CloudWatch Logs, as Fargate's awslogs driver sends it.

One stream per container, named `<awslogs-stream-prefix>/<container name>/<task id>`, in
the group and region the container's logConfiguration names. Lines are shipped in batches
every half second straight into moto's Logs backend (same process), in the order written.

As the driver does it on Fargate, with the task's execution role (execution_role.py): the
stream is created before the container starts (logs:CreateLogStream on the stream's ARN);
a group that does not exist is created only with `awslogs-create-group: "true"`, else the
task fails to start ("The specified log group does not exist."); with create-group "true"
the role must have logs:CreateLogGroup even if the group exists (stricter than the driver,
which asks only when the group is missing: execution_role.py says why). A refusal stops
the task with Fargate's "ResourceInitializationError: failed to validate logger args: ..."
sentence. Without logs:PutLogEvents the task runs but its lines are dropped, as the driver
drops what CloudWatch refuses. A container without an execution role (a definition ECS
would not have run) gets its stream unchecked, as before.

Not emulated: other log drivers (their output only reaches the stand-in's own log), the
driver's `mode`, multiline patterns, and the 256 KiB split of long lines.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from moto.logs.models import logs_backends
from moto.utilities.utils import get_partition

from .processes import StartFailure, error_code, error_text

FLUSH_INTERVAL = 0.5
MAX_EVENTS_PER_PUT = 1000  # well under PutLogEvents' limits (10,000 events, 1 MB)
LOGGER_FAILED = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "

log = logging.getLogger("standin")


class LogShipper:
    """Sends a task's output to one CloudWatch Logs stream, like the awslogs driver.

    `refused`: why PutLogEvents is denied to the execution role, if it is; then every
    batch is dropped, as the driver drops them."""

    def __init__(self, backend: Any, group: str, stream: str, refused: str | None = None):
        self._backend, self._group, self.stream = backend, group, stream
        self._refused = refused
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._last_ms = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"logs {stream}")
        self._thread.start()

    def add(self, line: str) -> None:
        with self._lock:
            # PutLogEvents wants each batch in chronological order.
            self._last_ms = max(self._last_ms, int(time.time() * 1000))
            self._pending.append({"timestamp": self._last_ms, "message": line})

    def close(self) -> None:
        """Flushes what is left and stops the flusher."""
        self._closed.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._closed.wait(FLUSH_INTERVAL):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        if events and self._refused:
            log.warning("dropped %d log events for %s: %s", len(events), self.stream, self._refused)
            return
        for i in range(0, len(events), MAX_EVENTS_PER_PUT):
            try:
                self._backend.put_log_events(self._group, self.stream, events[i:i + MAX_EVENTS_PER_PUT])
            except Exception as e:  # the group may be deleted under a running task
                log.warning("dropped %d log events for %s: %s", len(events[i:]), self.stream, e)
                return


def open_stream(account_id: str, region: str, container: dict, task_id: str,
                role: Any = None) -> LogShipper | None:
    """The container's awslogs stream, created now as the execution role `role`
    (execution_role.ExecutionRole; None: unchecked); None for any other log driver."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options", {})
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix:
        raise StartFailure("ResourceInitializationError: failed to validate logger args: "
                           "awslogs-group and awslogs-stream-prefix are required on Fargate")
    logs_region = options.get("awslogs-region") or region
    backend = logs_backends[account_id][logs_region]
    stream = f'{prefix}/{container["name"]}/{task_id}'
    group_arn = f"arn:{get_partition(logs_region)}:logs:{logs_region}:{account_id}:log-group:{group}"
    stream_arn = f"{group_arn}:log-stream:{stream}"
    create_group = options.get("awslogs-create-group") == "true"
    if role is not None:
        check_permissions(role, create_group, group_arn, stream_arn)
    create(backend, group, stream, create_group)
    refused = role.denial("logs:PutLogEvents", stream_arn) if role is not None else None
    return LogShipper(backend, group, stream, refused)


def check_permissions(role: Any, create_group: bool, group_arn: str, stream_arn: str) -> None:
    """What the execution role must be allowed before the stream exists. The driver's own
    first call is CreateLogStream, so its refusal is the one a role missing both gets."""
    denied = role.denial("logs:CreateLogStream", stream_arn, request_id=True)
    if denied:
        raise StartFailure(f"{LOGGER_FAILED}failed to create Cloudwatch log stream: {denied} : exit status 1")
    # AWS names the group's ARN with an empty stream in this refusal.
    denied = create_group and role.denial("logs:CreateLogGroup", f"{group_arn}:log-stream:")
    if denied:
        raise StartFailure(f"{LOGGER_FAILED}failed to create Cloudwatch log group: {denied} : exit status 1")


def create(backend: Any, group: str, stream: str, create_group: bool) -> None:
    """The group if it is missing and may be created, then the stream."""
    try:
        if create_group and group not in backend.groups:
            backend.create_log_group(group, {})
    except Exception as e:
        raise StartFailure(f"{LOGGER_FAILED}failed to create Cloudwatch log group: "
                           f"{error_code(e)}: {error_text(e)} : exit status 1") from e
    try:
        backend.create_log_stream(group, stream)
    except Exception as e:
        raise StartFailure(f"{LOGGER_FAILED}failed to create Cloudwatch log stream: "
                           f"{error_code(e)}: {error_text(e)} : exit status 1") from e
