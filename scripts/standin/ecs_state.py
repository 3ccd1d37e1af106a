"""ecs_state: what ECS says about the stand-in's tasks and services, kept in moto's backend.

moto stores ECS services and tasks but runs nothing, so on its own it reports numbers that
never move: a service's runningCount is whatever UpdateService last set, its deployments
keep their first counts, ListTasks ignores serviceName, StopTask jumps straight to STOPPED,
RunTask answers RUNNING at once. This module keeps those objects true to the tasks the
stand-in really runs, the way ECS does, by writing moto's own Service, Task and Container
objects in this process. Every write happens under `lock`, which the server also holds
while it answers an ECS request, so no response ever shows half of a change.

Emulated here:
  - a Fargate task's lifecycle, for service tasks and RunTask tasks alike: PROVISIONING
    from RunTask until the agent takes it up (a service task passes it in the step that
    places it), PENDING while its image would be pulled and its process starts, RUNNING
    once started, DEACTIVATING after StopTask, STOPPING once signalled, then
    DEPROVISIONING and STOPPED once its process is gone (DEPROVISIONING is passed through
    at once: an event, never seen by DescribeTasks); createdAt, pullStartedAt,
    pullStoppedAt, startedAt, stoppingAt, executionStoppedAt, stoppedAt, stopCode,
    stoppedReason, the task's `version` (one more at each change), the containers'
    lastStatus, exitCode, reason, healthStatus and taskArn (moto gives them the task
    definition's), the task's healthStatus, cpu and memory (RunTask's overrides, else the
    definition's), its platform version (LATEST resolved to 1.4.0) and family, and its ENI
    attachment and zone (network.py); each lastStatus change is an EventBridge event
    (events.py);
  - a service's runningCount and pendingCount, counted from its tasks;
  - deployments: UpdateService with a new task definition (or forceNewDeployment) makes a
    new PRIMARY deployment and turns the old one ACTIVE; each deployment's desired, running,
    pending and failed counts; rolloutState IN_PROGRESS until its tasks run (and, with a
    health check, are HEALTHY) and no older deployment is left, then COMPLETED (an old
    deployment keeps its rolloutState once ACTIVE); drained deployments leave the list, as
    INACTIVE ones do in ECS (a FAILED one only once the PRIMARY's tasks are ready);
  - service events worded as ECS words them, newest first, at most 100;
  - a task definition's registeredAt (moto gives none), set when it is registered;
  - the service's deploymentConfiguration as CreateService gave it (moto drops it), with
    ECS's defaults (200 / 100 percent, no circuit breaker) for what was not given, and
    UpdateService changing only what it gives;
  - what the deployment circuit breaker (circuit_breaker.py) reads and writes: which tasks
    were ever ready, the last deployment whose rollout COMPLETED, a FAILED rollout, and
    the rollback's new PRIMARY deployment (the service's taskDefinition goes back with it);
  - StopTask: the task stays DEACTIVATING until the stand-in has ended its process, its
    stoppedReason is the reason given or "Task stopped by user", stopCode UserInitiated;
  - ListTasks with serviceName lists that service's tasks only;
  - RunTask and CreateService with a task definition whose containers set no memory (valid
    on Fargate, where the task's memory counts): moto would fail on them with a TypeError.
Not emulated: task sets, load balancers, placement, capacity providers, tasks on EC2
container instances (moto keeps its own behaviour for those).

Must not: start or signal processes (agent.py does), or block while holding `lock`.
"""

from __future__ import annotations

import random
import threading
import types
import uuid
from typing import Any, Callable

from moto.core.utils import utcnow
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.models import ecs_backends
from moto.moto_api import state_manager

from . import events, network

# Held while an ECS request is answered and while this module writes ECS state.
lock = threading.RLock()
# Set whenever something the stand-in should act on now happened (RunTask, StopTask).
wake = threading.Event()

MAX_EVENTS = 100  # DescribeServices returns at most the 100 newest events
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
# Task states: ECS counts PROVISIONING, PENDING and ACTIVATING tasks as pending.
PENDING_STATES = ("PROVISIONING", "PENDING", "ACTIVATING")
FARGATE_PLATFORM_VERSION = "1.4.0"  # what LATEST resolves to on Linux


