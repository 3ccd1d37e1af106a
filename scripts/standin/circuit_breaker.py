"""circuit_breaker: ECS's deployment circuit breaker, and its rollback.

For a service whose deploymentConfiguration turns it on (deploymentCircuitBreaker.enable),
the scheduler asks here once a pass whether the PRIMARY deployment has failed. While that
deployment's rollout is IN_PROGRESS, each of its tasks that stopped before it was ever
ready (RUNNING and, when the task definition has a health check, HEALTHY) is one failure:
it exited, could not start, or failed its health check. A task that was ready once never
counts, whatever happens to it later. At ceil(desiredCount / 2) failures, at least 3 and
at most 200 (AWS's documented threshold), the deployment's rolloutState becomes FAILED,
with ECS's reason and service event; a FAILED deployment launches no more tasks, and the
tasks of the older deployments keep running as the scheduler's minimumHealthyPercent
keeps them (so the old revision serves throughout).

With rollback on, and a deployment of the service whose rollout COMPLETED before, a new
PRIMARY deployment of that deployment's task definition is made and the service's
taskDefinition goes back to it; the failed deployment turns ACTIVE, the scheduler stops
its tasks, and the new deployment rolls out like any other (the launch throttle still
applies). The failed deployment stays in the list, rolloutState FAILED, until the
rollback's tasks are ready, then leaves as drained deployments do. Without a completed
deployment to go back to, or with rollback off, the failed deployment stays PRIMARY and
FAILED until the next UpdateService.

Not emulated: resetOnHealthyTask and the newer configurable thresholds (failures here add
up over the whole rollout and the threshold is always AWS's formula), CloudWatch alarms
(deploymentConfiguration.alarms), the ECS Deployment State Change events, the minutes ECS
can take to act. A rollback deployment that fails in its turn is not rolled back again
(the stand-in's choice: it would only go back to the same task definition).

Must not: start or stop tasks (the scheduler does), or write ECS's state other than
through ecs_state. Called with `ecs_state.lock` held.
"""

from __future__ import annotations

import math
from typing import Any

from . import ecs_state

MIN_THRESHOLD, MAX_THRESHOLD = 3, 200
FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."


def threshold(desired_count: int) -> int:
    """How many failed tasks fail a deployment of `desired_count` tasks."""
    return min(MAX_THRESHOLD, max(MIN_THRESHOLD, math.ceil(0.5 * desired_count)))


def follow(backend: Any, service: Any) -> None:
    """Fails the PRIMARY deployment if it reached the threshold, and rolls it back if asked."""
    breaker = ecs_state.deployment_configuration(service).get("deploymentCircuitBreaker") or {}
    if not breaker.get("enable") or not service.deployments:
        return
    primary = service.deployments[0]
    if primary.get("rolloutState") != "IN_PROGRESS":
        return
    failures = ecs_state.tasks_failed_before_ready(backend, service, primary["id"])
    if failures < threshold(service.desired_count):
        return
    ecs_state.fail_rollout(service, primary, FAILED_REASON)
    ecs_state.record_event(service, f"(service {service.name}) (deployment {primary['id']}) deployment failed: "
                                    "tasks failed to start.")
    completed = ecs_state.last_completed_deployment(service)
    if not breaker.get("rollback") or completed is None or ecs_state.is_rollback(service, primary["id"]):
        return
    ecs_state.record_event(service, f"(service {service.name}) rolling back to deployment {completed['id']}.")
    ecs_state.roll_back(backend, service, completed["taskDefinition"])
