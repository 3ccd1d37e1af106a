"""The container health check: its command, its environment, and what UNHEALTHY leads to."""

import unittest

from standin.tests.harness import RUNS, StandInTest

# The check reads the container's environment, as it would inside the container.
CHECK = {"command": ["CMD-SHELL", 'test "$MODE" = ok'], "interval": 1, "timeout": 2, "retries": 2}


class Health(StandInTest):
    def test_a_passing_check_makes_the_task_healthy(self):
        self.service(self.task_definition(RUNS, environment=[{"name": "MODE", "value": "ok"}],
                                          healthCheck=CHECK), 1)
        first = self.until("running", lambda: self.tasks())[0]
        self.assertEqual(first["healthStatus"], "UNKNOWN", "no result yet")
        self.assertEqual(self.describe_service()["deployments"][0]["rolloutState"], "IN_PROGRESS",
                         "a rollout with a health check completes only once it passes")
        healthy = self.until("healthy", lambda: (t := self.tasks()) and t[0]["healthStatus"] == "HEALTHY" and t[0])
        self.assertEqual(healthy["taskArn"], first["taskArn"])
        self.assertEqual(healthy["containers"][0]["healthStatus"], "HEALTHY")
        self.until("completed", lambda: self.describe_service()["deployments"][0]["rolloutState"] == "COMPLETED")

    def test_a_failing_check_stops_the_task_and_the_service_replaces_it(self):
        self.service(self.task_definition(RUNS, environment=[{"name": "MODE", "value": "broken"}],
                                          healthCheck=CHECK), 1)
        (first,) = self.until("running", lambda: self.tasks())
        pid = self.local(first["taskArn"]).proc.pid
        stopped = self.until("stopped", lambda: (t := self.tasks(desired="STOPPED"))
                             and t[0]["lastStatus"] == "STOPPED" and t[0])
        self.assertEqual(stopped["taskArn"], first["taskArn"])
        self.assertEqual(stopped["stoppedReason"], "Task failed container health checks")
        self.assertEqual(stopped["healthStatus"], "UNHEALTHY")
        self.assertEqual(stopped["containers"][0]["healthStatus"], "UNHEALTHY")
        self.assertEqual(stopped["containers"][0]["exitCode"], 143, "ended by SIGTERM")
        from standin.tests.harness import alive
        self.assertFalse(alive(pid))
        replacement = self.until("replaced", lambda: self.tasks())[0]
        self.assertNotEqual(replacement["taskArn"], first["taskArn"])
        svc = self.describe_service()
        first_id = first["taskArn"].rsplit("/", 1)[-1]
        self.assertIn(f"(service app) (task {first_id}) failed container health checks.",
                      [e["message"] for e in svc["events"]])
        self.assertGreaterEqual(svc["deployments"][0]["failedTasks"], 1)


if __name__ == "__main__":
    unittest.main()
