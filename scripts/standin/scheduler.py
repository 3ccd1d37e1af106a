"""scheduler: the ECS service scheduler for the services of one region.

Each pass keeps every ACTIVE service at its desiredCount with local processes:
  - scale out and in (the newest tasks go first);
  - a rolling deployment when the PRIMARY deployment changes (new task definition or
    forceNewDeployment), bounded by the service's maximumPercent and minimumHealthyPercent:
    new tasks start first, and old ones stop only as new ones are RUNNING and, when the
    task definition has a health check, HEALTHY; if the new ones cannot start, the old
    ones keep running;
  - replacement of tasks that exited, failed their health check or were stopped with
    StopTask; a task that exits within a minute of starting (or cannot start at all)
    makes the next start wait, doubling from 5 s to 60 s, like ECS's task launch throttle;
  - StopTask and every other stop: SIGTERM to the task's process group, SIGKILL after the
    container's stopTimeout (the stand-in's default when the definition sets none).
Tasks are started from the main thread only (see processes.die_with_parent).

Not emulated: placement strategies, availability-zone balancing, the deployment circuit
breaker, capacity providers, daemon services, and other deployment controllers (services
with no ECS deployment are left alone).
"""

from __future__ import annotations

import logging
import math
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import ecs_state
from .health import HealthCheck, HealthMonitor
from .logs import LogShipper, open_stream
from .processes import (StartFailure, container_env, error_text, essential_container, exit_code, pump_output,
                        signal_group, spawn)

CRASH_WINDOW = 60.0  # a task that exits sooner than this after starting is crashing
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 60.0
FARGATE_STOP_TIMEOUT = 30.0  # Fargate's default stopTimeout

log = logging.getLogger("standin")

ServiceKey = tuple[str, str, str]  # (account, cluster name, service name)


@dataclass
class LocalTask:
    """One task the stand-in runs: its ECS identity and the local process standing in."""

    arn: str
    key: ServiceKey
    deployment_id: str
    proc: subprocess.Popen
    home: str
    reader: threading.Thread
    shipper: LogShipper | None
    health: HealthMonitor | None
    stop_timeout: float
    started: float = field(default_factory=time.monotonic)
    stopping: bool = False
    kill_at: float | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


