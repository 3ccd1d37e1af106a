"""events: ECS's "ECS Task State Change" events, on the region's default event bus.

ECS sends one to EventBridge whenever a task's lastStatus changes; the prefect-aws ECS
worker's observer reads them from an SQS queue (a rule's target) to follow flow-run tasks.
Here ecs_state calls `task_state_change` on every lastStatus change of any task the
stand-in runs (service or RunTask), after the change is complete, and the event is handed
at once, in this process, to each ENABLED rule of the task's account and region default bus
whose pattern matches, and delivered to each of its targets: SNS topics by sns_targets.py
(moto cannot), the others through moto's own target delivery (SQS, CloudWatch Logs,
archives, other buses), one target at a time (moto would apply one target's
InputTransformer to all). So delivery is immediate, in order, and exactly once.

Patterns are matched with moto's matcher, but on the event flattened as EventBridge
flattens it: moto only follows objects, so a pattern on a field of the objects in an array
(`"detail": {"containers": {"exitCode": [...]}}`) never matched; here such a field is the
list of its values in those objects, and matches if any of them does, as on AWS.

The event has AWS's shape: version "0", a random id, detail-type, source "aws.ecs",
account, time (ISO 8601, whole seconds, as moto renders it), region, resources [task ARN],
and a detail that is the task as DescribeTasks shows it (moto's own serializer, so the two
agree), in camelCase, with its timestamps in ISO 8601 (milliseconds, Z), its `version`
(one more at each change) and `updatedAt`; without `tags`, which ECS leaves out (the
observer reads them with DescribeTasks include=TAGS).

moto's put_events is not used: it delivers to DISABLED rules and to schedule rules too, and
its default input template drops `account`. A target with an InputTransformer gets
`ingestion-time` in the event its template is rendered from (moto's parser reads it).
Not emulated: other ECS events (container instance, deployment, service actions), events
for desiredStatus-only changes, the 15-minute late delivery EventBridge allows itself, and
cross-region event buses.
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
from moto.events.models import EventPattern, Rule, events_backends

from . import sns_targets

TASK_STATE_CHANGE = "ECS Task State Change"
TIMESTAMPS = ("connectivityAt", "createdAt", "executionStoppedAt", "pullStartedAt", "pullStoppedAt",
              "startedAt", "stoppedAt", "stoppingAt", "updatedAt")

log = logging.getLogger("standin")
_describe_tasks = None
MATCHES_ALL = EventPattern(None, {})  # for moto's delivery, once matched here


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
        try:
            if not matches(rule.event_pattern, event):
                continue
        except Exception:
            log.exception("rule %s: could not match event %s", rule.name, event["id"])
            continue
        for target in list(rule.targets):
            try:
                if sns_targets.is_topic(target["Arn"]):
                    sns_targets.deliver(rule.name, target, event)
                else:
                    _send_by_moto(rule, target, event)
            except Exception:
                log.exception("rule %s: could not deliver event %s to %s", rule.name, event["id"], target.get("Arn"))
    return event["id"]


def matches(pattern: EventPattern, event: dict) -> bool:
    """moto's matching, on the event flattened as EventBridge flattens it (see above)."""
    flat: dict[str, Any] = {}
    _flatten(json.loads(json.dumps(event)), "", flat, in_array=False)
    return pattern._does_event_match(flat, pattern.get_pattern())


def _flatten(node: Any, key: str, flat: dict[str, Any], in_array: bool) -> None:
    if isinstance(node, dict) and node:
        for name, value in node.items():
            _flatten(value, f"{key}.{name}" if key else name, flat, in_array)
    elif isinstance(node, list) and any(isinstance(item, (dict, list)) for item in node):
        for item in node:
            _flatten(item, key, flat, in_array=True)
    elif in_array:  # one more value of this field among the array's objects
        flat.setdefault(key, []).extend(node if isinstance(node, list) else [node])
    else:  # as moto's own flattening has it
        flat[key] = node


def _send_by_moto(rule: Rule, target: dict, event: dict) -> None:
    """One target, through moto's delivery: a view of the rule with only that target and a
    pattern that matches anything (matched already). Not copy.copy: moto keeps every model
    object made through __new__ for ever."""
    alone = object.__new__(Rule)
    alone.__dict__.update(rule.__dict__, targets=[target], event_pattern=MATCHES_ALL)
    # Without an InputTransformer a target gets the event whole; moto's default template
    # would drop `account`.
    transform = "InputTransformer" in target
    sent = dict(event)
    if transform:
        sent["ingestion-time"] = time.time()  # a number, as moto's put_events (its archives' template needs one)
    alone.send_to_targets(sent, transform_input=transform)
