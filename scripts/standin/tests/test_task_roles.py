"""A task runs with its task role's credentials, if ECS can assume the role."""

import json
import unittest

from standin.tests.harness import StandInTest, python

ACCOUNT = "123456789012"
TRUST_ECS_TASKS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# The container: who it is, and what two calls answer.
CALLS = python("""
import os, boto3
from botocore.exceptions import ClientError
print('key', os.environ['AWS_ACCESS_KEY_ID'][:4], 'token' if os.environ.get('AWS_SESSION_TOKEN') else 'no token')
print('caller', boto3.client('sts').get_caller_identity()['Arn'])
for service, call in (('logs', 'describe_log_groups'), ('ecs', 'list_clusters'), ('iam', 'list_roles')):
    try:
        getattr(boto3.client(service), call)()
        print(service, 'ok')
    except ClientError as e:
        print(service, e.response['Error']['Code'], e.response['Error']['Message'])
""")
LOGS = {"logDriver": "awslogs", "options": {
    "awslogs-group": "/ecs/roles", "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "t",
    "awslogs-create-group": "true"}}


class TaskRoles(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.iam = self.session.client("iam", endpoint_url=self.url)
        self.logs = self.session.client("logs", endpoint_url=self.url)

    def role(self, name: str, actions: list[str], trust: dict = TRUST_ECS_TASKS, **statement) -> str:
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        self.iam.put_role_policy(RoleName=name, PolicyName="only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*", **statement}]}))
        return arn

    def output(self, arn: str) -> dict[str, str]:
        """The container's lines, first word -> the rest, once it has exited."""
        stopped = self.stopped(arn, timeout=20)
        self.assertEqual(stopped["containers"][0].get("exitCode"), 0, stopped)
        events = self.logs.get_log_events(logGroupName="/ecs/roles", startFromHead=True,
                                          logStreamName=f"t/app/{arn.rsplit('/', 1)[-1]}")["events"]
        return dict(e["message"].split(" ", 1) for e in events)

    def test_the_task_runs_with_temporary_keys_of_its_role_the_runtask_override_first(self):
        logs_only = self.role("logs-only", ["logs:DescribeLogGroups"])
        ecs_only = self.role("ecs-only", ["ecs:ListClusters"])
        td = self.task_definition(CALLS, task_role=logs_only, logConfiguration=LOGS)
        arn = self.run_task(td)["taskArn"]
        said = self.output(arn)
        self.assertEqual(said["key"], "ASIA token", "temporary keys from AssumeRole, with a session token")
        self.assertEqual(said["caller"], f"arn:aws:sts::{ACCOUNT}:assumed-role/logs-only/{arn.rsplit('/', 1)[-1]}",
                         "ECS names the role session after the task")
        said = self.output(self.run_task(td, overrides={"taskRoleArn": ecs_only})["taskArn"])
        self.assertTrue(said["caller"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/ecs-only/"), said)

    def test_a_role_ecs_cannot_assume_fails_the_task_and_no_role_means_the_fake_keys(self):
        missing = f"arn:aws:iam::{ACCOUNT}:role/not-there"
        ec2_only = self.role("ec2-only", ["*"], trust={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        for role in (missing, ec2_only):
            arn = self.run_task(self.task_definition(CALLS, task_role=role, logConfiguration=LOGS))["taskArn"]
            stopped = self.stopped(arn)
            self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
            self.assertEqual(stopped["stoppedReason"],
                             f"ECS was unable to assume the role '{role}' that was provided for this task. Please "
                             "verify that the role being passed has the proper trust relationship and permissions "
                             "and that your IAM user has permissions to pass this role.")
            self.assertNotIn("startedAt", stopped)

        said = self.output(self.run_task(self.task_definition(CALLS, logConfiguration=LOGS))["taskArn"])
        self.assertEqual(said["key"], "stan no token", "no task role: the emulator's fake keys")
        self.assertEqual((said["logs"], said["ecs"], said["iam"]), ("ok", "ok", "ok"), "and nothing checks them")


if __name__ == "__main__":
    unittest.main()