# Finding things in the backend


def backends_in(region: str) -> list[Any]:
    """The ECS backends of every account that has one in `region` (none is created)."""
    found = []
    for regional in list(ecs_backends.values()):
        backend = dict.get(regional, region)
        if backend is not None:
            found.append(backend)
    return found


def active_services(region: str) -> list[tuple[Any, Any]]:
    """(backend, service) for every ACTIVE service in the region."""
    return [(backend, service) for backend in backends_in(region)
            for service in list(backend.services.values()) if service.status == "ACTIVE"]


def find_task(region: str, arn: str) -> tuple[Any, Any] | None:
    """(backend, task) for a task ARN, or None if the emulator no longer has it (reset)."""
    for backend in backends_in(region):
        for tasks in backend.tasks.values():
            if arn in tasks:
                return backend, tasks[arn]
    return None


def unclaimed_tasks(region: str) -> list[tuple[Any, Any]]:
    """(backend, task) for every task RunTask made that the agent has not taken up yet:
    PROVISIONING, or already stopped with StopTask while it was."""
    return [(backend, task) for backend in backends_in(region)
            for tasks in list(backend.tasks.values()) for task in list(tasks.values())
            if getattr(task, "_standin_phase", None) in ("provisioning", "stop-requested")
            and not getattr(task, "_standin_claimed", False) and service_of(backend, task) is None]


def service_of(backend: Any, task: Any) -> Any | None:
    group = task.group or ""
    if not group.startswith("service:"):
        return None
    return backend.services.get(f"{task.cluster_name}:{group[len('service:'):]}")


def service_tasks(backend: Any, service: Any) -> list[Any]:
    group = f"service:{service.name}"
    return [t for t in backend.tasks.get(service.cluster_name, {}).values() if t.group == group]


def deployment_configuration(service: Any) -> dict:
    config = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
    config.update(getattr(service, "deployment_configuration", None) or {})
    return config


def health_check_of(backend: Any, task_definition_arn: str) -> dict | None:
    """The essential container's healthCheck in a task definition, if it has one."""
    try:
        definition = backend.describe_task_definition(task_definition_arn)
    except Exception:  # deleted: nothing to wait for
        return None
    for container in definition.container_definitions:
        if container.get("essential", True):
            return container.get("healthCheck")
    return None


# A task's lifecycle


def place_task(backend: Any, service: Any, deployment_id: str) -> Any:
    """Registers one PENDING task of the service's deployment, as the scheduler placing it."""
    with lock:
        tags = list(service.tags) if service.propagate_tags == "SERVICE" else []
        task = backend.run_task(
            service.cluster_name, service.task_definition, 1, None, deployment_id, tags,
            "FARGATE", service.network_configuration or None, f"service:{service.name}",
            service.platform_version)[0]
        record_event(service, f"(service {service.name}) has started 1 tasks: (task {task.id}).")
        mark_pending(backend, task)
        return task


def _provision(backend: Any, task: Any) -> None:
    """A task RunTask (or the scheduler) just made: PROVISIONING, as ECS answers it."""
    definition = backend.describe_task_definition(task.task_definition_arn)
    overrides = task.overrides or {}
    task._standin_owned = True
    task._standin_claimed = False  # set once the agent runs it
    task._standin_phase = "provisioning"
    task._standin_failed = False
    task._standin_ready_once = False  # RUNNING (and HEALTHY, with a health check) at some point
    task.version = 0
    task.desired_status = "RUNNING"
    task.created_at = utcnow()
    task.health_status = "UNKNOWN"
    task.cpu = str(overrides.get("cpu") or definition.cpu or "") or None
    task.memory = str(overrides.get("memory") or definition.memory or "") or None
    if task.platform_version in (None, "LATEST"):
        task.platform_version = FARGATE_PLATFORM_VERSION
    task.platform_family = "Linux"
    for container in task.containers:
        container.task_arn = task.task_arn
        container.last_status = "PENDING"
        container.health_status = "UNKNOWN"
        container.exitCode = None
    network.attach(backend, task)
    _move(backend, task, "PROVISIONING")


