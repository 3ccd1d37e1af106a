"""StopTask from the API: the process ends, the reason is recorded, a replacement starts."""

import time
import unittest

from standin.tests.harness import IGNORES_SIGTERM, RUNS, StandInTest, alive


class StopTask(StandInTest):
    def test_stop_task_ends_the_process_and_the_service_replaces_it(self):
        self.service(self.task_definition(RUNS), 1)
        (task,) = self.until("running", lambda: self.tasks())
        pid = self.local(task["taskArn"]).proc.pid
        self.assertTrue(alive(pid))

        answer = self.ecs.stop_task(cluster=self.cluster, task=task["taskArn"])["task"]
        self.assertEqual(answer["desiredStatus"], "STOPPED")
        self.assertNotEqual(answer["lastStatus"], "STOPPED", "not stopped before its process has ended")
        self.assertEqual(self.describe_service()["runningCount"], 0, "a stopping task is not running")

        stopped = self.until("stopped", lambda: (t := self.tasks(desired="STOPPED"))
                             and t[0]["lastStatus"] == "STOPPED" and t[0])
        self.assertFalse(alive(pid), "its process is gone")
        self.assertEqual(stopped["stoppedReason"], "Task stopped by user")
        self.assertEqual(stopped["stopCode"], "UserInitiated")
        self.assertEqual(stopped["containers"][0]["exitCode"], 143)
        self.assertIn("stoppedAt", stopped)
        replacement = self.until("replaced", lambda: (t := self.tasks()) and t[0]["lastStatus"] == "RUNNING"
                                 and t[0])
        self.assertNotEqual(replacement["taskArn"], task["taskArn"])
        self.assertTrue(alive(self.local(replacement["taskArn"]).proc.pid))
        self.assertEqual(self.describe_service()["runningCount"], 1)

        # Stopping a stopped task changes nothing.
        again = self.ecs.stop_task(cluster=self.cluster, task=task["taskArn"], reason="again")["task"]
        self.assertEqual((again["lastStatus"], again["stoppedReason"]), ("STOPPED", "Task stopped by user"))

    def test_a_process_that_ignores_sigterm_is_killed_after_the_stop_timeout(self):
        self.service(self.task_definition(IGNORES_SIGTERM, stopTimeout=2), 1)
        (task,) = self.until("running", lambda: self.tasks())
        local = self.local(task["taskArn"])
        time.sleep(0.5)  # let it install its handler
        asked = time.monotonic()
        self.ecs.stop_task(cluster=self.cluster, task=task["taskArn"], reason="Stopped from the monitor")
        self.until("SIGTERM sent", lambda: self.tasks(desired="STOPPED")[0]["lastStatus"] == "STOPPING")
        self.assertTrue(alive(local.proc.pid), "still running while within its stop timeout")
        stopped = self.until("stopped", lambda: (t := self.tasks(desired="STOPPED"))
                             and t[0]["lastStatus"] == "STOPPED" and t[0])
        self.assertGreaterEqual(time.monotonic() - asked, 2)
        self.assertEqual(stopped["stoppedReason"], "Stopped from the monitor")
        self.assertEqual(stopped["containers"][0]["exitCode"], 137, "SIGKILL")
        self.assertFalse(alive(local.proc.pid))

    def test_a_task_that_exits_is_recorded_with_its_exit_code(self):
        from standin.tests.harness import python
        self.service(self.task_definition(python("raise SystemExit(3)")), 1)
        stopped = self.until("exited", lambda: (t := self.tasks(desired="STOPPED"))
                             and t[0]["lastStatus"] == "STOPPED" and t[0])
        self.assertEqual(stopped["stoppedReason"], "Essential container in task exited")
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")
        self.assertEqual(stopped["containers"][0]["exitCode"], 3)
        self.assertEqual(self.describe_service()["deployments"][0]["failedTasks"], 1)


if __name__ == "__main__":
    unittest.main()
