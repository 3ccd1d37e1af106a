"""agent: what Fargate does for one task once it is placed: start it, watch it, end it.

Both the service scheduler (scheduler.py) and RunTask (runtask.py) hand their tasks here.
For each, the agent
  - checks that the task's subnet and security groups let Fargate start it (network.py,
    security_groups.py); if not, the task stays PENDING for `pull_timeout` seconds and
    then stops with stopCode TaskFailedToStart and Fargate's sentence, its process never
    started;
  - builds its containers as the task runs them (RunTask's overrides applied by name),
    does as the task's execution role what Fargate does before any container starts
    (execution_role.py: the role assumed, every container's secrets fetched, registry auth
    and image pulls asked of its policies, its log streams created as it),
    gets the task role's credentials (credentials.py), reads their secrets, points what
    the subnet cannot reach or the groups refuse at a blackhole (reach.py), opens their
    awslogs streams and starts their processes: the essential container's, and beside it
    each non-essential one's (sidecars.py); any failure there stops the task at once with
    TaskFailedToStart; a container whose image is exactly one of `exits_at_once` runs as
    a broken image's does instead of its command (processes.exiting_at_once: a line, exit
    code 1);
  - runs its health check, if it has one (what an UNHEALTHY task means is the service
    scheduler's business: a RunTask task only reports it, as on ECS);
  - stops it: SIGTERM to its process groups, SIGKILL after the essential container's
    stopTimeout (the stand-in's default when the definition sets none), whether StopTask,
    the scheduler or a shutdown asks; a task asked to stop before its process started just
    stops;
  - records it STOPPED when its essential container's process exits, with its exit code
    (a signal N is 128 + N), its sidecars killed and everyone's last log lines shipped
    first; and tells its owner (`on_finish`).
Processes are started from the main thread only (see processes.die_with_parent). A task is
never restarted here: replacing tasks is the service scheduler's job.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import credentials, ecs_state, execution_role, network, reach
from .health import HealthCheck, HealthMonitor
from .logs import LogShipper, open_stream
from .processes import (StartFailure, container_env, exit_code, exiting_at_once, pump_output, sidecar_containers,
                        signal_group, spawn, task_container)
from .sidecars import Sidecars

FARGATE_STOP_TIMEOUT = 30.0  # Fargate's default stopTimeout
PULL_TIMEOUT = 3.0  # how long a task with no way out stays PENDING (Fargate: about a minute)

log = logging.getLogger("standin")

ServiceKey = tuple[str, str, str]  # (account, cluster name, service name)


@dataclass
class LocalTask:
    """One task the stand-in runs: its ECS identity and the local processes standing in."""

    arn: str
    key: ServiceKey | None  # its service's; None for a RunTask task
    deployment_id: str | None
    stop_timeout: float
    proc: subprocess.Popen | None = None  # the essential container's; None: it never started (see `failure`)
    sidecars: Sidecars | None = None  # the non-essential containers
    home: str | None = None
    reader: threading.Thread | None = None
    shipper: LogShipper | None = None
    health: HealthMonitor | None = None
    failure: str | None = None  # why it cannot start: its stoppedReason once `fail_at` has come
    fail_at: float | None = None
    started: float = field(default_factory=time.monotonic)
    stopping: bool = False
    kill_at: float | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


class Agent:
    def __init__(self, region: str, endpoint: str, default_stop_timeout: float = FARGATE_STOP_TIMEOUT,
                 pull_timeout: float = PULL_TIMEOUT, exits_at_once: Iterable[str] = ()):
        self.region, self.endpoint = region, endpoint
        self.default_stop_timeout, self.pull_timeout = default_stop_timeout, pull_timeout
        self.exits_at_once = frozenset(exits_at_once)  # images whose containers exit at once
        self.tasks: list[LocalTask] = []
        # Called with each task once it is STOPPED and its exit code (None if it never ran).
        self.on_finish: Callable[[LocalTask, int | None], None] = lambda task, code: None

    def launch(self, backend: Any, ecs_task: Any, key: ServiceKey | None = None,
               deployment_id: str | None = None,
               on_health: Callable[[Any, Any, str], None] | None = None) -> LocalTask:
        """Starts a placed task (PROVISIONING or PENDING). The result's `failure` says if
        it could not start; such a task is already STOPPED unless its network is to blame."""
        with ecs_state.lock:
            ecs_state.mark_pending(backend, ecs_task)
            definition = backend.describe_task_definition(ecs_task.task_definition_arn)
            overrides = dict(ecs_task.overrides or {})
            try:
                container = task_container(definition, overrides)
                others = sidecar_containers(definition, overrides)
                blocked = None
                for each in (container, *others):  # every container's secrets and image
                    blocked = blocked or network.start_failure(backend, ecs_task, each)
                container, *others = [exiting_at_once(each) if each.get("image") in self.exits_at_once else each
                                      for each in (container, *others)]
            except StartFailure as e:
                container, others, blocked = {}, [], None
                early = str(e)
            else:
                early = None
        local = LocalTask(arn=ecs_task.task_arn, key=key, deployment_id=deployment_id,
                          stop_timeout=float(container.get("stopTimeout") or self.default_stop_timeout))
        self.tasks.append(local)
        if early or blocked:
            return self._cannot_start(local, early or blocked, delay=0 if early else self.pull_timeout)
        local.home = tempfile.mkdtemp(prefix=f"standin-{ecs_task.id}-")
        local.sidecars = Sidecars(ecs_task.id)
        try:
            # As the execution role, before any container: secrets, registry auth, images.
            execution = execution_role.before_start(definition, (container, *others), backend.account_id,
                                                    self.region, ecs_task.id, ecs_task.task_arn)
            role = credentials.task_role_arn(definition, overrides)
            keys = (credentials.role_credentials(backend.account_id, self.region, role, ecs_task.id,
                                                 task_arn=ecs_task.task_arn)
                    if role else None)
            view = reach.of_task(backend, ecs_task)  # what its subnet and groups let its containers reach
            env, ports = container_env(container, backend.account_id, self.region, self.endpoint, local.home, keys,
                                       view)
            local.shipper = open_stream(backend.account_id, self.region, container, ecs_task.id, execution)
            local.sidecars.prepare(others, backend.account_id, self.region, self.endpoint, local.home, keys, view,
                                   execution)
            # Sidecars first: once the essential container runs, the task has started.
            local.sidecars.start()
            local.proc = spawn(container, env, local.home)
        except StartFailure as e:
            return self._cannot_start(local, str(e), delay=0)
        local.reader = threading.Thread(target=pump_output, args=(local.proc, ecs_task.id, local.shipper),
                                        daemon=True)
        local.reader.start()
        ecs_state.mark_running(backend, ecs_task)
        check = HealthCheck.from_definition(container.get("healthCheck"), ports)
        if check is not None:
            local.health = HealthMonitor(check, env, local.home, ecs_task.id,
                                         lambda status: (on_health or _record_health)(backend, ecs_task, status))
        log.info("started task %s (pid %d)", ecs_task.id, local.proc.pid)
        return local

    def _cannot_start(self, local: LocalTask, reason: str, delay: float) -> LocalTask:
        log.warning("task %s cannot start: %s", local.id, reason)
        local.failure, local.fail_at = reason, time.monotonic() + delay
        if delay <= 0:
            self._finish(local, None)
        return local

    # Every pass

    def reap(self) -> None:
        """Finishes the tasks whose process exited or whose start has failed by now;
        kills those past their stop timeout."""
        for task in list(self.tasks):
            if task.proc is None:
                if task.stopping or time.monotonic() >= (task.fail_at or 0.0):
                    self._finish(task, None)
                continue
            code = task.proc.poll()
            if code is None:
                task.sidecars.poll()  # a sidecar's exit leaves the task running
                if task.kill_at is not None and time.monotonic() >= task.kill_at:
                    log.info("task %s ignored SIGTERM for %g s: SIGKILL", task.id, task.stop_timeout)
                    signal_group(task.proc.pid, signal.SIGKILL)
                    task.sidecars.signal(signal.SIGKILL)
                    task.kill_at = None
                continue
            self._finish(task, exit_code(code))

    def follow_stop_requests(self) -> None:
        """Acts on StopTask calls made since the last pass, and on an emulator reset."""
        for task in list(self.tasks):
            if task.stopping:
                continue
            with ecs_state.lock:
                found = ecs_state.find_task(self.region, task.arn)
                requested = found is not None and ecs_state.stop_requested(found[1])
                reason = found[1].stopped_reason if requested else None
            if found is None:
                self.begin_stop(task, "Task stopped because the emulator was reset", "ServiceSchedulerInitiated")
            elif requested:
                log.info("task %s: StopTask: %s", task.id, reason)
                self.begin_stop(task, reason, "UserInitiated")

    def begin_stop(self, task: LocalTask, reason: str, stop_code: str, failed: bool = False) -> None:
        """STOPPING now (the first reason given is kept); SIGTERM, SIGKILL after the timeout."""
        log.info("stopping task %s: %s", task.id, reason)
        with ecs_state.lock:
            found = ecs_state.find_task(self.region, task.arn)
            if found is not None:
                ecs_state.mark_stopping(found[0], found[1], reason, stop_code, failed=failed)
        task.stopping = True
        task.kill_at = time.monotonic() + task.stop_timeout
        if task.health:
            task.health.close()
        if task.proc is None:
            self._finish(task, None)
        else:
            signal_group(task.proc.pid, signal.SIGTERM)
            task.sidecars.signal(signal.SIGTERM)

    def _finish(self, task: LocalTask, code: int | None) -> None:
        if task.proc is not None:
            task.reader.join(timeout=5)
            task.proc.stdout.close()
        if task.sidecars:
            task.sidecars.close()  # those still running are killed; their last lines shipped
        if task.health:
            task.health.close()
        if task.shipper:
            # Logs first: whoever sees STOPPED should find the last lines already there.
            task.shipper.close()
        with ecs_state.lock:
            found = ecs_state.find_task(self.region, task.arn)
            if found is not None:
                if task.failure is not None and not task.stopping:
                    ecs_state.mark_stopped(found[0], found[1], None, reason=task.failure,
                                           stop_code="TaskFailedToStart", failed=True)
                else:
                    ecs_state.mark_stopped(found[0], found[1], code, failed=not task.stopping)
        if task in self.tasks:
            self.tasks.remove(task)
        if task.home:
            shutil.rmtree(task.home, ignore_errors=True)
        if task.proc is not None:
            log.info("task %s exited with code %d", task.id, code)
        self.on_finish(task, code)

    def shutdown(self) -> None:
        """Stops every task and waits until each is recorded STOPPED (or killed)."""
        for task in list(self.tasks):
            if not task.stopping:
                self.begin_stop(task, "Task stopped because the Fargate stand-in is shutting down",
                                "ServiceSchedulerInitiated" if task.key else "TerminationNotice")
        while self.tasks:
            self.reap()
            time.sleep(0.1)


def _record_health(backend: Any, ecs_task: Any, status: str) -> None:
    """From a health-check thread: only recorded (a RunTask task is not replaced)."""
    ecs_state.set_health(backend, ecs_task, status)
