"""An image the stand-in was told is broken: its container starts, says why and exits 1."""

import subprocess
import unittest

from standin.processes import EXITS_AT_ONCE_LINE, exiting_at_once
from standin.server import parse_args
from standin.tests.harness import BROKEN_IMAGE, RUNS, StandInTest

AWSLOGS = {"logDriver": "awslogs", "options": {
    "awslogs-group": "/ecs/app", "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "worker"}}


class BrokenImages(StandInTest):
    def test_a_container_of_a_broken_image_exits_at_once_whatever_its_command(self):
        logs = self.session.client("logs", endpoint_url=self.url)
        logs.create_log_group(logGroupName="/ecs/app")
        # RUNS would run for ten minutes; the image decides here.
        task = self.run_task(self.task_definition(RUNS, image=BROKEN_IMAGE, logConfiguration=AWSLOGS))
        stopped = self.stopped(task["taskArn"])
        self.assertIn("startedAt", stopped, "it started (RUNNING) before it exited")
        self.assertEqual(stopped["stoppedReason"], "Essential container in task exited")
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")
        self.assertEqual(stopped["containers"][0]["exitCode"], 1)
        stream = f"worker/app/{task['taskArn'].rsplit('/', 1)[-1]}"
        events = logs.get_log_events(logGroupName="/ecs/app", logStreamName=stream, startFromHead=True)["events"]
        self.assertEqual([e["message"] for e in events], [EXITS_AT_ONCE_LINE],
                         "its one line is in CloudWatch by the time it is STOPPED")
        self.assertTrue(EXITS_AT_ONCE_LINE.startswith("exec /usr/bin/tini: exec format error"))

    def test_only_that_exact_image_is_broken(self):
        for image in (f"{BROKEN_IMAGE}-other", BROKEN_IMAGE.split(":")[0]):
            task = self.run_task(self.task_definition(RUNS, image=image))
            self.until(f"{image} running", lambda: self.task(task["taskArn"])["lastStatus"] == "RUNNING")
            self.assertIsNone(self.local(task["taskArn"]).proc.poll(), f"{image} runs its command")



class ExitsAtOnce(unittest.TestCase):
    def test_the_line_goes_to_stderr_and_the_exit_code_is_1(self):
        container = exiting_at_once({"name": "app", "image": BROKEN_IMAGE, "entryPoint": ["prefect"],
                                     "command": ["worker", "start"]})
        done = subprocess.run(container["entryPoint"] + container["command"], capture_output=True, text=True,
                              timeout=10)
        self.assertEqual((done.returncode, done.stdout, done.stderr), (1, "", EXITS_AT_ONCE_LINE + "\n"))
        self.assertEqual(container["image"], BROKEN_IMAGE, "the image is kept")

    def test_the_server_flag_is_repeatable(self):
        args = parse_args(["--port", "1", "--region", "eu-west-3",
                           "--exits-at-once", BROKEN_IMAGE, "--exits-at-once", "app:broken"])
        self.assertEqual(args.exits_at_once, [BROKEN_IMAGE, "app:broken"])
        self.assertEqual(parse_args(["--port", "1", "--region", "eu-west-3"]).exits_at_once, [])


if __name__ == "__main__":
    unittest.main()
