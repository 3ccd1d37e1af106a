"""A task runs with its task role's credentials, and those (only those) meet IAM."""

import json
import unittest

from standin import iam
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

    def test_the_task_role_credentials_allow_what_its_policy_allows_and_nothing_else(self):
        role = self.role("flow-runner", ["logs:DescribeLogGroups"])
        arn = self.run_task(self.task_definition(CALLS, task_role=role, logConfiguration=LOGS))["taskArn"]
        task_id = arn.rsplit("/", 1)[-1]
        said = self.output(arn)
        session = f"arn:aws:sts::{ACCOUNT}:assumed-role/flow-runner/{task_id}"
        self.assertEqual(said["key"], "ASIA token", "temporary keys from AssumeRole, with a session token")
        self.assertEqual(said["caller"], session, "ECS names the role session after the task")
        self.assertEqual(said["logs"], "ok")
        self.assertEqual(said["ecs"],
                         f"AccessDeniedException User: {session} is not authorized to perform: ecs:ListClusters")
        self.assertEqual(said["iam"], f"AccessDenied User: {session} is not authorized to perform: iam:ListRoles",
                         "a query-protocol service: moto's own XML error")

        # Requests signed with the plain test keys are not checked, enforcement on or not.
        self.assertTrue(iam.enforcing)
        self.assertIn("clusterArns", self.ecs.list_clusters())

    def test_runtask_overrides_the_role_and_the_switch_turns_enforcement_off(self):
        logs_only = self.role("logs-only", ["logs:DescribeLogGroups"])
        ecs_only = self.role("ecs-only", ["ecs:ListClusters"])
        td = self.task_definition(CALLS, task_role=logs_only, logConfiguration=LOGS)
        said = self.output(self.run_task(td, overrides={"taskRoleArn": ecs_only})["taskArn"])
        self.assertTrue(said["caller"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/ecs-only/"), said)
        self.assertEqual((said["ecs"], said["logs"].split(" ", 1)[0]), ("ok", "AccessDeniedException"))

        iam.install(enforce=False)  # fargate_standin.py --no-task-role-enforcement
        self.addCleanup(iam.install, enforce=True)
        said = self.output(self.run_task(td)["taskArn"])
        self.assertTrue(said["caller"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/logs-only/"), said)
        self.assertEqual((said["logs"], said["ecs"], said["iam"]), ("ok", "ok", "ok"),
                         "still the role's keys, but unchecked")

    def test_conditions_are_judged_and_nothing_scoped_to_arns_is_granted_where_moto_names_no_resource(self):
        # What iam.py's docstring says of the evaluation, kept true across moto versions
        # (moto alone would meet the condition; iam_conditions.py judges it).
        role = self.role("scoped", ["ecs:ListClusters"], Condition={"StringEquals": {"aws:RequestedRegion": "mars-1"}})
        self.iam.put_role_policy(RoleName="scoped", PolicyName="logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:DescribeLogGroups",
                                                    "Resource": "arn:aws:logs:*:*:log-group:*"}]}))
        said = self.output(self.run_task(self.task_definition(CALLS, task_role=role, logConfiguration=LOGS))["taskArn"])
        self.assertTrue(said["ecs"].startswith("AccessDeniedException "), "a condition AWS finds unmet: " + said["ecs"])
        self.assertTrue(said["logs"].startswith("AccessDeniedException "), "AWS would allow it: " + said["logs"])

    def test_ecs_and_logs_calls_are_checked_against_the_resources_aws_names(self):
        # As the worker's policy scopes them: run only one family's task definitions, watch
        # only this cluster's tasks, read only this log group's streams.
        cluster, region = self.cluster, "eu-west-3"
        ecs, logs = f"arn:aws:ecs:{region}:{ACCOUNT}", f"arn:aws:logs:{region}:{ACCOUNT}"
        role = self.role("scoped-worker", ["ecs:RunTask"], Resource=f"{ecs}:task-definition/allowed_*")
        self.iam.put_role_policy(RoleName="scoped-worker", PolicyName="tasks", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "ecs:DescribeTasks", "Resource": f"{ecs}:task/{cluster}/*"},
                {"Effect": "Allow", "Action": "logs:GetLogEvents",
                 "Resource": f"{logs}:log-group:/ecs/roles:log-stream:*"},
                {"Effect": "Allow", "Action": "sqs:GetQueueUrl",
                 "Resource": f"arn:aws:sqs:{region}:{ACCOUNT}:events-here"}]}))
        calls = python(f"""
import boto3
from botocore.exceptions import ClientError
ecs, logs, sqs = boto3.client('ecs'), boto3.client('logs'), boto3.client('sqs')
def said(what, call):
    try:
        call()
        print(what, 'ok')
    except ClientError as e:
        print(what, e.response['Error']['Code'])
said('run-allowed', lambda: ecs.run_task(cluster='{cluster}', taskDefinition='allowed_family:1'))
said('run-other', lambda: ecs.run_task(cluster='{cluster}', taskDefinition='other_family:1'))
said('describe-here', lambda: ecs.describe_tasks(cluster='{cluster}', tasks=['{ecs}:task/{cluster}/abc']))
said('describe-there', lambda: ecs.describe_tasks(cluster='elsewhere', tasks=['abc']))
said('logs-here', lambda: logs.get_log_events(logGroupName='/ecs/roles', logStreamName='nope'))
said('logs-there', lambda: logs.get_log_events(logGroupName='/ecs/other', logStreamName='nope'))
said('queue-here', lambda: sqs.get_queue_url(QueueName='events-here'))
said('queue-there', lambda: sqs.get_queue_url(QueueName='events-there'))
""")
        said = self.output(self.run_task(self.task_definition(calls, task_role=role, logConfiguration=LOGS))["taskArn"])
        self.assertNotEqual(said["run-allowed"], "AccessDeniedException", "allowed; the family just does not exist")
        self.assertEqual(said["run-other"], "AccessDeniedException")
        self.assertEqual(said["describe-here"], "ok")
        self.assertEqual(said["describe-there"], "AccessDeniedException")
        self.assertNotEqual(said["logs-here"], "AccessDeniedException", "allowed; the stream just does not exist")
        self.assertEqual(said["logs-there"], "AccessDeniedException")
        self.assertNotIn(said["queue-here"], ("AccessDenied", "AccessDeniedException"), "allowed; no such queue")
        self.assertIn(said["queue-there"], ("AccessDenied", "AccessDeniedException"))

    def test_cloudwatch_actions_are_asked_of_the_policy_by_their_iam_name(self):
        # moto would ask for "monitoring:PutMetricData" (CloudWatch's signing name).
        self.assertEqual(iam.iam_action("monitoring:PutMetricData"), "cloudwatch:PutMetricData")
        self.assertEqual(iam.iam_action("ecs:RunTask"), "ecs:RunTask")
        put = python("""
import boto3
from botocore.exceptions import ClientError
for namespace in ('Mine', 'Theirs'):
    try:
        boto3.client('cloudwatch').put_metric_data(Namespace=namespace, MetricData=[{'MetricName': 'm', 'Value': 1.0}])
        print(namespace, 'ok')
    except ClientError as e:
        print(namespace, e.response['Error']['Code'])
""")
        allowed = self.role("publisher", ["cloudwatch:PutMetricData"])
        said = self.output(self.run_task(self.task_definition(put, task_role=allowed, logConfiguration=LOGS))["taskArn"])
        # Both allowed: this role's policy has no namespace condition (test_iam_conditions has one).
        self.assertEqual((said["Mine"], said["Theirs"]), ("ok", "ok"))
        denied = self.role("no-publisher", ["logs:DescribeLogGroups"])
        said = self.output(self.run_task(self.task_definition(put, task_role=denied, logConfiguration=LOGS))["taskArn"])
        self.assertTrue(said["Mine"].startswith("AccessDenied"), said)

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
