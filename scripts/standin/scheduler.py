"""scheduler: the ECS service scheduler for the services of one region.

Each pass keeps every ACTIVE service at its desiredCount with local processes:
  - scale out and in (the newest tasks go first);
  - a rolling deployment when the PRIMARY deployment changes (new task definition or
    forceNewDeployment), bounded by the service's maximumPercent and minimumHealthyPercent:
    new tasks start first, and old ones stop only as new ones are RUNNING and, when the
    task definition has a health check, HEALTHY; if the new ones cannot start, the old
    ones keep running;
  - the deployment circuit breaker, when the service turns it on (circuit_breaker.py
    decides): a FAILED PRIMARY deployment launches no more tasks; once a FAILED deployment
    is replaced (rolled back), its tasks that are not ready stop at once and any ready
    ones drain like other old tasks;
  - replacement of tasks that exited, failed their health check or were stopped with
    StopTask; a task that exits within a minute of starting (or cannot start at all)
    makes the next start wait, doubling from 5 s to 60 s, like ECS's task launch throttle;
  - StopTask and every other stop through the agent (agent.py): SIGTERM, then SIGKILL
    after the container's stopTimeout.
Starting, watching and ending each task is the agent's; this module decides which tasks
there should be. Tasks started with RunTask are runtask.py's, not this module's.

Not emulated: placement strategies, availability-zone balancing, capacity providers,
daemon services, and other deployment controllers (services with no ECS deployment are
left alone).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from . import circuit_breaker, ecs_state
from .agent import Agent, LocalTask, ServiceKey
from .processes import error_text, essential_container

CRASH_WINDOW = 60.0  # a task that exits sooner than this after starting is crashing
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 60.0

log = logging.getLogger("standin")


class Scheduler:
    def __init__(self, agent: Agent):
        self.agent, self.region = agent, agent.region
        self.backoff: dict[ServiceKey, tuple[float, float]] = {}  # key -> (delay, not before)

    def service_tasks(self, key: ServiceKey | None = None) -> list[LocalTask]:
        return [t for t in self.agent.tasks if t.key is not None and (key is None or t.key == key)]

    # One pass

    def cycle(self) -> None:
        self.follow_health()
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
        for task in self.service_tasks():
            if task.key not in active and not task.stopping:
                self.agent.begin_stop(task, f"Service {task.key[2]} is no longer ACTIVE (deleted or draining)",
                                      "ServiceSchedulerInitiated")

    def follow_health(self) -> None:
        """Replaces the tasks a health check found UNHEALTHY since the last pass."""
        for task in self.service_tasks():
            if task.stopping:
                continue
            with ecs_state.lock:
                found = ecs_state.find_task(self.region, task.arn)
                unhealthy = found is not None and found[1].health_status == "UNHEALTHY"
                service = ecs_state.service_of(*found) if unhealthy else None
                if service is not None:
                    ecs_state.record_event(service, f"(service {service.name}) (task {task.id}) failed "
                                                    "container health checks.")
            if unhealthy:
                self.agent.begin_stop(task, "Task failed container health checks", "ServiceSchedulerInitiated",
                                      failed=True)

    def reconcile(self, backend: Any, service: Any, key: ServiceKey) -> None:
        with ecs_state.lock:
            ecs_state.refresh_service(backend, service)
            circuit_breaker.follow(backend, service)
            if not service.deployments:
                return
            primary_id = service.deployments[0]["id"]
            launching = service.deployments[0].get("rolloutState") != "FAILED"
            failed_old = {d["id"] for d in service.deployments[1:] if d.get("rolloutState") == "FAILED"}
            desired = service.desired_count
            config = ecs_state.deployment_configuration(service)
            ready_now = set()
            for task in self.service_tasks(key):
                found = ecs_state.find_task(self.region, task.arn)
                if found is not None and ecs_state.task_ready(*found):
                    ready_now.add(task.arn)

        def ready(task: LocalTask) -> bool:
            return task.arn in ready_now

        live = sorted((t for t in self.service_tasks(key) if not t.stopping), key=lambda t: t.started)
        new = [t for t in live if t.deployment_id == primary_id]
        old = [t for t in live if t.deployment_id != primary_id]
        for task in new[desired:]:  # scale in: the newest go first
            self.stop(task, f"Scaling activity initiated by (deployment {primary_id})")
        new = new[:desired]
        # A FAILED deployment that was replaced (rolled back): its tasks that serve nothing
        # go at once; any ready ones drain as other old tasks do.
        for task in (t for t in old if t.deployment_id in failed_old and not ready(t)):
            self.stop(task, f"Scaling activity initiated by (deployment {task.deployment_id})")
        old = [t for t in old if t.deployment_id not in failed_old or ready(t)]
        # A rolling deployment: old tasks go only as new ones are ready.
        min_healthy = math.ceil(desired * config["minimumHealthyPercent"] / 100)
        max_total = max(desired, math.floor(desired * config["maximumPercent"] / 100))
        keep_old = max(0, min(len(old), min_healthy - sum(ready(t) for t in new)))
        for task in old[:len(old) - keep_old]:  # the oldest go first
            self.stop(task, f"Scaling activity initiated by (deployment {task.deployment_id})")
        old = old[len(old) - keep_old:]
        if not launching:
            return  # a FAILED deployment starts nothing (the circuit breaker's)
        wanted = desired - len(new)
        room = max_total - len(new) - len(old)
        if wanted > 0 and room <= 0 and old:
            # maximumPercent leaves no room for a new task: make some, as ECS does.
            self.stop(old[0], f"Scaling activity initiated by (deployment {old[0].deployment_id})")
            room = 1
        for _ in range(min(wanted, room)):
            if not self.start(backend, service, key, primary_id):
                return

    # Starting and stopping tasks

    def start(self, backend: Any, service: Any, key: ServiceKey, deployment_id: str) -> bool:
        """Starts one task of the deployment; False if it cannot now (backoff or failure)."""
        if time.monotonic() < self.backoff.get(key, (0.0, 0.0))[1]:
            return False
        try:
            with ecs_state.lock:
                essential_container(backend.describe_task_definition(service.task_definition))
                ecs_task = ecs_state.place_task(backend, service, deployment_id)
        except Exception as e:
            log.warning("service %s: could not start a task: %s", service.name, error_text(e))
            self.note_crash(key, service)
            return False
        local = self.agent.launch(backend, ecs_task, key, deployment_id, on_health=self._on_health)
        if local.failure is not None:
            return False
        log.info("service %s: started task %s", service.name, ecs_task.id)
        return True

    @staticmethod
    def _on_health(backend: Any, ecs_task: Any, status: str) -> None:
        """From a health-check thread: record it; wake the scheduler if it must act."""
        ecs_state.set_health(backend, ecs_task, status)
        if status == "UNHEALTHY":
            ecs_state.wake.set()

    def stop(self, task: LocalTask, reason: str) -> None:
        """A stop the scheduler decided, told in the service's events as ECS tells it."""
        self.agent.begin_stop(task, reason, "ServiceSchedulerInitiated")
        with ecs_state.lock:
            found = ecs_state.find_task(self.region, task.arn)
            service = ecs_state.service_of(*found) if found else None
            if service is not None:
                ecs_state.record_event(service, f"(service {service.name}) has stopped 1 running tasks: "
                                                f"(task {task.id}).")

    def finished(self, task: LocalTask, _code: int | None) -> None:
        """One of the services' tasks is STOPPED: a crash, or one that failed to start,
        makes the next start wait."""
        if task.stopping:
            return
        if task.proc is None or time.monotonic() - task.started < CRASH_WINDOW:
            with ecs_state.lock:
                found = ecs_state.find_task(self.region, task.arn)
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
