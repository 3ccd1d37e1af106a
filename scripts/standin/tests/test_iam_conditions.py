"""IAM Condition blocks: the operators as the IAM User Guide defines them, and the keys as
AWS fills them, for requests signed with a task's credentials and for ECS assuming its role."""

import json
import logging
import unittest

from standin import iam_conditions
from standin.iam_conditions import condition_holds, holds, statement_applies
from standin.tests.harness import REGION, StandInTest, python

ACCOUNT = "123456789012"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/here"
TASK_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/here/0123abcd"
CONTEXT = {"ecs:cluster": [CLUSTER_ARN], "cloudwatch:namespace": ["Prefect/Workers"],
           "aws:securetransport": ["true"], "aws:sourcearn": [TASK_ARN]}


class Operators(unittest.TestCase):
    """Pure table tests: (operator, key, policy values) -> verdict against CONTEXT."""

    def check(self, table: list[tuple[str, str, object, bool | None]]) -> None:
        for operator, key, values, expected in table:
            with self.subTest(operator=operator, key=key, values=values):
                self.assertIs(condition_holds(operator, key, values, CONTEXT), expected)

    def test_string_operators_are_case_sensitive_in_values_and_not_in_keys(self):
        self.check([
            ("StringEquals", "cloudwatch:namespace", "Prefect/Workers", True),
            ("StringEquals", "CloudWatch:Namespace", "Prefect/Workers", True),
            ("StringEquals", "cloudwatch:namespace", "prefect/workers", False),
            ("StringEqualsIgnoreCase", "cloudwatch:namespace", "prefect/workers", True),
            ("StringEquals", "cloudwatch:namespace", ["Other", "Prefect/Workers"], True),  # values: OR
            ("StringNotEquals", "cloudwatch:namespace", "Other", True),
            ("StringNotEquals", "cloudwatch:namespace", ["Other", "Prefect/Workers"], False),  # none may match
            ("StringLike", "cloudwatch:namespace", "Prefect/*", True),
            ("StringLike", "cloudwatch:namespace", "Prefect/Worker?", True),
            ("StringLike", "cloudwatch:namespace", "Prefect/Worker?s", False),
            ("StringLike", "cloudwatch:namespace", "prefect/*", False),
            ("StringNotLike", "cloudwatch:namespace", "Prefect/*", False),
            ("StringNotLike", "cloudwatch:namespace", "Other/*", True),
        ])

    def test_arn_operators_match_each_of_the_six_parts_on_its_own(self):
        self.check([
            ("ArnEquals", "ecs:cluster", CLUSTER_ARN, True),
            ("ArnEquals", "ecs:cluster", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/there", False),
            ("ArnEquals", "ecs:cluster", f"arn:aws:ecs:*:{ACCOUNT}:cluster/here", True),  # wildcards in ArnEquals too
            ("ArnLike", "ecs:cluster", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/*", True),
            ("ArnLike", "ecs:cluster", f"arn:aws:ecs:{REGION}:{ACCOUNT}:*", True),
            ("ArnLike", "ecs:cluster", "arn:aws:ecs:*", False),  # not six parts: `*` spans no colon
            ("ArnLike", "ecs:cluster", f"arn:aws:ecs:{REGION}:999999999999:*", False),
            ("ArnLike", "aws:sourcearn", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/here/*", True),
            ("ArnNotEquals", "ecs:cluster", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/there", True),
            ("ArnNotLike", "ecs:cluster", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/*", False),
        ])

    def test_bool_and_null(self):
        self.check([
            ("Bool", "aws:SecureTransport", "true", True),
            ("Bool", "aws:SecureTransport", True, True),  # a JSON boolean in the policy
            ("Bool", "aws:SecureTransport", "false", False),
            ("Null", "ecs:cluster", "false", True),  # "false": the key must be present
            ("Null", "ecs:cluster", "true", False),
            ("Null", "iam:PassedToService", "true", True),
            ("Null", "iam:PassedToService", "false", False),
        ])

    def test_a_missing_key_is_false_except_for_not_operators_if_exists_and_for_all_values(self):
        self.check([
            ("StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com", False),
            ("ArnLike", "aws:SourceAccount", "*", False),
            ("StringNotEquals", "iam:PassedToService", "ec2.amazonaws.com", True),
            ("ArnNotLike", "ecs:CreateAction", "x", True),
            ("StringEqualsIfExists", "iam:PassedToService", "ecs-tasks.amazonaws.com", True),
            ("StringEqualsIfExists", "cloudwatch:namespace", "Other", False),  # present: judged
            ("ForAnyValue:StringEquals", "iam:PassedToService", "x", False),
            ("ForAllValues:StringEquals", "iam:PassedToService", "x", True),
        ])

    def test_set_qualifiers_over_a_key_with_several_values(self):
        context = {"ecs:createaction": ["RunTask", "RegisterTaskDefinition"]}
        for operator, values, expected in [
            ("ForAnyValue:StringEquals", ["RunTask"], True),
            ("ForAnyValue:StringEquals", ["CreateService"], False),
            ("ForAllValues:StringEquals", ["RunTask"], False),
            ("ForAllValues:StringEquals", ["RunTask", "RegisterTaskDefinition", "CreateService"], True),
            ("ForAllValues:StringLike", ["R*"], True),
            ("ForAnyValue:StringNotEquals", ["RunTask"], True),
        ]:
            with self.subTest(operator=operator, values=values):
                self.assertIs(condition_holds(operator, "ecs:CreateAction", values, context), expected)

    def test_keys_and_operators_in_one_block_must_all_hold(self):
        self.assertTrue(holds({"ArnEquals": {"ecs:cluster": CLUSTER_ARN},
                               "StringLike": {"cloudwatch:namespace": "Prefect/*", "aws:SourceArn": "*"}}, CONTEXT))
        self.assertFalse(holds({"ArnEquals": {"ecs:cluster": CLUSTER_ARN},
                                "StringLike": {"cloudwatch:namespace": "Prefect/*", "aws:SourceArn": "x"}}, CONTEXT))

    def test_what_is_not_modelled_fails_closed_and_is_named_once(self):
        iam_conditions._warned.clear()
        with self.assertLogs("standin", logging.WARNING) as logged:
            self.assertIsNone(condition_holds("NumericLessThan", "ecs:cluster", "1", CONTEXT))
            self.assertIsNone(condition_holds("StringEquals", "aws:PrincipalTag/team", "a", CONTEXT))
            self.assertIsNone(condition_holds("StringEquals", "aws:PrincipalTag/team", "b", CONTEXT))
            self.assertIsNone(condition_holds("StringLike", "cloudwatch:namespace", "${aws:username}", CONTEXT))
        self.assertEqual(len(logged.records), 3, "each unmodelled name once")
        self.assertIn("NumericLessThan", logged.output[0])
        self.assertIn("aws:principaltag/team", logged.output[1])

        unknown = {"StringEquals": {"aws:SourceIp": "10.0.0.1"}}
        with self.assertLogs("standin", logging.WARNING):
            self.assertFalse(statement_applies({"Effect": "Allow", "Condition": unknown}, CONTEXT),
                             "an Allow on something unmodelled grants nothing")
        self.assertTrue(statement_applies({"Effect": "Deny", "Condition": unknown}, CONTEXT),
                        "a Deny on something unmodelled applies")
        # One false part decides, whatever the unmodelled rest says.
        mixed = {"StringEquals": {"aws:SourceIp": "10.0.0.1", "cloudwatch:namespace": "Other"}}
        self.assertFalse(statement_applies({"Effect": "Deny", "Condition": mixed}, CONTEXT))


TRUST_ECS_TASKS = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
LOGS = {"logDriver": "awslogs", "options": {
    "awslogs-group": "/ecs/conditions", "awslogs-region": REGION, "awslogs-stream-prefix": "t",
    "awslogs-create-group": "true"}}


def calls(setup: str, *labelled: tuple[str, str]) -> list[str]:
    """A container command: `setup`, then each call, printed as `label ok` or `label <code> <message>`."""
    lines = ["import boto3", "from botocore.exceptions import ClientError",
             "ecs, cw = boto3.client('ecs'), boto3.client('cloudwatch')", setup]
    for label, call in labelled:
        lines += ["try:", f"    {call}", f"    print('{label} ok')", "except ClientError as e:",
                  f"    print('{label}', e.response['Error']['Code'], e.response['Error']['Message'])"]
    return python("\n".join(lines))


class ConditionsOnTaskRequests(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.iam = self.session.client("iam", endpoint_url=self.url)
        self.logs = self.session.client("logs", endpoint_url=self.url)
        self.cluster_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.cluster}"
        # Fargate starts the awslogs driver as the execution role (execution_role.py).
        self.execution_role = self.role("exec", [
            {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "*"}])

    def role(self, name: str, statements: list[dict], trust: list[dict] | None = None) -> str:
        document = {"Version": "2012-10-17", "Statement": trust or [TRUST_ECS_TASKS]}
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
        self.iam.put_role_policy(RoleName=name, PolicyName="only", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        return arn

    def said(self, command: list[str], role: str) -> dict[str, str]:
        """What the container printed, first word -> the rest, once it has exited."""
        definition = self.ecs.register_task_definition(
            family=f"{self.cluster}-app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", taskRoleArn=role, executionRoleArn=self.execution_role, containerDefinitions=[
                {"name": "app", "image": "app:1", "essential": True, "command": command, "logConfiguration": LOGS}])
        arn = self.run_task(definition["taskDefinition"]["taskDefinitionArn"])["taskArn"]
        stopped = self.stopped(arn, timeout=20)
        self.assertEqual(stopped["containers"][0].get("exitCode"), 0, stopped)
        events = self.logs.get_log_events(logGroupName="/ecs/conditions", startFromHead=True,
                                          logStreamName=f"t/app/{arn.rsplit('/', 1)[-1]}")["events"]
        return dict(e["message"].split(" ", 1) for e in events)

    def test_run_task_only_in_the_cluster_the_condition_names(self):
        other = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/other"
        role = self.role("runner", [
            {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*",
             "Condition": {"ArnEquals": {"ecs:cluster": other}}},
            {"Effect": "Allow", "Action": "ecs:DescribeTasks", "Resource": "*",
             "Condition": {"ArnLike": {"ecs:cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.cluster}*"}}}])
        said = self.said(calls(
            "",
            ("run-here", f"ecs.run_task(cluster='{self.cluster}', taskDefinition='nothing:1')"),
            ("run-there", "ecs.run_task(cluster='other', taskDefinition='nothing:1')"),
            ("run-there-by-arn", f"ecs.run_task(cluster='{other}', taskDefinition='nothing:1')"),
            ("describe-here", f"ecs.describe_tasks(cluster='{self.cluster_arn}', tasks=['abc'])"),
            ("describe-default", "ecs.describe_tasks(tasks=['abc'])"),
        ), role)
        self.assertTrue(said["run-here"].startswith("AccessDeniedException "), said["run-here"])
        self.assertIn("is not authorized to perform: ecs:RunTask", said["run-here"])
        for allowed in ("run-there", "run-there-by-arn"):
            self.assertFalse(said[allowed].startswith("AccessDenied"), f"{allowed}: {said[allowed]}")
        self.assertEqual(said["describe-here"], "ok")
        self.assertTrue(said["describe-default"].startswith("AccessDeniedException "),
                        "no cluster given: ECS judges the default cluster")

    def test_pass_role_only_to_the_service_the_condition_names(self):
        flow_role = f"arn:aws:iam::{ACCOUNT}:role/flow-run"
        other_role = f"arn:aws:iam::{ACCOUNT}:role/not-passable"
        self.ecs.register_task_definition(family="flow", containerDefinitions=[
            {"name": "c", "image": "i", "memory": 128}], taskRoleArn=flow_role)
        role = self.role("passer", [
            {"Effect": "Allow", "Action": ["ecs:RunTask", "ecs:RegisterTaskDefinition"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": flow_role,
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": other_role,
             "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}])
        container = "containerDefinitions=[{'name': 'c', 'image': 'i', 'memory': 128}]"
        said = self.said(calls(
            "",
            # A cluster that does not exist: authorized calls fail after IAM, and start nothing.
            ("run-definition-role", "ecs.run_task(cluster='nowhere', taskDefinition='flow:1')"),
            ("run-override", "ecs.run_task(cluster='nowhere', taskDefinition='flow:1', "
                             f"overrides={{'executionRoleArn': '{other_role}'}})"),
            ("register-ok", f"ecs.register_task_definition(family='f', {container}, taskRoleArn='flow-run')"),
            ("register-other", f"ecs.register_task_definition(family='f', {container}, "
                               f"executionRoleArn='{other_role}')"),
        ), role)
        self.assertTrue(said["run-definition-role"].startswith("ClusterNotFoundException"),
                        said["run-definition-role"])
        self.assertEqual(said["register-ok"], "ok")
        session = f"arn:aws:sts::{ACCOUNT}:assumed-role/passer/"
        for refused in ("run-override", "register-other"):
            code, message = said[refused].split(" ", 1)
            self.assertEqual(code, "AccessDeniedException", refused)
            self.assertTrue(message.startswith(f"User: {session}"), message)
            self.assertTrue(message.endswith(
                f"is not authorized to perform: iam:PassRole on resource: {other_role} because no "
                "identity-based policy allows the iam:PassRole action"), message)

    def test_tags_on_create_need_tag_resource_for_that_create_action(self):
        tags = "tags=[{'key': 'prefect.io/flow-run-id', 'value': 'x'}]"
        container = "containerDefinitions=[{'name': 'c', 'image': 'i', 'memory': 128}]"
        role = self.role("tagger", [
            {"Effect": "Allow", "Action": ["ecs:RunTask", "ecs:RegisterTaskDefinition"], "Resource": "*"},
            {"Effect": "Allow", "Action": "ecs:TagResource", "Resource": "*",
             "Condition": {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}}])
        said = self.said(calls(
            "",
            ("register-tagged", f"ecs.register_task_definition(family='tagged', {container}, {tags})"),
            ("run-untagged", "ecs.run_task(cluster='nowhere', taskDefinition='tagged:1')"),
            ("run-tagged", f"ecs.run_task(cluster='nowhere', taskDefinition='tagged:1', {tags})"),
            ("tag-directly", f"ecs.tag_resource(resourceArn='{self.cluster_arn}', {tags})"),
        ), role)
        self.assertEqual(said["register-tagged"], "ok")
        self.assertTrue(said["run-untagged"].startswith("ClusterNotFoundException"), said["run-untagged"])
        code, message = said["run-tagged"].split(" ", 1)
        self.assertEqual(code, "AccessDeniedException")
        self.assertRegex(message, rf"is not authorized to perform: ecs:TagResource on resource: "
                                  rf"arn:aws:ecs:{REGION}:{ACCOUNT}:task/nowhere/[0-9a-f]{{32}} because no "
                                  r"identity-based policy allows the ecs:TagResource action$")
        self.assertTrue(said["tag-directly"].startswith("AccessDeniedException "),
                        "TagResource called on its own has no ecs:CreateAction")

    def test_put_metric_data_only_to_the_namespace_the_condition_names(self):
        role = self.role("publisher", [
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": "Mine"}}}])
        put = "cw.put_metric_data(Namespace='{}', MetricData=[{{'MetricName': 'm', 'Value': 1.0}}])"
        said = self.said(calls("", ("mine", put.format("Mine")), ("theirs", put.format("Theirs"))), role)
        self.assertEqual(said["mine"], "ok")
        self.assertTrue(said["theirs"].startswith("AccessDenied"), said["theirs"])

    def test_global_keys_and_a_deny_whose_condition_is_unmet(self):
        role = self.role("regional", [
            {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}, "Bool": {"aws:SecureTransport": True}}},
            # moto alone counts every condition met, so this Deny would refuse everything.
            {"Effect": "Deny", "Action": "ecs:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGION}}},
            {"Effect": "Allow", "Action": "ecs:ListTaskDefinitions", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}])
        said = self.said(calls("", ("here", "ecs.list_clusters()"), ("elsewhere", "ecs.list_task_definitions()")),
                         role)
        self.assertEqual(said["here"], "ok")
        self.assertTrue(said["elsewhere"].startswith("AccessDeniedException "), said["elsewhere"])


class ConditionsOnTrustPolicies(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.iam = self.session.client("iam", endpoint_url=self.url)

    def start(self, name: str, condition: dict) -> dict:
        trust = {"Version": "2012-10-17", "Statement": [{**TRUST_ECS_TASKS, "Condition": condition}]}
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        task = self.run_task(self.task_definition(python("print('up')"), task_role=arn))["taskArn"]
        return self.stopped(task, timeout=20)

    def test_ecs_sends_the_tasks_account_and_arn_to_the_trust_policy(self):
        tasks = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{self.cluster}/*"
        for name, condition in [
            ("this-account", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
            ("docs-advice", {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
                             "StringEquals": {"aws:SourceAccount": ACCOUNT}}),
            ("these-tasks", {"ArnLike": {"aws:SourceArn": tasks}}),
        ]:
            with self.subTest(name):
                stopped = self.start(name, condition)
                self.assertNotEqual(stopped.get("stopCode"), "TaskFailedToStart", stopped.get("stoppedReason"))
                self.assertEqual(stopped["containers"][0].get("exitCode"), 0)

    def test_a_trust_policy_for_another_account_or_the_cluster_arn_fails_the_task_to_start(self):
        cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.cluster}"
        for name, condition in [
            ("other-account", {"StringEquals": {"aws:SourceAccount": "999999999999"}}),
            ("cluster-arn", {"ArnEquals": {"aws:SourceArn": cluster}}),  # ECS sends the task's ARN
        ]:
            with self.subTest(name):
                stopped = self.start(name, condition)
                self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
                self.assertTrue(stopped["stoppedReason"].startswith(
                    f"ECS was unable to assume the role 'arn:aws:iam::{ACCOUNT}:role/{name}'"), stopped)
                self.assertNotIn("startedAt", stopped)


if __name__ == "__main__":
    unittest.main()
