"""Service counts follow the tasks; ListTasks by service; the events ECS writes."""

import unittest

from standin import ecs_state
from standin.tests.harness import RUNS, StandInTest


class Counts(StandInTest):
    def test_running_and_pending_counts_follow_the_tasks(self):
        td = self.task_definition(RUNS)
        self.service(td, 2)
        moto_said = self.describe_service()
        self.assertEqual((moto_said["runningCount"], moto_said["pendingCount"]), (0, 0),
                         "nothing runs before the scheduler has started anything")
        svc = self.until("2 running", lambda: (s := self.describe_service())["runningCount"] == 2 and s)
        self.assertEqual(svc["pendingCount"], 0)
        tasks = self.tasks()
        self.assertEqual([t["lastStatus"] for t in tasks], ["RUNNING", "RUNNING"])
        (deployment,) = svc["deployments"]
        self.assertEqual((deployment["status"], deployment["desiredCount"], deployment["runningCount"],
                          deployment["pendingCount"], deployment["rolloutState"]),
                         ("PRIMARY", 2, 2, 0, "COMPLETED"))
        for task in tasks:
            self.assertEqual(task["startedBy"], deployment["id"])
            self.assertIn("startedAt", task)
            self.assertEqual(task["healthStatus"], "UNKNOWN", "no health check: UNKNOWN, as ECS says")
            self.assertNotIn("exitCode", task["containers"][0])

        # Scale in: the counts drop with the task, and stay at the truth after UpdateService
        # (where moto alone would set runningCount to the new desired count at once).
        after = self.ecs.update_service(cluster=self.cluster, service="app", desiredCount=1)["service"]
        self.assertEqual(after["runningCount"], 2, "the second task is still running")
        self.until("1 running", lambda: self.describe_service()["runningCount"] == 1)
        self.assertEqual(len(self.tasks()), 1)
        stopped = self.tasks(desired="STOPPED")
        self.assertEqual(len(stopped), 1)
        self.assertEqual(stopped[0]["stoppedReason"], f"Scaling activity initiated by (deployment {deployment['id']})")

    def test_a_task_is_pending_until_its_process_has_started(self):
        td = self.task_definition(RUNS)
        self.service(td, 0)
        with ecs_state.lock:
            ((backend, service),) = [(b, s) for b, s in ecs_state.active_services("eu-west-3")
                                     if s.cluster_name == self.cluster]
            task = ecs_state.place_task(backend, service, service.deployments[0]["id"])
        svc = self.describe_service()
        self.assertEqual((svc["runningCount"], svc["pendingCount"]), (0, 1))
        self.assertEqual(svc["deployments"][0]["pendingCount"], 1)
        self.assertEqual(self.tasks()[0]["lastStatus"], "PENDING")
        ecs_state.mark_running(backend, task)
        svc = self.describe_service()
        self.assertEqual((svc["runningCount"], svc["pendingCount"]), (1, 0))
        self.assertEqual(svc["deployments"][0]["runningCount"], 1)

    def test_list_tasks_by_service_lists_that_service_only(self):
        td = self.task_definition(RUNS)
        self.service(td, 1, name="one")
        self.service(td, 2, name="two")
        self.until("3 running", lambda: len(self.tasks("one")) + len(self.tasks("two")) == 3)
        self.assertEqual(len(self.tasks("one")), 1)
        self.assertEqual(len(self.tasks("two")), 2)
        self.assertEqual({t["group"] for t in self.tasks("two")}, {"service:two"})

    def test_events_are_ecs_words_newest_first(self):
        td = self.task_definition(RUNS)
        self.service(td, 1)
        self.until("steady", lambda: self.describe_service()["deployments"][0]["rolloutState"] == "COMPLETED")
        svc = self.describe_service()
        (task,) = self.tasks()
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        messages = [e["message"] for e in svc["events"]]
        self.assertEqual(messages[0], "(service app) has reached a steady state.")
        self.assertIn(f"(service app) has started 1 tasks: (task {task_id}).", messages)
        self.assertLess(messages.index("(service app) has reached a steady state."),
                        messages.index(f"(service app) has started 1 tasks: (task {task_id})."))
        times = [e["createdAt"] for e in svc["events"]]
        self.assertEqual(times, sorted(times, reverse=True))

    def test_the_deployment_configuration_given_is_kept(self):
        td = self.task_definition(RUNS)
        self.service(td, 0, deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50})
        config = self.describe_service()["deploymentConfiguration"]
        self.assertEqual((config["maximumPercent"], config["minimumHealthyPercent"]), (150, 50))
        self.assertEqual(config["deploymentCircuitBreaker"], {"enable": False, "rollback": False}, "ECS's default")
        # UpdateService changes what it gives and keeps the rest.
        self.ecs.update_service(cluster=self.cluster, service="app", deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        config = self.describe_service()["deploymentConfiguration"]
        self.assertEqual((config["maximumPercent"], config["minimumHealthyPercent"]), (150, 50))
        self.assertEqual(config["deploymentCircuitBreaker"], {"enable": True, "rollback": True})


if __name__ == "__main__":
    unittest.main()
