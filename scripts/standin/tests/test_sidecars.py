"""Non-essential containers run beside the essential one, each with its own environment,
secrets and log stream; they stop with the task, and their own exit does not stop it."""

import os
import pathlib
import shutil
import tempfile
import time
import unittest

from standin.tests.harness import RUNS, StandInTest, alive, python

GROUP = "/ecs/sidecars"


def noting_pid(then: str) -> list[str]:
    """A container command that prints its ROLE and its TOKEN's length (never the token),
    writes its pid to $PID_DIR/$ROLE, then runs `then`."""
    return python(
        "import os, signal, sys, time\n"
        "print(os.environ['ROLE'], 'token of', len(os.environ.get('TOKEN', '')), 'characters')\n"
        "path = os.path.join(os.environ['PID_DIR'], os.environ['ROLE'])\n"
        "open(path + '.tmp', 'w').write(str(os.getpid())); os.rename(path + '.tmp', path)\n"
        + then)


SLEEPS = "time.sleep(600)\n"
SAYS_SIGTERM = ("signal.signal(signal.SIGTERM, lambda *_: (print('got SIGTERM'), sys.exit(0)))\n"
                "time.sleep(600)\n")


def exit_code(task: dict, container: str) -> int:
    # moto lists the definition's first container only: here the essential one.
    return next(c for c in task["containers"] if c["name"] == container)["exitCode"]


