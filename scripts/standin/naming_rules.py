"""naming_rules: names CloudWatch refuses where moto accepts them (SNS topic names moto refuses).

moto stores a metric alarm under any name: empty, longer than 255 characters, with control
characters. AWS's PutMetricAlarm reference: AlarmName has a length of 1 to 255, "must
contain only UTF-8 characters, and can't contain ASCII control characters". A name the
stack builds from a user's input could pass here and be refused there.

Emulated here: PutMetricAlarm with an AlarmName outside 1 to 255 characters, or with an
ASCII control character (U+0000 to U+001F, U+007F), gets ValidationError in AWS's general
validation wording ("1 validation error detected: Value '...' at 'alarmName' failed to
satisfy constraint: ..."); AWS does not document CloudWatch's own, so that wording is this
module's.

Already moto's, and only pinned by the tests: SNS CreateTopic refuses a name that is not 1
to 256 ASCII letters, numbers, hyphens and underscores (with `.fifo` for a FIFO topic),
with AWS's InvalidParameter wording.

Not emulated: PutCompositeAlarm's names, the `aws:` prefix and limits on CloudWatch and SNS
tags, and names of dashboards and other CloudWatch resources.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.cloudwatch import responses as cloudwatch_responses
from moto.cloudwatch.exceptions import ValidationError

LONGEST_ALARM_NAME = 255


def install() -> None:
    """Hooks moto's CloudWatch responses once per process."""
    responses = cloudwatch_responses.CloudWatchResponse
    if getattr(responses, "_standin_naming_rules", False):
        return
    responses._standin_naming_rules = True
    responses.put_metric_alarm = _checked(responses.put_metric_alarm, _check_alarm_name)


def _checked(original: Callable, check: Callable) -> Callable:
    def checked(self):
        check(self)
        return original(self)

    checked.__name__ = original.__name__
    checked.__doc__ = original.__doc__
    return checked


def _check_alarm_name(response: Any) -> None:
    name = response._get_param("AlarmName") or ""
    if not name:
        problem = "Member must have length greater than or equal to 1"
    elif len(name) > LONGEST_ALARM_NAME:
        problem = f"Member must have length less than or equal to {LONGEST_ALARM_NAME}"
    elif any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        problem = "Member must not contain ASCII control characters"
    else:
        return
    raise ValidationError(
        f"1 validation error detected: Value '{name}' at 'alarmName' failed to satisfy constraint: {problem}")
