"""logs: a task's output into CloudWatch Logs, as Fargate's awslogs driver sends it.

One stream per container, named `<awslogs-stream-prefix>/<container name>/<task id>`, in
the group and region the container's logConfiguration names; the group is created only
with `awslogs-create-group: "true"`, as the driver does. Lines are shipped in batches
every half second straight into moto's Logs backend (same process), in the order written.

Not emulated: other log drivers (their output only reaches the stand-in's own log), the
driver's `mode`, multiline patterns, and the 256 KiB split of long lines.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from moto.logs.models import logs_backends

from .processes import StartFailure

FLUSH_INTERVAL = 0.5
MAX_EVENTS_PER_PUT = 1000  # well under PutLogEvents' limits (10,000 events, 1 MB)

log = logging.getLogger("standin")


class LogShipper:
    """Sends a task's output to one CloudWatch Logs stream, like the awslogs driver."""

    def __init__(self, backend: Any, group: str, stream: str):
        self._backend, self._group, self.stream = backend, group, stream
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
        for i in range(0, len(events), MAX_EVENTS_PER_PUT):
            try:
                self._backend.put_log_events(self._group, self.stream, events[i:i + MAX_EVENTS_PER_PUT])
            except Exception as e:  # the group may be deleted under a running task
                log.warning("dropped %d log events for %s: %s", len(events[i:]), self.stream, e)
                return


def open_stream(account_id: str, region: str, container: dict, task_id: str) -> LogShipper | None:
    """The container's awslogs stream, created now; None for any other log driver."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options", {})
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix:
        raise StartFailure("ResourceInitializationError: failed to validate logger args: "
                           "awslogs-group and awslogs-stream-prefix are required on Fargate")
    backend = logs_backends[account_id][options.get("awslogs-region") or region]
    stream = f'{prefix}/{container["name"]}/{task_id}'
    try:
        if options.get("awslogs-create-group") == "true" and group not in backend.groups:
            backend.create_log_group(group, {})
        backend.create_log_stream(group, stream)
    except Exception as e:
        raise StartFailure(
            "ResourceInitializationError: failed to validate logger args: create stream has been "
            f"retried 1 times: failed to create Cloudwatch log stream: {e}") from e
    return LogShipper(backend, group, stream)