class Sidecars(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.logs = self.session.client("logs", endpoint_url=self.url)
        self.secrets = self.session.client("secretsmanager", endpoint_url=self.url)
        self.logs.create_log_group(logGroupName=GROUP)
        self.pids = tempfile.mkdtemp(prefix="standin-sidecar-test-")
        self.addCleanup(shutil.rmtree, self.pids, True)

    def definition(self, essential: list[str], sidecar: list[str], stop_timeout: int | None = None,
                   **sidecar_extra) -> str:
        """A task definition: container `app` (essential), then `sidecar` (not essential)."""
        def container(name: str, command: list[str], **extra) -> dict:
            return {"name": name, "image": f"{name}:1", "command": command,
                    "environment": [{"name": "ROLE", "value": name}, {"name": "PID_DIR", "value": self.pids}],
                    "logConfiguration": {"logDriver": "awslogs", "options": {
                        "awslogs-group": GROUP, "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "task"}},
                    **({"stopTimeout": stop_timeout} if stop_timeout else {}), **extra}
        return self.ecs.register_task_definition(
            family=f"{self.cluster}-sidecars", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", executionRoleArn=self.execution_role(), containerDefinitions=[
                container("app", essential, essential=True),
                container("sidecar", sidecar, essential=False, **sidecar_extra)],
        )["taskDefinition"]["taskDefinitionArn"]

    def lines(self, task_arn: str, container: str) -> list[str]:
        stream = f"task/{container}/{task_arn.rsplit('/', 1)[-1]}"
        try:
            return [e["message"] for e in self.logs.get_log_events(logGroupName=GROUP, logStreamName=stream,
                                                                   startFromHead=True)["events"]]
        except self.logs.exceptions.ResourceNotFoundException:
            return []

    def pid(self, role: str) -> int:
        """The pid its container wrote, once it has."""
        path = pathlib.Path(self.pids, role)
        return int(self.until(f"{role} started", lambda: path.exists() and path.read_text()))

    def test_a_sidecar_runs_with_its_own_env_secret_and_logs_and_stop_task_ends_both(self):
        token = self.secrets.create_secret(Name="sidecar/token", SecretString="s3cret-token")["ARN"]
        td = self.definition(noting_pid(SLEEPS), noting_pid(SLEEPS), secrets=[{"name": "TOKEN", "valueFrom": token}])
        # RunTask's overrides go to the container they name, and only to it.
        arn = self.run_task(td, overrides={"containerOverrides": [
            {"name": "sidecar", "environment": [{"name": "EXTRA", "value": "1"}],
             "command": noting_pid("print('overridden, EXTRA', os.environ['EXTRA'])\n" + SLEEPS)}]})["taskArn"]
        app, sidecar = self.pid("app"), self.pid("sidecar")
        self.assertEqual(self.until("app logged", lambda: self.lines(arn, "app")), ["app token of 0 characters"])
        self.assertEqual(self.until("sidecar logged", lambda: len(self.lines(arn, "sidecar")) >= 2
                                    and self.lines(arn, "sidecar")),
                         ["sidecar token of 12 characters", "overridden, EXTRA 1"])
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")
        self.assertTrue(alive(app) and alive(sidecar))

        self.ecs.stop_task(cluster=self.cluster, task=arn, reason="from the monitor")
        stopped = self.stopped(arn)
        self.assertFalse(alive(app), "the essential container is gone")
        self.assertFalse(alive(sidecar), "the sidecar is gone")
        self.assertEqual((stopped["stopCode"], stopped["stoppedReason"]), ("UserInitiated", "from the monitor"))
        self.assertEqual(exit_code(stopped, "app"), 143)

    def test_a_sidecar_that_exits_leaves_the_task_running(self):
        arn = self.run_task(self.definition(RUNS, noting_pid("print('done')\n")))["taskArn"]
        sidecar = self.pid("sidecar")
        self.until("sidecar exited", lambda: self.local(arn).sidecars.members[0].exit_code == 0)
        self.assertFalse(alive(sidecar))
        time.sleep(0.5)
        self.fargate.cycle()
        self.assertEqual(self.task(arn)["lastStatus"], "RUNNING")
        self.assertIsNone(self.local(arn).proc.poll(), "the essential container runs on")
        self.assertEqual(self.until("sidecar logged", lambda: self.lines(arn, "sidecar")),
                         ["sidecar token of 0 characters", "done"])

    def test_the_essential_container_exiting_stops_the_task_and_kills_the_sidecar(self):
        # The essential container exits with code 3 once the sidecar has said its last words.
        essential = python("import os, time\n"
                           "while not os.path.exists(os.path.join(os.environ['PID_DIR'], 'said')):\n"
                           "    time.sleep(0.05)\n"
                           "raise SystemExit(3)\n")
        says = "print('last words'); open(os.path.join(os.environ['PID_DIR'], 'said'), 'w').close()\n"
        arn = self.run_task(self.definition(essential, noting_pid(says + SLEEPS)))["taskArn"]
        sidecar = self.pid("sidecar")
        stopped = self.stopped(arn)
        self.assertEqual((stopped["stopCode"], stopped["stoppedReason"]),
                         ("EssentialContainerExited", "Essential container in task exited"))
        self.assertEqual(exit_code(stopped, "app"), 3)
        self.assertFalse(alive(sidecar), "killed before the task was recorded STOPPED")
        self.assertEqual(self.lines(arn, "sidecar"), ["sidecar token of 0 characters", "last words"],
                         "its last lines shipped before STOPPED")

    def test_stopping_sends_sigterm_to_the_sidecar_with_the_essential_container(self):
        ignores_sigterm = noting_pid("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SLEEPS)
        arn = self.run_task(self.definition(ignores_sigterm, noting_pid(SAYS_SIGTERM), stop_timeout=2))["taskArn"]
        app, sidecar = self.pid("app"), self.pid("sidecar")
        time.sleep(0.3)  # let both install their handlers
        asked = time.monotonic()
        self.ecs.stop_task(cluster=self.cluster, task=arn)
        self.until("sidecar ended by SIGTERM", lambda: not alive(sidecar))
        self.assertIn("got SIGTERM", self.until("logged", lambda: self.lines(arn, "sidecar")[1:]))
        self.assertTrue(alive(app), "the essential container is within its stop timeout")
        self.assertEqual(self.task(arn)["lastStatus"], "STOPPING")
        stopped = self.stopped(arn)
        self.assertGreaterEqual(time.monotonic() - asked, 2)
        self.assertEqual(exit_code(stopped, "app"), 137, "SIGKILL")
        self.assertFalse(alive(app))

    def test_a_sidecar_that_cannot_start_fails_the_task(self):
        missing = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:missing-AbCdEf"
        bad_secret = self.definition(noting_pid(SLEEPS), noting_pid(SLEEPS),
                                     secrets=[{"name": "TOKEN", "valueFrom": missing}])
        no_command = self.definition(noting_pid(SLEEPS), [])
        for td, reason in ((bad_secret, "ResourceInitializationError: unable to pull secrets"),
                           (no_command, "CannotStartContainerError: the stand-in needs a command")):
            arn = self.run_task(td)["taskArn"]
            stopped = self.stopped(arn)
            self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
            self.assertTrue(stopped["stoppedReason"].startswith(reason), stopped["stoppedReason"])
            self.assertEqual(os.listdir(self.pids), [], "neither container ran")


if __name__ == "__main__":
    unittest.main()
