"""health: a container's health check, run as the container agent runs it.

The task definition's `healthCheck` command (["CMD-SHELL", "<shell line>"] through
/bin/sh -c, or ["CMD", argv...]) runs beside the task's process, with the container's own
environment and working directory, every `interval` seconds, and counts as failed if it
exits non-zero or outlasts `timeout`. HEALTHY after a success; UNHEALTHY after `retries`
consecutive failures; before the first result the status stays UNKNOWN (as it does for a
container without a health check). Failures within `startPeriod` do not count until the
first success, and during that period probes run every 5 seconds (Docker's default start
interval), so a container that comes up quickly is HEALTHY soon after. ECS's defaults
apply to what is not given: interval 30, timeout 5, retries 3, no start period.

What happens to an UNHEALTHY task is the service scheduler's business (it stops and
replaces a service's task; a RunTask task is only reported, as on ECS); this module only
reports results. Not emulated: ECS's limits on the values (interval 5 to
300 s and so on; shorter values are taken as given, which the tests use), and the last
outputs Docker keeps (they go to the stand-in's log instead).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .processes import PortMap

START_INTERVAL = 5.0  # Docker's default --health-start-interval

log = logging.getLogger("standin")


@dataclass(frozen=True)
class HealthCheck:
    argv: list[str]
    interval: float = 30.0
    timeout: float = 5.0
    retries: int = 3
    start_period: float = 0.0

    @classmethod
    def from_definition(cls, definition: dict | None, ports: PortMap) -> "HealthCheck | None":
        command = list((definition or {}).get("command") or [])
        if not command or command[0] == "NONE":
            return None
        kind, rest = command[0], [ports.rewrite(part) for part in command[1:]]
        if kind == "CMD-SHELL":
            argv = ["/bin/sh", "-c", " ".join(rest)]
        elif kind == "CMD":
            argv = rest
        else:  # Docker reads a bare command as CMD-SHELL
            argv = ["/bin/sh", "-c", " ".join([ports.rewrite(p) for p in command])]
        if not argv:
            return None
        return cls(argv=argv,
                   interval=float(definition.get("interval", 30)),
                   timeout=float(definition.get("timeout", 5)),
                   retries=int(definition.get("retries", 3)),
                   start_period=float(definition.get("startPeriod", 0)))


class HealthMonitor:
    """Runs one container's health check on its own thread until closed."""

    def __init__(self, check: HealthCheck, env: dict[str, str], cwd: str, task_id: str,
                 report: Callable[[str], None]):
        self.check, self._env, self._cwd, self._task_id, self._report = check, env, cwd, task_id, report
        self.status = "UNKNOWN"
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"health {task_id}")
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=self.check.timeout + 5)

    def _run(self) -> None:
        started = time.monotonic()
        passed_once, failures = False, 0
        in_start = self.check.start_period > 0
        delay = START_INTERVAL if in_start else self.check.interval
        while not self._closed.wait(delay):
            ok, output = self._probe()
            if self._closed.is_set():
                return
            in_start = not passed_once and time.monotonic() - started < self.check.start_period
            if ok:
                passed_once, failures = True, 0
                self._set("HEALTHY")
            else:
                log.info("task %s: health check failed: %s", self._task_id, output)
                if not in_start:
                    failures += 1
                    if failures >= self.check.retries:
                        self._set("UNHEALTHY")
            delay = START_INTERVAL if in_start and not passed_once else self.check.interval

    def _set(self, status: str) -> None:
        if status != self.status:
            self.status = status
            log.info("task %s: container health %s", self._task_id, status)
            self._report(status)

    def _probe(self) -> tuple[bool, str]:
        try:
            proc = subprocess.Popen(self.check.argv, env=self._env, cwd=self._cwd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, process_group=0)
        except OSError as e:
            return False, str(e)
        try:
            out, _ = proc.communicate(timeout=self.check.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            return False, f"timed out after {self.check.timeout:g} s"
        # The last line says why (a traceback's last line is its error).
        lines = out.decode("utf-8", "replace").strip().splitlines()
        return proc.returncode == 0, f"exit code {proc.returncode}" + (f": {lines[-1][:300]}" if lines else "")
