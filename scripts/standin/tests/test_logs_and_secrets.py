"""awslogs streams named as Fargate names them; secrets read from Secrets Manager."""

import unittest

from standin.tests.harness import StandInTest, python


class LogsAndSecrets(StandInTest):
    def test_output_goes_to_the_awslogs_stream_with_the_secret_resolved(self):
        secrets = self.session.client("secretsmanager", endpoint_url=self.url)
        logs = self.session.client("logs", endpoint_url=self.url)
        arn = secrets.create_secret(Name="app/key", SecretString="s3cret")["ARN"]
        logs.create_log_group(logGroupName="/ecs/app")
        td = self.task_definition(
            python("import os, time; print('key is', os.environ['KEY']); time.sleep(600)"),
            secrets=[{"name": "KEY", "valueFrom": arn}],
            logConfiguration={"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/app", "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "worker"}})
        self.service(td, 1)
        (task,) = self.until("running", lambda: self.tasks())
        stream = f"worker/app/{task['taskArn'].rsplit('/', 1)[-1]}"

        def lines():
            try:
                return [e["message"] for e in logs.get_log_events(logGroupName="/ecs/app", logStreamName=stream,
                                                                  startFromHead=True)["events"]]
            except logs.exceptions.ResourceNotFoundException:
                return []
        self.assertEqual(self.until("logged", lines), ["key is s3cret"])

    def test_a_secret_that_cannot_be_read_fails_the_task_as_fargate_does(self):
        td = self.task_definition(python("print('never')"), secrets=[
            {"name": "KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:missing-AbCdEf"}])
        self.service(td, 1)
        stopped = self.until("failed", lambda: self.tasks(desired="STOPPED"))[0]
        self.assertTrue(stopped["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets"),
                        stopped["stoppedReason"])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertEqual(self.describe_service()["runningCount"], 0)


if __name__ == "__main__":
    unittest.main()