def mark_pending(backend: Any, task: Any) -> None:
    """The agent took the task up: its image would be pulling now."""
    with lock:
        task._standin_claimed = True
        if task._standin_phase != "provisioning":
            return
        task._standin_phase = "pending"
        task.pull_started_at = utcnow()
        network.mark_attached(task)
        _move(backend, task, "PENDING")


def mark_running(backend: Any, task: Any) -> None:
    with lock:
        if task._standin_phase != "pending":
            return  # stopped while it was starting
        now = utcnow()
        task._standin_phase = "running"
        task.pull_stopped_at = now
        task.started_at = now
        task.connectivity, task.connectivity_at = "CONNECTED", now
        for container in task.containers:
            container.last_status = "RUNNING"
        # Ready now, unless a health check must pass first.
        task._standin_ready_once = health_check_of(backend, task.task_definition_arn) is None
        _move(backend, task, "RUNNING")


def mark_stopping(backend: Any, task: Any, reason: str, stop_code: str, failed: bool = False) -> None:
    """The stand-in is ending the task (SIGTERM sent). The first reason given is kept."""
    with lock:
        if task._standin_phase in ("stopping", "stopped"):
            return
        if task._standin_phase != "stop-requested":
            task.stopped_reason, task.stop_code = reason, stop_code
            task.stopping_at = utcnow()
        task._standin_phase = "stopping"
        task._standin_failed = task._standin_failed or failed
        task.desired_status = "STOPPED"
        _move(backend, task, "STOPPING")


def mark_stopped(backend: Any, task: Any, exit_code: int | None, reason: str | None = None,
                 stop_code: str = "EssentialContainerExited", failed: bool = False) -> None:
    """The task's process is gone (or never started): STOPPED, with its exit code."""
    with lock:
        if task._standin_phase == "stopped":
            return
        now = utcnow()
        if task._standin_phase not in ("stopping", "stop-requested"):
            task.stopped_reason = reason or "Essential container in task exited"
            task.stop_code = stop_code
            task.stopping_at = now
        never_started = task._standin_phase in ("provisioning", "pending")
        task._standin_phase = "stopped"
        task._standin_failed = task._standin_failed or failed
        task.desired_status = "STOPPED"
        task.execution_stopped_at = now
        for container in task.containers:
            container.last_status = "STOPPED"
            container.exitCode = exit_code
            if never_started and task.stop_code == "TaskFailedToStart":
                container.reason = task.stopped_reason
        _move(backend, task, "DEPROVISIONING")
        task.stopped_at = utcnow()
        network.release(backend, task)
        _move(backend, task, "STOPPED")


def set_health(backend: Any, task: Any, status: str) -> None:
    """The essential container's health check result: HEALTHY or UNHEALTHY."""
    with lock:
        if task._standin_phase != "running":
            return
        for container in task.containers:
            container.health_status = status
        # One essential container, so the task's health is the container's.
        task.health_status = status
        task._standin_ready_once = task._standin_ready_once or status == "HEALTHY"
        _refresh_task_service(backend, task)


def stop_requested(task: Any) -> bool:
    """Whether StopTask was called on the task and the stand-in has not acted yet."""
    return getattr(task, "_standin_phase", None) == "stop-requested"


# The service's view


def record_event(service: Any, message: str) -> None:
    with lock:
        service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message})
        del service.events[MAX_EVENTS:]


def refresh_service(backend: Any, service: Any) -> None:
    """Counts, deployments and rollout state from the service's tasks, as ECS keeps them."""
    with lock:
        _follow_deployments(backend, service)
        tasks = service_tasks(backend, service)
        service.running_count = sum(t.last_status == "RUNNING" for t in tasks)
        service.pending_count = sum(t.last_status in PENDING_STATES for t in tasks)
        primary_ready = _primary_ready(backend, service, tasks)
        now = utcnow()
        kept = []
        for index, deployment in enumerate(service.deployments):
            mine = [t for t in tasks if t.started_by == deployment["id"]]
            running = sum(t.last_status == "RUNNING" for t in mine)
            pending = sum(t.last_status in PENDING_STATES for t in mine)
            counts = {
                "runningCount": running,
                "pendingCount": pending,
                "failedTasks": sum(bool(getattr(t, "_standin_failed", False)) for t in mine),
            }
            if index == 0:
                counts["desiredCount"] = service.desired_count
            else:
                # An old deployment is wanted only as long as the scheduler keeps its tasks.
                counts["desiredCount"] = sum(t.desired_status == "RUNNING" for t in mine)
                drained = not any(t.last_status != "STOPPED" for t in mine)
                # A FAILED one is still shown while what replaced it rolls out (see
                # circuit_breaker.py), so its rolloutState can be read.
                if drained and (deployment.get("rolloutState") != "FAILED" or primary_ready):
                    continue  # INACTIVE, and gone from the list as in ECS
            if any(deployment.get(k) != v for k, v in counts.items()):
                deployment.update(counts, updatedAt=now)
            kept.append(deployment)
        service.deployments[:] = kept
        _follow_rollout(backend, service, tasks)
        _count_cluster(backend, service.cluster_name)


