"""events: ECS's "ECS Task State Change" events, on the region's default event bus.

ECS sends one to EventBridge whenever a task's lastStatus changes; the prefect-aws ECS
worker's observer reads them from an SQS queue (a rule's target) to follow flow-run tasks.
Here ecs_state calls `task_state_change` on every lastStatus change of any task the
stand-in runs (service or RunTask), after the change is complete, and the event is handed
at once, in this process, to each ENABLED rule of the task's account and region default bus
whose pattern matches, through moto's own rule matching and target delivery (SQS, CloudWatch
Logs, archives, other buses). So delivery is immediate, in order, and exactly once.

The event has AWS's shape: version "0", a random id, detail-type, source "aws.ecs",
account, time (ISO 8601, whole seconds, as moto renders it), region, resources [task ARN],
and a detail that is the task as DescribeTasks shows it (moto's own serializer, so the two
agree), in camelCase, with its timestamps in ISO 8601 (milliseconds, Z), its `version`
(one more at each change) and `updatedAt`; without `tags`, which ECS leaves out (the
observer reads them with DescribeTasks include=TAGS).

moto's put_events is not used: it delivers to DISABLED rules and to schedule rules too, and
its default input template drops `account`. Not emulated: other ECS events (container instance, deployment,
service actions), events for desiredStatus-only changes, the 15-minute late delivery
EventBridge allows itself, and cross-region event buses.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from typing import Any

from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.events.models import events_backends

TASK_STATE_CHANGE = "ECS Task State Change"
TIMESTAMPS = ("connectivityAt", "createdAt", "executionStoppedAt", "pullStartedAt", "pullStoppedAt",
              "startedAt", "stoppedAt", "stoppingAt", "updatedAt")

log = logging.getLogger("standin")
_describe_tasks = None


def task_state_change(backend: Any, task: Any) -> None:
    """Publishes the task's current state. Never raises: an event lost is logged."""
    try:
        publish(backend.account_id, backend.region_name, TASK_STATE_CHANGE, [task.task_arn], task_detail(task))
    except Exception:
        log.exception("task %s: could not send its state change event", task.id)


def task_detail(task: Any) -> dict:
    """The task as DescribeTasks renders it, with the event's ISO 8601 timestamps."""
    global _describe_tasks
    if _describe_tasks is None:
        _describe_tasks = get_service_model("ecs").operation_model("DescribeTasks")
    serializer = JSONSerializer(_describe_tasks, value_picker=XFormedAttributePicker())
    detail = json.loads(serializer.serialize({"tasks": [task], "failures": []})["body"])["tasks"][0]
    detail.pop("tags", None)
    detail["updatedAt"] = getattr(task, "updated_at", None) or time.time()
    for key in TIMESTAMPS:
        if key in detail:
            detail[key] = iso8601(detail[key])
    return detail


def iso8601(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    else:
        when = datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def publish(account_id: str, region: str, detail_type: str, resources: list[str], detail: dict,
            source: str = "aws.ecs") -> str:
    """Hands an event to every matching ENABLED rule of the default bus; returns its id."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        # A number: moto's targets render it as ISO 8601 themselves.
        "time": time.time(),
        "region": region,
        "resources": resources,
        "detail": detail,
    }
    bus = events_backends[account_id][region].event_buses.get("default")
    for rule in list(bus.rules.values()) if bus else []:
        if rule.state != "ENABLED" or not rule.event_pattern.get_pattern():
            continue  # disabled, or a schedule rule (moto would match it to anything)
        # Without an InputTransformer a target gets the event whole; moto's default
        # template would drop `account`.
        transform = any("InputTransformer" in target for target in rule.targets)
        try:
            rule.send_to_targets(dict(event), transform_input=transform)
        except Exception:
            log.exception("rule %s: could not deliver event %s", rule.name, event["id"])
    return event["id"]
