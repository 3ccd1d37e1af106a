"""sns_targets: EventBridge rule targets that are SNS topics, which moto cannot deliver to.

moto's Rule.send_to_targets raises NotImplementedError for an SNS target, so events.py
hands this module each SNS target of a matching rule, and the others to moto. The target's
input is rendered as EventBridge renders it: `Input` as is; `InputPath`, the JSON of what
it selects; an `InputTransformer`, moto's EventTemplateParser (whose result is the JSON
value of the template: a template that is a quoted string gives that string, the message
as is; an object or array is sent as JSON); none of these, the event whole as JSON. It is
published with moto's SNS backend in this process, so the topic's subscriptions (an SQS
queue gets SNS's envelope) receive it at once.

As on AWS, EventBridge may publish to the topic only if the topic's access policy (its
Policy attribute) has an Allow statement whose Principal is the service
events.amazonaws.com, whose Action includes sns:Publish (or sns:*, or *) and whose Resource
is the topic's ARN (or a wildcard matching it); without one the event is dropped for that
target and a warning logged (on AWS, a FailedInvocation in the rule's metrics). A topic
that does not exist: logged, dropped.

Not emulated: Condition blocks in the policy (aws:SourceArn, aws:SourceAccount) are not
evaluated, nor Deny statements, NotPrincipal, NotAction or NotResource; a principal "*"
is not taken to include EventBridge. Nor: templates that are not JSON (plain text with
placeholders: logged, dropped), KMS-encrypted topics, FIFO topics (SNS refuses the message
without a group id: logged), retries and dead-letter queues, and cross-account delivery
rules beyond that policy.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from typing import Any

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp, utcnow
from moto.events.utils import EventTemplateParser
from moto.sns.models import sns_backends

EVENTS_PRINCIPAL = "events.amazonaws.com"
PUBLISH_ACTIONS = {"sns:publish", "sns:*", "*"}  # IAM actions are case-insensitive

log = logging.getLogger("standin")


def is_topic(arn: str) -> bool:
    return arn.split(":")[2:3] == ["sns"]


def deliver(rule_name: str, target: dict, event: dict) -> None:
    """Publishes the event, rendered for the target, to its topic, if EventBridge may."""
    arn = target["Arn"]
    backend, topic = _topic(arn)
    if topic is None:
        log.warning("rule %s: target %s: no such topic; event %s dropped", rule_name, arn, event["id"])
        return
    if not events_may_publish(json.loads(topic.policy), arn):
        log.warning("rule %s: target %s: the topic's policy does not let %s publish (FailedInvocation); "
                    "event %s dropped", rule_name, arn, EVENTS_PRINCIPAL, event["id"])
        return
    text = message(target, event)
    if text is None:
        log.warning("rule %s: target %s: its input template is not JSON; event %s dropped", rule_name, arn,
                    event["id"])
        return
    backend.publish(message=text, arn=arn)


def _topic(arn: str) -> tuple[Any, Any]:
    """(its region's SNS backend, the topic), or (None, None)."""
    parts = arn.split(":")
    if len(parts) != 6:
        return None, None
    try:
        backend = sns_backends[parts[4]][parts[3]]
    except KeyError:  # a region moto does not know
        return None, None
    return backend, backend.topics.get(arn)


def message(target: dict, event: dict) -> str | None:
    """The target's input for the event, as EventBridge renders it; None if it cannot."""
    if "Input" in target:
        return target["Input"]
    # As EventBridge has it (publish() keeps a number, for moto's targets to render).
    event = dict(event, time=iso_8601_datetime_without_milliseconds(utcfromtimestamp(float(event["time"]))))
    if "InputPath" in target:
        from jsonpath_ng.ext import parse  # moto's own dependency, as its template parser uses

        found = parse(target["InputPath"]).find(event)
        return json.dumps(found[0].value if found else None)
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    try:
        value = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap") or {},
            # The parser reads it for <aws.events.event.ingestion-time>.
            event=dict(event, **{"ingestion-time": iso_8601_datetime_without_milliseconds(utcnow())}),
        )
    except ValueError:  # json.JSONDecodeError: a plain-text template
        return None
    return value if isinstance(value, str) else json.dumps(value)


def events_may_publish(policy: dict, topic_arn: str) -> bool:
    """Whether an Allow statement of the topic's policy lets EventBridge publish to it."""
    return any(statement.get("Effect") == "Allow" and _grants_events_publish(statement, topic_arn)
               for statement in _listed(policy.get("Statement")))


def _grants_events_publish(statement: dict, topic_arn: str) -> bool:
    principal = statement.get("Principal")
    services = _listed(principal.get("Service")) if isinstance(principal, dict) else []
    actions = {str(action).lower() for action in _listed(statement.get("Action"))}
    return (EVENTS_PRINCIPAL in services and bool(actions & PUBLISH_ACTIONS)
            and any(fnmatch.fnmatchcase(topic_arn, str(resource)) for resource in _listed(statement.get("Resource"))))


def _listed(value: Any) -> list:
    """A policy element that may be one value or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