def _follow_deployments(backend: Any, service: Any) -> None:
    """Turns an UpdateService that changed the task definition (or forced a new deployment)
    into a new PRIMARY deployment, the old one becoming ACTIVE."""
    if not service.deployments:
        return  # not the ECS deployment controller
    primary = service.deployments[0]
    seen = getattr(service, "_standin_primary", None)
    if seen is None:
        primary["taskDefinition"] = service.task_definition
        service._standin_primary = dict(primary)
        return
    forced = primary["id"] != seen["id"]  # moto rewrites the PRIMARY's id and times in place
    if not forced and service.task_definition == seen["taskDefinition"]:
        return
    now = utcnow()
    # The old deployment as it is now (its counts, its rolloutState), under its own id.
    old = dict(primary, id=seen["id"], createdAt=seen.get("createdAt", primary.get("createdAt")),
               taskDefinition=seen["taskDefinition"], status="ACTIVE", updatedAt=now)
    new = _new_primary(service, primary["id"] if forced else new_deployment_id(), service.task_definition, now)
    service.deployments[:] = [new, old] + service.deployments[1:]


def _new_primary(service: Any, deployment_id: str, task_definition: str, now: Any) -> dict:
    """A new PRIMARY deployment of `task_definition`, its rollout IN_PROGRESS; the caller
    puts it first in the list."""
    new = dict(service.deployments[0])  # launch type, platform, network as the service has them
    new.update(id=deployment_id, status="PRIMARY", taskDefinition=task_definition, createdAt=now, updatedAt=now,
               desiredCount=service.desired_count, runningCount=0, pendingCount=0, failedTasks=0,
               rolloutState="IN_PROGRESS", rolloutStateReason=f"ECS deployment {deployment_id} in progress.")
    service._standin_primary = dict(new)
    service._standin_steady = False
    return new


def task_ready(backend: Any, task: Any) -> bool:
    """RUNNING and, when its task definition has a health check, HEALTHY."""
    with lock:
        return task.last_status == "RUNNING" and (
            task.health_status == "HEALTHY" or health_check_of(backend, task.task_definition_arn) is None)


def _primary_ready(backend: Any, service: Any, tasks: list[Any]) -> bool:
    """Whether the PRIMARY deployment's tasks that are wanted are all there and ready."""
    if not service.deployments:
        return False
    primary_id = service.deployments[0]["id"]
    mine = [t for t in tasks if t.started_by == primary_id and t.desired_status == "RUNNING"]
    return len(mine) == service.desired_count and all(task_ready(backend, t) for t in mine)


def _follow_rollout(backend: Any, service: Any, tasks: list[Any]) -> None:
    if not service.deployments:
        return
    primary = service.deployments[0]
    steady = len(service.deployments) == 1 and _primary_ready(backend, service, tasks)
    if steady and primary.get("rolloutState") == "IN_PROGRESS":
        primary.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {primary['id']} completed.",
                       updatedAt=utcnow())
        record_event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.")
    if primary.get("rolloutState") == "COMPLETED":
        # What a circuit breaker's rollback goes back to (moto's own first deployment of a
        # service with no tasks wanted is COMPLETED from the start).
        service._standin_completed = {"id": primary["id"], "taskDefinition": primary["taskDefinition"]}
    if steady and not getattr(service, "_standin_steady", False):
        record_event(service, f"(service {service.name}) has reached a steady state.")
    service._standin_steady = steady


