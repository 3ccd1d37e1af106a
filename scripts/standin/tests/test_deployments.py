"""A rolling deployment: PRIMARY and ACTIVE deployments, old tasks drained once new are ready."""

import unittest

from standin.tests.harness import RUNS, StandInTest, python

PASSES = {"command": ["CMD-SHELL", "exit 0"], "interval": 1, "timeout": 2, "retries": 1}


class Deployments(StandInTest):
    def test_a_new_task_definition_rolls_out_as_a_new_primary_deployment(self):
        first = self.task_definition(RUNS, healthCheck=PASSES)
        self.service(first, 1)
        self.until("first rollout completed",
                   lambda: self.describe_service()["deployments"][0]["rolloutState"] == "COMPLETED")
        (old_task,) = self.tasks()
        old_id = self.describe_service()["deployments"][0]["id"]

        second = self.task_definition(python("import time; print('v2'); time.sleep(600)"), healthCheck=PASSES)
        # Given as `family` only, as prefect-tui gives it: ECS answers with the full ARN.
        updated = self.ecs.update_service(cluster=self.cluster, service="app",
                                          taskDefinition=second.rsplit("/", 1)[-1].split(":")[0])["service"]
        self.assertEqual(updated["taskDefinition"], second)
        primary, active = updated["deployments"]
        self.assertEqual((primary["status"], primary["taskDefinition"], primary["rolloutState"]),
                         ("PRIMARY", second, "IN_PROGRESS"))
        self.assertEqual((active["status"], active["id"], active["taskDefinition"], active["runningCount"]),
                         ("ACTIVE", old_id, first, 1))
        self.assertNotEqual(primary["id"], old_id)

        # The new task runs before the old one stops (maximumPercent 200).
        self.fargate.cycle()
        both = self.describe_service()
        self.assertEqual(len(both["deployments"]), 2)
        self.assertEqual(both["runningCount"], 2)
        self.assertEqual(both["deployments"][0]["runningCount"], 1)
        self.assertEqual(both["deployments"][0]["rolloutState"], "IN_PROGRESS",
                         "not complete before the new task is healthy and the old one drained")

        done = self.until("second rollout completed",
                          lambda: (s := self.describe_service())["deployments"][0]["rolloutState"] == "COMPLETED"
                          and s)
        self.assertEqual(len(done["deployments"]), 1, "the drained deployment is gone")
        self.assertEqual(done["deployments"][0]["id"], primary["id"])
        self.assertEqual((done["runningCount"], done["deployments"][0]["runningCount"]), (1, 1))
        (new_task,) = self.tasks()
        self.assertEqual(new_task["taskDefinitionArn"], second)
        self.assertEqual(new_task["healthStatus"], "HEALTHY")
        (stopped,) = self.tasks(desired="STOPPED")
        self.assertEqual(stopped["taskArn"], old_task["taskArn"])
        self.assertEqual(stopped["stoppedReason"], f"Scaling activity initiated by (deployment {old_id})")
        self.assertIn(f"(service app) (deployment {primary['id']}) deployment completed.",
                      [e["message"] for e in done["events"]])

    def test_force_new_deployment_replaces_the_task(self):
        self.service(self.task_definition(RUNS), 1)
        self.until("running", lambda: self.describe_service()["runningCount"] == 1)
        (old_task,) = self.tasks()
        self.ecs.update_service(cluster=self.cluster, service="app", forceNewDeployment=True)
        done = self.until("replaced", lambda: (s := self.describe_service())["deployments"][0]["rolloutState"]
                          == "COMPLETED" and len(s["deployments"]) == 1 and s)
        (new_task,) = self.tasks()
        self.assertNotEqual(new_task["taskArn"], old_task["taskArn"])
        self.assertEqual(new_task["startedBy"], done["deployments"][0]["id"])

    def test_old_tasks_keep_running_while_the_new_ones_cannot_start(self):
        self.service(self.task_definition(RUNS), 1)
        self.until("running", lambda: self.describe_service()["runningCount"] == 1)
        (old_task,) = self.tasks()
        broken = self.task_definition(python("raise SystemExit(3)"))
        self.ecs.update_service(cluster=self.cluster, service="app", taskDefinition=broken)
        self.until("a new task failed", lambda: any(t["taskDefinitionArn"] == broken
                                                    for t in self.tasks(desired="STOPPED")))
        svc = self.describe_service()
        self.assertEqual([t["taskArn"] for t in self.tasks()], [old_task["taskArn"]])
        self.assertEqual(svc["deployments"][0]["rolloutState"], "IN_PROGRESS")
        self.assertGreaterEqual(svc["deployments"][0]["failedTasks"], 1)
        self.assertEqual(svc["deployments"][1]["runningCount"], 1)


if __name__ == "__main__":
    unittest.main()


class Registration(StandInTest):
    def test_each_revision_says_when_it_was_registered(self):
        first = self.task_definition(RUNS)
        second = self.task_definition(RUNS)
        times = [self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"].get("registeredAt")
                 for arn in (first, second)]
        self.assertTrue(all(times), f"registeredAt on both: {times}")
        self.assertLessEqual(times[0], times[1])
