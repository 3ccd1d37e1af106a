"""CloudWatch alarm names and SNS topic names keep to AWS's limits (naming_rules; SNS is moto's)."""

import unittest
from typing import Any, Callable

from botocore.config import Config
from botocore.exceptions import ClientError

from standin.tests.harness import StandInTest


class NamingRules(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        # No client-side checks: what the server answers is under test (an SDK may check less).
        config = Config(parameter_validation=False, retries={"mode": "standard", "max_attempts": 1})
        self.cloudwatch = self.session.client("cloudwatch", endpoint_url=self.url, config=config)
        self.sns = self.session.client("sns", endpoint_url=self.url, config=config)

    def refused(self, code: str, call: Callable[[], Any]) -> str:
        with self.assertRaises(ClientError) as caught:
            call()
        self.assertEqual(caught.exception.response["Error"]["Code"], code, caught.exception)
        return caught.exception.response["Error"]["Message"]

    def alarm(self, name: str) -> None:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="ECS/ContainerInsights", MetricName="RunningTaskCount", Statistic="Minimum",
            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold")

    def alarm_names(self) -> list[str]:
        return [a["AlarmName"] for a in self.cloudwatch.describe_alarms()["MetricAlarms"]]

    def test_alarm_names_are_1_to_255_characters_without_control_characters(self):
        for name in ("a" * 255, "prefect-tui workers below desired: my stack (ü)"):
            self.alarm(name)
        for name in ("", "a" * 256, "line\nbreak", "tab\there", "del\x7f"):
            with self.subTest(name=name):
                message = self.refused("ValidationError", lambda: self.alarm(name))
                self.assertIn("at 'alarmName' failed to satisfy constraint", message)
        self.assertEqual(sorted(self.alarm_names()),
                         sorted(["a" * 255, "prefect-tui workers below desired: my stack (ü)"]))

    def test_topic_names_are_1_to_256_letters_digits_hyphens_underscores(self):
        self.sns.create_topic(Name="t" * 256)
        self.sns.create_topic(Name="prefect-tui_alerts-1")
        self.sns.create_topic(Name="alerts.fifo", Attributes={"FifoTopic": "true"})
        for name in ("t" * 257, "my.alerts", "alerts!", ""):
            with self.subTest(name=name):
                self.refused("InvalidParameter", lambda: self.sns.create_topic(Name=name))


if __name__ == "__main__":
    unittest.main()