# The circuit breaker's writes (circuit_breaker.py decides when)


def tasks_failed_before_ready(backend: Any, service: Any, deployment_id: str) -> int:
    """The deployment's tasks that failed (exited, could not start, failed their health
    check) without ever having been ready."""
    with lock:
        return sum(1 for t in service_tasks(backend, service) if t.started_by == deployment_id
                   and getattr(t, "_standin_failed", False) and not getattr(t, "_standin_ready_once", False))


def fail_rollout(service: Any, deployment: dict, reason: str) -> None:
    with lock:
        deployment.update(rolloutState="FAILED", rolloutStateReason=reason, updatedAt=utcnow())


def last_completed_deployment(service: Any) -> dict | None:
    """{"id", "taskDefinition"} of the service's last deployment whose rollout COMPLETED."""
    completed = getattr(service, "_standin_completed", None)
    return dict(completed) if completed else None


def is_rollback(service: Any, deployment_id: str) -> bool:
    return deployment_id in getattr(service, "_standin_rollbacks", ())


def roll_back(backend: Any, service: Any, task_definition: str) -> dict:
    """A new PRIMARY deployment of `task_definition`, which becomes the service's; the
    PRIMARY it replaces turns ACTIVE. The new deployment, as ECS's rollback makes it."""
    with lock:
        now = utcnow()
        failed = service.deployments[0]
        new = _new_primary(service, new_deployment_id(), task_definition, now)
        failed.update(status="ACTIVE", updatedAt=now)
        service.deployments[:] = [new] + service.deployments
        service.task_definition = task_definition
        service._standin_rollbacks = getattr(service, "_standin_rollbacks", set()) | {new["id"]}
        refresh_service(backend, service)
        return new


def _count_cluster(backend: Any, cluster_name: str) -> None:
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return
    tasks = list(backend.tasks.get(cluster_name, {}).values())
    cluster.running_tasks_count = sum(t.last_status == "RUNNING" for t in tasks)
    cluster.pending_tasks_count = sum(t.last_status in PENDING_STATES for t in tasks)


def _move(backend: Any, task: Any, status: str) -> None:
    """Sets the task's lastStatus, as ECS does: a new version, the counts, an event."""
    task.last_status = status
    task.version = getattr(task, "version", 0) + 1
    task.updated_at = utcnow()
    _refresh_task_service(backend, task)
    events.task_state_change(backend, task)


def _refresh_task_service(backend: Any, task: Any) -> None:
    service = service_of(backend, task)
    if service is not None:
        refresh_service(backend, service)
    else:
        _count_cluster(backend, task.cluster_name)


def new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


# Hooks into moto's ECS backend: where an API call must change more than moto changes


def install() -> None:
    """Wraps moto's ECS calls once per process; idempotent."""
    backend_cls = ecs_models.EC2ContainerServiceBackend
    if getattr(backend_cls, "_standin_hooked", False):
        return
    backend_cls._standin_hooked = True
    # moto moves a task one state per DescribeTasks by default; only the stand-in moves them.
    state_manager.set_transition(model_name="ecs::task",
                                 transition={"progression": "manual", "times": 2**31})
    network.install()
    _wrap(backend_cls, "run_task", _after_run_task, before=_before_run_task)
    _wrap(backend_cls, "stop_task", _after_stop_task, before=_before_stop_task)
    _wrap(backend_cls, "list_tasks", _after_list_tasks)
    _wrap(backend_cls, "update_service", _after_update_service, before=_before_update_service)
    _wrap(backend_cls, "register_task_definition", _after_register_task_definition)
    _wrap(ecs_responses.EC2ContainerServiceResponse, "create_service", _after_create_service_response)
    backend_cls._calculate_task_resource_requirements = staticmethod(
        _fargate_requirements(backend_cls._calculate_task_resource_requirements))


served_regions: set[str] = set()


def _wrap(cls: type, name: str, after: Callable, before: Callable | None = None) -> None:
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        with lock:
            saved = before(self, *args, **kwargs) if before else None
            result = original(self, *args, **kwargs)
            return after(self, result, saved, *args, **kwargs)

    wrapped.__name__ = name
    wrapped.__doc__ = original.__doc__
    setattr(cls, name, wrapped)


