"""EventBridge rules whose targets are SNS topics: the rendered input reaches the topic's
subscribers, if the topic's policy lets EventBridge publish; other targets still get theirs."""

import json
import unittest

from standin import sns_targets
from standin.tests.harness import StandInTest, python

# A flow run's task that failed, told in one line.
TRANSFORMER = {"InputPathsMap": {"task": "$.detail.taskArn", "code": "$.detail.containers[0].exitCode"},
               "InputTemplate": '"task <task> exited with code <code>"'}


class SnsTargets(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.sqs = self.session.client("sqs", endpoint_url=self.url)
        self.sns = self.session.client("sns", endpoint_url=self.url)
        self.events = self.session.client("events", endpoint_url=self.url)
        self.cluster_arn = self.ecs.describe_clusters(clusters=[self.cluster])["clusters"][0]["clusterArn"]

    def queue(self, name: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def topic(self, name: str, events_may_publish: bool = True) -> tuple[str, str]:
        """A topic with a queue subscribed; (topic ARN, queue URL)."""
        arn = self.sns.create_topic(Name=name)["TopicArn"]
        if events_may_publish:
            policy = json.loads(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
            policy["Statement"].append({"Sid": "events", "Effect": "Allow",
                                        "Principal": {"Service": "events.amazonaws.com"},
                                        "Action": "sns:Publish", "Resource": arn})
            self.sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
        url, queue_arn = self.queue(f"{name}-subscriber")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
        return arn, url

    def failed_task_rule(self, name: str, targets: list[dict]) -> None:
        """The cluster's RunTask tasks that stopped with a non-zero exit code."""
        pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                   "detail": {"clusterArn": [self.cluster_arn], "lastStatus": ["STOPPED"],
                              "group": [{"prefix": "family:"}], "containers": {"exitCode": [{"anything-but": 0}]}}}
        self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=name, Targets=targets)

    def received(self, url: str) -> list[dict]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies += [json.loads(m["Body"]) for m in messages]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return bodies

    def exits_with(self, code: int) -> str:
        """A RunTask task that exits with `code`, once STOPPED; its ARN."""
        arn = self.run_task(self.task_definition(python(f"raise SystemExit({code})")))["taskArn"]
        self.stopped(arn)
        return arn

    def test_a_failed_task_is_told_on_the_topic_and_a_clean_exit_is_not(self):
        topic, subscriber = self.topic("failures")
        self.failed_task_rule("failures", [{"Id": "topic", "Arn": topic, "InputTransformer": TRANSFORMER}])
        failed = self.exits_with(3)
        self.exits_with(0)

        (envelope,) = self.received(subscriber)
        self.assertEqual((envelope["Type"], envelope["TopicArn"]), ("Notification", topic))
        self.assertEqual(envelope["Message"], f"task {failed} exited with code 3")

    def test_nothing_reaches_a_topic_whose_policy_does_not_let_eventbridge_publish(self):
        allowed, allowed_subscriber = self.topic("allowed")
        # SNS's default policy: only the account's own principals may publish.
        closed, closed_subscriber = self.topic("closed", events_may_publish=False)
        self.failed_task_rule("failures", [
            {"Id": "closed", "Arn": closed, "InputTransformer": TRANSFORMER},
            {"Id": "allowed", "Arn": allowed, "InputTransformer": TRANSFORMER}])
        self.exits_with(3)
        self.assertEqual(self.received(closed_subscriber), [])
        self.assertEqual(len(self.received(allowed_subscriber)), 1, "the rule's other target still gets it")

    def test_a_rule_with_sqs_and_sns_targets_delivers_to_each_its_own_input(self):
        topic, subscriber = self.topic("failures")
        whole, whole_arn = self.queue("whole")
        shaped, shaped_arn = self.queue("shaped")
        missing = topic.replace(":failures", ":no-such-topic")
        self.failed_task_rule("failures", [
            {"Id": "missing", "Arn": missing},  # dropped, and logged
            {"Id": "topic", "Arn": topic, "InputTransformer": TRANSFORMER},
            {"Id": "whole", "Arn": whole_arn},
            {"Id": "shaped", "Arn": shaped_arn, "InputTransformer": {
                "InputPathsMap": {"task": "$.detail.taskArn"}, "InputTemplate": '{"failed": "<task>"}'}}])
        failed = self.exits_with(3)

        (envelope,) = self.received(subscriber)
        self.assertEqual(envelope["Message"], f"task {failed} exited with code 3")
        (event,) = self.received(whole)
        self.assertEqual((event["account"], event["detail"]["taskArn"], event["detail"]["containers"][0]["exitCode"]),
                         ("123456789012", failed, 3), "the event whole, though another target transforms its own")
        self.assertEqual(self.received(shaped), [{"failed": failed}])

    def test_a_topic_without_a_transformer_gets_the_event_whole(self):
        topic, subscriber = self.topic("all")
        self.failed_task_rule("all", [{"Id": "topic", "Arn": topic}])
        failed = self.exits_with(3)
        (envelope,) = self.received(subscriber)
        event = json.loads(envelope["Message"])
        self.assertEqual((event["detail-type"], event["account"], event["resources"], event["detail"]["lastStatus"]),
                         ("ECS Task State Change", "123456789012", [failed], "STOPPED"))
        self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class RenderedInput(unittest.TestCase):
    """What a topic is sent for each way a target can shape its input (no server needed)."""

    EVENT = {"version": "0", "id": "1", "detail-type": "ECS Task State Change", "source": "aws.ecs",
             "account": "123456789012", "time": 0.0, "region": "eu-west-3", "resources": ["arn:t"],
             "detail": {"taskArn": "arn:t", "containers": [{"name": "app", "exitCode": 3}]}}

    def test_each_kind_of_input(self):
        def sent(**target):
            return sns_targets.message(target, self.EVENT)
        self.assertEqual(sent(Input='{"fixed": true}'), '{"fixed": true}')
        self.assertEqual(json.loads(sent(InputPath="$.detail.containers[0]")), {"name": "app", "exitCode": 3})
        code = {"InputPathsMap": {"code": "$.detail.containers[0].exitCode"}, "InputTemplate": '{"code": <code>}'}
        self.assertEqual(json.loads(sent(InputTransformer=code)), {"code": 3})
        self.assertEqual(sent(InputTransformer=TRANSFORMER), "task arn:t exited with code 3")
        self.assertIsNone(sent(InputTransformer={"InputPathsMap": {}, "InputTemplate": "plain <text>"}))
        self.assertEqual(json.loads(sent())["time"], "1970-01-01T00:00:00Z")

    def test_only_an_allow_for_eventbridge_to_publish_to_the_topic_lets_it(self):
        arn = "arn:aws:sns:eu-west-3:123456789012:t"

        def may(**statement):
            allow = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
                     "Resource": arn}
            return sns_targets.events_may_publish({"Statement": [dict(allow, **statement)]}, arn)
        self.assertTrue(may())
        self.assertTrue(may(Principal={"Service": ["lambda.amazonaws.com", "events.amazonaws.com"]},
                            Action=["SNS:Subscribe", "SNS:Publish"], Resource="*"))
        self.assertTrue(may(Action="sns:*", Resource="arn:aws:sns:eu-west-3:123456789012:*"))
        self.assertFalse(may(Effect="Deny"))
        self.assertFalse(may(Principal={"AWS": "*"}))
        self.assertFalse(may(Principal="*"))
        self.assertFalse(may(Action="sns:Subscribe"))
        self.assertFalse(may(Resource="arn:aws:sns:eu-west-3:123456789012:other"))


if __name__ == "__main__":
    unittest.main()
