"""The deployment circuit breaker: a rollout whose tasks keep failing is FAILED, and rolled
back to the last completed deployment. These tests wait out the real launch throttle
(5 s, then 10 s, then 20 s between starts), so each takes tens of seconds."""

import unittest

from standin import circuit_breaker
from standin.tests.harness import RUNS, StandInTest, python

PASSES = {"command": ["CMD-SHELL", "exit 0"], "interval": 1, "timeout": 2, "retries": 1}
EXITS_1 = python("import sys; sys.exit(1)")
FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."


def breaker(enable: bool, rollback: bool) -> dict:
    return {"deploymentCircuitBreaker": {"enable": enable, "rollback": rollback},
            "maximumPercent": 200, "minimumHealthyPercent": 100}


class Threshold(unittest.TestCase):
    def test_half_the_desired_count_at_least_3_at_most_200(self):
        for desired, failures in [(0, 3), (1, 3), (5, 3), (6, 3), (7, 4), (10, 5), (399, 200), (400, 200),
                                  (1000, 200)]:
            self.assertEqual(circuit_breaker.threshold(desired), failures, f"desiredCount {desired}")


class CircuitBreaker(StandInTest):
    def rolled_out(self) -> dict:
        return self.until("rollout completed", lambda: (s := self.describe_service())["deployments"][0]
                          ["rolloutState"] == "COMPLETED" and len(s["deployments"]) == 1 and s)

    def test_a_deployment_whose_tasks_exit_fails_and_is_rolled_back(self):
        first = self.task_definition(RUNS, healthCheck=PASSES)
        self.service(first, 1, deploymentConfiguration=breaker(True, True))
        completed = self.rolled_out()["deployments"][0]
        (old_task,) = self.tasks()
        broken = self.task_definition(EXITS_1, healthCheck=PASSES)
        failed_id = self.ecs.update_service(cluster=self.cluster, service="app",
                                            taskDefinition=broken)["service"]["deployments"][0]["id"]
        seen = {"failed while rolling back": None}

        def rolled_back():
            svc = self.describe_service()
            serving = [t for t in self.tasks() if t["taskDefinitionArn"] == first
                       and t["lastStatus"] == "RUNNING" and t["healthStatus"] == "HEALTHY"]
            self.assertTrue(serving, "the first revision serves throughout")
            primary, *others = svc["deployments"]
            if primary["id"] in (failed_id, completed["id"]):
                self.assertIn(old_task["taskArn"], [t["taskArn"] for t in serving],
                              "the old task runs until the rollback's is ready")
            failed = [d for d in others if d["id"] == failed_id]
            if failed and primary["rolloutState"] == "IN_PROGRESS":
                seen["failed while rolling back"] = (primary, failed[0])
            return (primary["id"] not in (failed_id, completed["id"]) and primary["rolloutState"] == "COMPLETED"
                    and not others and svc)

        done = self.until("rolled back", rolled_back, timeout=90)

        # While the rollback rolled out, the failed deployment was there to be read.
        rollback, failed = seen["failed while rolling back"]
        self.assertEqual((failed["status"], failed["taskDefinition"], failed["rolloutState"],
                          failed["rolloutStateReason"]), ("ACTIVE", broken, "FAILED", FAILED_REASON))
        self.assertEqual(failed["failedTasks"], 3, "desiredCount 1: the threshold is 3")
        self.assertEqual((rollback["status"], rollback["taskDefinition"]), ("PRIMARY", first))

        # The service is back on the first revision, with a new deployment of it.
        self.assertEqual(done["taskDefinition"], first)
        (primary,) = done["deployments"]
        self.assertEqual((primary["id"], primary["status"], primary["taskDefinition"], primary["runningCount"]),
                         (rollback["id"], "PRIMARY", first, 1))
        (task,) = self.tasks()
        self.assertEqual((task["taskDefinitionArn"], task["startedBy"], task["lastStatus"], task["healthStatus"]),
                         (first, rollback["id"], "RUNNING", "HEALTHY"))

        messages = [e["message"] for e in done["events"]]
        failed_event = f"(service app) (deployment {failed_id}) deployment failed: tasks failed to start."
        rolling_back = f"(service app) rolling back to deployment {completed['id']}."
        self.assertIn(failed_event, messages)
        self.assertIn(rolling_back, messages)
        self.assertLess(messages.index(rolling_back), messages.index(failed_event), "newest first")
        self.assertIn(f"(service app) (deployment {rollback['id']}) deployment completed.", messages)

        stopped = self.tasks(desired="STOPPED")
        of_failed = [t for t in stopped if t["startedBy"] == failed_id]
        self.assertEqual(len(of_failed), 3, "no task of the failed deployment started after it failed")
        for t in of_failed:
            self.assertEqual((t["taskDefinitionArn"], t["stoppedReason"], t["stopCode"],
                              t["containers"][0]["exitCode"]),
                             (broken, "Essential container in task exited", "EssentialContainerExited", 1))
        (old,) = [t for t in stopped if t["taskArn"] == old_task["taskArn"]]
        self.assertEqual(old["stoppedReason"], f"Scaling activity initiated by (deployment {completed['id']})")

    def test_without_the_circuit_breaker_a_failing_deployment_goes_on(self):
        first = self.task_definition(RUNS, healthCheck=PASSES)
        self.service(first, 1)  # ECS's default: no circuit breaker
        self.rolled_out()
        (old_task,) = self.tasks()
        broken = self.task_definition(EXITS_1, healthCheck=PASSES)
        failed_id = self.ecs.update_service(cluster=self.cluster, service="app",
                                            taskDefinition=broken)["service"]["deployments"][0]["id"]
        self.until("as many failures as would trip it",
                   lambda: self.describe_service()["deployments"][0]["failedTasks"] >= 3, timeout=60)
        for _ in range(3):
            self.fargate.cycle()
        svc = self.describe_service()
        self.assertEqual(svc["taskDefinition"], broken)
        primary, old = svc["deployments"]
        self.assertEqual((primary["id"], primary["rolloutState"]), (failed_id, "IN_PROGRESS"))
        self.assertEqual((old["taskDefinition"], old["runningCount"]), (first, 1))
        self.assertEqual([t["taskArn"] for t in self.tasks() if t["lastStatus"] == "RUNNING"],
                         [old_task["taskArn"]])
        messages = " ".join(e["message"] for e in svc["events"])
        self.assertNotIn("deployment failed", messages)
        self.assertNotIn("rolling back", messages)

    def test_with_nothing_completed_to_go_back_to_the_deployment_stays_failed(self):
        # With a health check, as the worker's: a task that never passed it was never ready
        # (without one, RUNNING for an instant is ready, and such a task is no failure).
        broken = self.task_definition(EXITS_1, healthCheck=PASSES)
        self.service(broken, 1, deploymentConfiguration=breaker(True, True))
        svc = self.until("failed", lambda: (s := self.describe_service())["deployments"][0]["rolloutState"]
                         == "FAILED" and s, timeout=60)
        (primary,) = svc["deployments"]
        self.assertEqual((primary["status"], primary["taskDefinition"], primary["rolloutStateReason"],
                          primary["failedTasks"]), ("PRIMARY", broken, FAILED_REASON, 3))
        self.assertEqual(svc["taskDefinition"], broken)
        self.assertNotIn("rolling back", " ".join(e["message"] for e in svc["events"]))
        # A FAILED deployment starts nothing more, even once the launch throttle would let it.
        self.fargate.scheduler.backoff.clear()
        for _ in range(5):
            self.fargate.cycle()
        self.assertEqual(self.tasks(), [])
        self.assertEqual(len(self.tasks(desired="STOPPED")), 3)


if __name__ == "__main__":
    unittest.main()
