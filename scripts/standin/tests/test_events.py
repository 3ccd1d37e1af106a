"""ECS Task State Change events reach an EventBridge rule's SQS target, in order, per cluster."""

import importlib.util
import json
import os
import re
import sys
import unittest
import uuid

from standin.tests.harness import REGION, RUNS, StandInTest, python

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def observer_diagnostics():
    """prefect-aws's diagnose_ecs_task, loaded alone (importing prefect_aws would take seconds)."""
    package = importlib.util.find_spec("prefect_aws").submodule_search_locations[0]
    spec = importlib.util.spec_from_file_location("observer_diagnostics",
                                                  os.path.join(package, "observers", "diagnostics.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.diagnose_ecs_task


class Events(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.sqs = self.session.client("sqs", endpoint_url=self.url)
        self.events = self.session.client("events", endpoint_url=self.url)
        self.cluster_arn = self.ecs.describe_clusters(clusters=[self.cluster])["clusters"][0]["clusterArn"]

    def queue_for(self, rule: str, cluster_arn: str, state: str = "ENABLED") -> str:
        url = self.sqs.create_queue(QueueName=rule)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # The rule `prefect-aws ecs-worker deploy-events` makes, narrowed to one cluster.
        pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                   "detail": {"clusterArn": [cluster_arn]}}
        self.events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State=state)
        self.events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
        return url

    def received(self, url: str) -> list[dict]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies += [json.loads(m["Body"]) for m in messages]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return bodies

    def test_a_run_tasks_changes_arrive_in_order_with_the_exit_code_last(self):
        mine = self.queue_for("mine", self.cluster_arn)
        other = self.queue_for("other", self.cluster_arn.replace(self.cluster, "another-cluster"))
        disabled = self.queue_for("disabled", self.cluster_arn, state="DISABLED")
        td = self.task_definition(python("raise SystemExit(3)"))
        arn = self.run_task(td, tags=[{"key": "prefect.io/flow-run-id", "value": "1b2c"}])["taskArn"]
        self.stopped(arn)

        events = self.received(mine)
        self.assertEqual([e["detail"]["lastStatus"] for e in events],
                         ["PROVISIONING", "PENDING", "RUNNING", "DEPROVISIONING", "STOPPED"])
        versions = [e["detail"]["version"] for e in events]
        self.assertEqual(versions, sorted(versions))
        self.assertEqual(len(set(versions)), len(versions))
        for event in events:
            self.assertEqual(set(event) - {"ingestion-time"},
                             {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                              "detail"})
            self.assertEqual((event["version"], event["detail-type"], event["source"], event["account"],
                              event["region"], event["resources"]),
                             ("0", "ECS Task State Change", "aws.ecs", "123456789012", REGION, [arn]))
            uuid.UUID(event["id"])  # the observer parses it as one
            self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual((event["detail"]["taskArn"], event["detail"]["clusterArn"],
                              event["detail"]["taskDefinitionArn"]), (arn, self.cluster_arn, td))
            self.assertNotIn("tags", event["detail"], "ECS leaves tags out; the observer asks DescribeTasks")
        self.assertEqual(len({e["id"] for e in events}), len(events))

        stopped = events[-1]["detail"]
        self.assertEqual((stopped["stopCode"], stopped["stoppedReason"], stopped["desiredStatus"]),
                         ("EssentialContainerExited", "Essential container in task exited", "STOPPED"))
        (container,) = stopped["containers"]
        self.assertEqual((container["name"], container["exitCode"], container["lastStatus"], container["taskArn"]),
                         ("app", 3, "STOPPED", arn))
        self.assertIn("containerArn", container)
        for stamp in ("createdAt", "startedAt", "stoppingAt", "stoppedAt", "updatedAt"):
            self.assertRegex(stopped[stamp], ISO_MS)
        self.assertEqual(stopped["attachments"][0]["status"], "DELETED")
        self.assertEqual(stopped["launchType"], "FARGATE")
        self.assertNotIn("exitCode", events[2]["detail"]["containers"][0], "no exit code while RUNNING")

        # What the prefect-aws observer makes of it: the flow run's tag via DescribeTasks,
        # and its diagnosis from the event alone.
        tags = self.ecs.describe_tasks(cluster=stopped["clusterArn"], tasks=[arn], include=["TAGS"])["tasks"][0]["tags"]
        self.assertEqual(tags, [{"key": "prefect.io/flow-run-id", "value": "1b2c"}])
        diagnosis = observer_diagnostics()(stopped)
        self.assertEqual((diagnosis.summary, diagnosis.detail),
                         ("Essential container exited", "Container 'app' exited with code 3."))

        self.assertEqual(self.received(other), [], "a rule for another cluster gets nothing")
        self.assertEqual(self.received(disabled), [], "a DISABLED rule gets nothing")

    def test_a_service_tasks_changes_are_sent_too_stop_task_included(self):
        queue = self.queue_for("service", self.cluster_arn)
        self.service(self.task_definition(RUNS), 1)
        (task,) = self.until("running", lambda: self.tasks())
        self.ecs.update_service(cluster=self.cluster, service="app", desiredCount=0)
        self.ecs.stop_task(cluster=self.cluster, task=task["taskArn"], reason="from the monitor")
        self.until("stopped", lambda: (t := self.tasks(desired="STOPPED")) and t[0]["lastStatus"] == "STOPPED")
        events = [e for e in self.received(queue) if e["detail"]["taskArn"] == task["taskArn"]]
        self.assertEqual([e["detail"]["lastStatus"] for e in events],
                         ["PROVISIONING", "PENDING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING",
                          "STOPPED"])
        self.assertEqual(events[0]["detail"]["group"], "service:app")
        self.assertEqual((events[-1]["detail"]["stopCode"], events[-1]["detail"]["stoppedReason"],
                          events[-1]["detail"]["containers"][0]["exitCode"]),
                         ("UserInitiated", "from the monitor", 143))


if __name__ == "__main__":
    unittest.main()