class Scheduler:
    def __init__(self, region: str, endpoint: str, default_stop_timeout: float = FARGATE_STOP_TIMEOUT):
        self.region, self.endpoint = region, endpoint
        self.default_stop_timeout = default_stop_timeout
        self.tasks: list[LocalTask] = []
        self.backoff: dict[ServiceKey, tuple[float, float]] = {}  # key -> (delay, not before)

    # One pass

    def cycle(self) -> None:
        self.reap()
        self.follow_requests()
        with ecs_state.lock:
            services = ecs_state.active_services(self.region)
        active = set()
        for backend, service in services:
            key = (backend.account_id, service.cluster_name, service.name)
            active.add(key)
            try:
                self.reconcile(backend, service, key)
            except Exception:  # one odd service must not stop the others being scheduled
                log.exception("service %s: scheduling failed", service.name)
        for task in list(self.tasks):
            if task.key not in active and not task.stopping:
                self.begin_stop(task, f"Service {task.key[2]} is no longer ACTIVE (deleted or draining)",
                                "ServiceSchedulerInitiated")

    def follow_requests(self) -> None:
        """Acts on what was asked of ECS or found by a health check since the last pass."""
        for task in list(self.tasks):
            if task.stopping:
                continue
            with ecs_state.lock:
                found = ecs_state.find_task(self.region, task.arn)
                if found is None:
                    reason = None  # the emulator was reset: nothing left to record
                else:
                    backend, ecs_task = found
                    requested = ecs_state.stop_requested(ecs_task)
                    unhealthy = ecs_task.health_status == "UNHEALTHY"
                    service = ecs_state.service_of(backend, ecs_task)
            if found is None:
                self.begin_stop(task, "Task stopped because the emulator was reset", "ServiceSchedulerInitiated")
            elif requested:
                log.info("task %s: StopTask: %s", task.id, ecs_task.stopped_reason)
                self.begin_stop(task, ecs_task.stopped_reason, "UserInitiated")
            elif unhealthy:
                if service is not None:
                    ecs_state.record_event(service, f"(service {service.name}) (task {task.id}) failed "
                                                    "container health checks.")
                self.begin_stop(task, "Task failed container health checks", "ServiceSchedulerInitiated",
                                failed=True)

    def reconcile(self, backend: Any, service: Any, key: ServiceKey) -> None:
        with ecs_state.lock:
            ecs_state.refresh_service(backend, service)
            if not service.deployments:
                return
            primary_id = service.deployments[0]["id"]
            desired = service.desired_count
            config = ecs_state.deployment_configuration(service)
            needs_health = ecs_state.health_check_of(backend, service.task_definition) is not None
            state = {}
            for task in self.tasks:
                if task.key == key:
                    found = ecs_state.find_task(self.region, task.arn)
                    state[task.arn] = (found[1].last_status, found[1].health_status) if found else ("STOPPED", "")

        def ready(task: LocalTask) -> bool:
            status, health = state.get(task.arn, ("STOPPED", ""))
            return status == "RUNNING" and (not needs_health or health == "HEALTHY")

        live = sorted((t for t in self.tasks if t.key == key and not t.stopping), key=lambda t: t.started)
        new = [t for t in live if t.deployment_id == primary_id]
        old = [t for t in live if t.deployment_id != primary_id]
        for task in new[desired:]:  # scale in: the newest go first
            self.begin_stop(task, f"Scaling activity initiated by (deployment {primary_id})",
                            "ServiceSchedulerInitiated", event=True)
        new = new[:desired]
        # A rolling deployment: old tasks go only as new ones are ready.
        min_healthy = math.ceil(desired * config["minimumHealthyPercent"] / 100)
        max_total = max(desired, math.floor(desired * config["maximumPercent"] / 100))
        keep_old = max(0, min(len(old), min_healthy - sum(ready(t) for t in new)))
        for task in old[:len(old) - keep_old]:  # the oldest go first
            self.begin_stop(task, f"Scaling activity initiated by (deployment {task.deployment_id})",
                            "ServiceSchedulerInitiated", event=True)
        old = old[len(old) - keep_old:]
        wanted = desired - len(new)
        room = max_total - len(new) - len(old)
        if wanted > 0 and room <= 0 and old:
            # maximumPercent leaves no room for a new task: make some, as ECS does.
            self.begin_stop(old[0], f"Scaling activity initiated by (deployment {old[0].deployment_id})",
                            "ServiceSchedulerInitiated", event=True)
            room = 1
        for _ in range(min(wanted, room)):
            if not self.start(backend, service, key, primary_id):
                return

    def reap(self) -> None:
        """Finishes the tasks whose process exited; kills those past their stop timeout."""
        for task in list(self.tasks):
            code = task.proc.poll()
            if code is None:
                if task.kill_at is not None and time.monotonic() >= task.kill_at:
                    log.info("task %s ignored SIGTERM for %g s: SIGKILL", task.id, task.stop_timeout)
                    signal_group(task.proc.pid, signal.SIGKILL)
                    task.kill_at = None
                continue
            self.finish(task, code)

    # Starting and stopping tasks

    def start(self, backend: Any, service: Any, key: ServiceKey, deployment_id: str) -> bool:
        """Starts one task of the deployment; False if it cannot now (backoff or failure)."""
        if time.monotonic() < self.backoff.get(key, (0.0, 0.0))[1]:
            return False
        try:
            with ecs_state.lock:
                container = essential_container(backend.describe_task_definition(service.task_definition))
                ecs_task = ecs_state.place_task(backend, service, deployment_id)
        except Exception as e:
            log.warning("service %s: could not start a task: %s", service.name, error_text(e))
            self.note_crash(key, service)
            return False
        home = tempfile.mkdtemp(prefix=f"standin-{ecs_task.id}-")
        shipper = None
        try:
            env, ports = container_env(container, backend.account_id, self.region, self.endpoint, home)
            shipper = open_stream(backend.account_id, self.region, container, ecs_task.id)
            proc = spawn(container, env, home)
        except StartFailure as e:
            log.warning("service %s: task %s failed to start: %s", service.name, ecs_task.id, e)
            if shipper:
                shipper.close()
            ecs_state.mark_stopped(backend, ecs_task, None, reason=str(e), stop_code="TaskFailedToStart",
                                   failed=True)
            shutil.rmtree(home, ignore_errors=True)
            self.note_crash(key, service)
            return False
        reader = threading.Thread(target=pump_output, args=(proc, ecs_task.id, shipper), daemon=True)
        reader.start()
        ecs_state.mark_running(backend, ecs_task)
        check = HealthCheck.from_definition(container.get("healthCheck"), ports)
        health = None
        if check is not None:
            health = HealthMonitor(check, env, home, ecs_task.id,
                                   lambda status: self._on_health(backend, ecs_task, status))
        stop_timeout = float(container.get("stopTimeout") or self.default_stop_timeout)
        self.tasks.append(LocalTask(arn=ecs_task.task_arn, key=key, deployment_id=deployment_id, proc=proc,
                                    home=home, reader=reader, shipper=shipper, health=health,
                                    stop_timeout=stop_timeout))
        log.info("service %s: started task %s (pid %d)", service.name, ecs_task.id, proc.pid)
        return True

    @staticmethod
    def _on_health(backend: Any, ecs_task: Any, status: str) -> None:
        """From a health-check thread: record it; wake the scheduler if it must act."""
        ecs_state.set_health(backend, ecs_task, status)
        if status == "UNHEALTHY":
            ecs_state.wake.set()

    def begin_stop(self, task: LocalTask, reason: str, stop_code: str, failed: bool = False,
                   event: bool = False) -> None:
        log.info("stopping task %s: %s", task.id, reason)
        with ecs_state.lock:
            found = ecs_state.find_task(self.region, task.arn)
            if found is not None:
                backend, ecs_task = found
                ecs_state.mark_stopping(backend, ecs_task, reason, stop_code, failed=failed)
                service = ecs_state.service_of(backend, ecs_task)
                if event and service is not None:
                    ecs_state.record_event(service, f"(service {service.name}) has stopped 1 running tasks: "
                                                    f"(task {task.id}).")
        task.stopping = True
        task.kill_at = time.monotonic() + task.stop_timeout
        if task.health:
            task.health.close()
        signal_group(task.proc.pid, signal.SIGTERM)

    def finish(self, task: LocalTask, returncode: int) -> None:
        code = exit_code(returncode)
        task.reader.join(timeout=5)
        task.proc.stdout.close()
        if task.health:
            task.health.close()
        if task.shipper:
            # Logs first: whoever sees STOPPED should find the last lines already there.
            task.shipper.close()
        found = ecs_state.find_task(self.region, task.arn)
        if found is not None:
            ecs_state.mark_stopped(found[0], found[1], code, failed=not task.stopping)
        self.tasks.remove(task)
        shutil.rmtree(task.home, ignore_errors=True)
        log.info("task %s exited with code %d", task.id, code)
        if not task.stopping:
            if time.monotonic() - task.started < CRASH_WINDOW:
                service = ecs_state.service_of(*found) if found else None
                self.note_crash(task.key, service)
            else:
                self.backoff.pop(task.key, None)

    def note_crash(self, key: ServiceKey, service: Any | None) -> None:
        """Like ECS's task launch throttle, so a crashing worker does not spin."""
        previous = self.backoff.get(key, (0.0, 0.0))[0]
        delay = min(previous * 2 or BACKOFF_FIRST, BACKOFF_MAX)
        self.backoff[key] = (delay, time.monotonic() + delay)
        log.info("service %s: next task start in %.0f s", key[2], delay)
        if previous and service is not None:
            ecs_state.record_event(service, f"(service {service.name}) is unable to consistently start tasks "
                                            "successfully. For more information, see the Troubleshooting section "
                                            "of the Amazon ECS Developer Guide.")

    def shutdown(self) -> None:
        """Stops every task and waits until each is recorded STOPPED (or killed)."""
        for task in list(self.tasks):
            if not task.stopping:
                self.begin_stop(task, "Task stopped because the Fargate stand-in is shutting down",
                                "ServiceSchedulerInitiated")
        while self.tasks:
            self.reap()
            time.sleep(0.1)