def _fargate_requirements(original: Callable) -> Callable:
    """moto sums the containers' memory and fails on one that sets none (Fargate takes the
    task's); such a container counts as 0 here."""
    def requirements(task_definition: Any) -> dict:
        containers = [{**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
                      for c in task_definition.container_definitions]
        return original(types.SimpleNamespace(container_definitions=containers))
    return requirements


def _after_register_task_definition(_backend: Any, definition: Any, *_args, **_kwargs) -> Any:
    """ECS says when each revision was registered; moto does not."""
    definition.registered_at = utcnow()
    return definition


def _before_run_task(backend: Any, *args, **kwargs) -> None:
    config = kwargs.get("networking_configuration", args[7] if len(args) > 7 else None)
    network.default_security_groups(backend, config)


def serve(region: str) -> None:
    """The stand-in plays Fargate in `region`: RunTask there is its to run."""
    served_regions.add(region)


def _after_run_task(backend: Any, tasks: list[Any], _saved: Any, *_args, **_kwargs) -> list[Any]:
    # Fargate in a region the stand-in serves is its; elsewhere moto's records stay moto's
    # (StopTask stops them at once), as before the stand-in played RunTask.
    if getattr(backend, "region_name", None) not in served_regions:
        return tasks
    for task in tasks:
        if task.container_instance_arn is None:  # Fargate: the stand-in's
            _provision(backend, task)
    wake.set()
    return tasks


def _before_stop_task(backend: Any, cluster_str: str, task_str: str, reason: str | None) -> Any:
    task_id = task_str.split("/")[-1]
    try:
        cluster = backend._get_cluster(cluster_str)
    except Exception:
        return None
    for arn, task in backend.tasks.get(cluster.name, {}).items():
        if arn.endswith(task_id) and getattr(task, "_standin_owned", False):
            return task, task.last_status, task.stopped_reason
    return None


def _after_stop_task(backend: Any, task: Any, saved: Any, cluster_str: str, task_str: str,
                     reason: str | None) -> Any:
    if saved is None:
        return task
    _, last_status, stopped_reason = saved
    if task._standin_phase in ("provisioning", "pending", "running"):
        # ECS: desiredStatus STOPPED now, lastStatus moves on only as the task really stops.
        task._standin_phase = "stop-requested"
        task.stopped_reason = reason or "Task stopped by user"
        task.stop_code = "UserInitiated"
        task.stopping_at = utcnow()
        _move(backend, task, "DEACTIVATING")
        wake.set()
    else:
        # Already stopping or stopped: StopTask changes nothing.
        task.last_status, task.stopped_reason = last_status, stopped_reason
    return task


def _after_list_tasks(backend: Any, tasks: list[Any], _saved: Any, *args, **kwargs) -> list[Any]:
    service_name = kwargs.get("service_name", args[4] if len(args) > 4 else None)
    if not service_name:
        return tasks
    group = f"service:{service_name.split('/')[-1]}"
    return [t for t in tasks if t.group == group]


def _before_update_service(backend: Any, *args, **kwargs) -> dict | None:
    """The deploymentConfiguration before the call (moto replaces it with what is given)."""
    properties = kwargs.get("service_properties", args[0] if args else {})
    try:
        service = backend._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    except Exception:  # moto answers the error
        return None
    return deployment_configuration(service)


def _after_update_service(backend: Any, service: Any, previous: dict | None, *args, **kwargs) -> Any:
    # What UpdateService leaves out of deploymentConfiguration stays as it was.
    given = kwargs.get("service_properties", args[0] if args else {}).get("deployment_configuration")
    if given and previous is not None:
        service.deployment_configuration = {**previous, **given}
    # ECS answers with the full ARN even when given `family` or `family:revision`.
    if service.task_definition:
        service.task_definition = backend.describe_task_definition(service.task_definition).arn
    refresh_service(backend, service)
    return service


def _after_create_service_response(response: Any, result: Any, _saved: Any) -> Any:
    backend = response.ecs_backend
    service = backend._get_service(response._get_param("cluster", "default"),
                                   response._get_param("serviceName"))
    given = response._get_param("deploymentConfiguration") or {}
    service.deployment_configuration = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **given}
    refresh_service(backend, service)
    return result
