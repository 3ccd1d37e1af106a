"""Before a task's containers start, Fargate fetches its secrets, pulls its image and opens
its log streams as its execution role: what that role's policies refuse stops the task."""

import json
import os
import re
import shutil
import tempfile
import unittest

from standin.tests.harness import REGION, TASK_EXECUTION_POLICY, StandInTest, python

ACCOUNT = "123456789012"
GROUP = "/ecs/exec"
ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/prefect-worker:3"
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/prefect-worker"
GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}"
SECRETS_FAILED = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                  "failed: ")
LOGGER_FAILED = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "


def logs(create_group: str | None = None, group: str = GROUP) -> dict:
    options = {"awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": "t"}
    if create_group is not None:
        options["awslogs-create-group"] = create_group
    return {"logDriver": "awslogs", "options": options}


def allow(actions: list[str], resource: str | list[str] = "*", effect: str = "Allow") -> dict:
    return {"Effect": effect, "Action": actions, "Resource": resource}


def without_none(container: dict) -> dict:
    """`logConfiguration=None`: none at all."""
    return {k: v for k, v in container.items() if v is not None}


def without_request_id(reason: str) -> str:
    return re.sub(r"request id: [0-9a-f-]{36}", "request id: <id>", reason)


def denied(role: str, task_id: str, action: str, resource: str, explicit: bool = False) -> str:
    why = ("with an explicit deny in an identity-based policy" if explicit
           else f"because no identity-based policy allows the {action} action")
    return (f"AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{task_id} is not authorized "
            f"to perform: {action} on resource: {resource} {why}")


class ExecutionRole(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        self.logs = self.session.client("logs", endpoint_url=self.url)
        self.secrets = self.session.client("secretsmanager", endpoint_url=self.url)
        self.ssm = self.session.client("ssm", endpoint_url=self.url)
        self.logs.create_log_group(logGroupName=GROUP)
        self.scratch = tempfile.mkdtemp(prefix="standin-exec-test-")
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def marking(self, name: str, then: str = "import time; time.sleep(600)") -> list[str]:
        """A command that first writes the file `name` (so a test can tell it ran), then `then`."""
        return python(f"open({os.path.join(self.scratch, name)!r}, 'w').write('ran'); {then}")

    def ran(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.scratch, name))

    def role(self, name: str, *statements: dict, managed: bool = True) -> str:
        return self.execution_role(name, managed=managed, statements=list(statements))

    def failed(self, role: str, **container) -> tuple[str, str]:
        """Runs a task of one container (`container` on top of ECR_IMAGE, awslogs to GROUP)
        as `role`; asserts it failed to start and never ran. (its stoppedReason with the
        request id masked, its task id)."""
        container = without_none({"image": ECR_IMAGE, "logConfiguration": logs(), **container})
        arn = self.run_task(self.task_definition(self.marking("app"), execution_role=role, **container))["taskArn"]
        stopped = self.stopped(arn)
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart", stopped)
        self.assertNotIn("startedAt", stopped)
        self.assertFalse(self.ran("app"), "the container's process ran")
        return without_request_id(stopped["stoppedReason"]), arn.rsplit("/", 1)[-1]

    def running(self, role: str, command: list[str], **container) -> str:
        container = without_none({"image": ECR_IMAGE, "logConfiguration": logs(), **container})
        arn = self.run_task(self.task_definition(command, execution_role=role, **container))["taskArn"]
        self.until("running", lambda: self.task(arn)["lastStatus"] == "RUNNING")
        return arn

    def lines(self, task_arn: str, group: str = GROUP) -> list[str]:
        stream = f"t/app/{task_arn.rsplit('/', 1)[-1]}"
        return [e["message"] for e in self.logs.get_log_events(logGroupName=group, logStreamName=stream,
                                                               startFromHead=True)["events"]]

    # Starting

    def test_the_managed_policy_and_a_statement_for_the_one_secret_start_a_task(self):
        # What the stack's execution role has.
        secret = self.secrets.create_secret(Name="prefect/key", SecretString='{"key": "s3cret"}')["ARN"]
        role = self.role("stack-like", allow(["secretsmanager:GetSecretValue"], secret))
        # A json-key suffix: IAM is asked about the secret's own ARN.
        arn = self.running(role, python("import os; print('key is', os.environ['KEY'])"),
                           secrets=[{"name": "KEY", "valueFrom": f"{secret}:key::"}])
        self.assertEqual(self.until("logged", lambda: self.lines(arn)), ["key is s3cret"])

    # Secrets

    def test_a_secret_the_role_may_not_read_fails_the_start(self):
        secret = self.secrets.create_secret(Name="prefect/key", SecretString="s3cret")["ARN"]
        other = self.secrets.create_secret(Name="prefect/other", SecretString="x")["ARN"]
        for name, statements in [("no-secrets", []),
                                 ("other-secret", [allow(["secretsmanager:GetSecretValue"], other)])]:
            with self.subTest(name):
                reason, task_id = self.failed(self.role(name, *statements),
                                              secrets=[{"name": "KEY", "valueFrom": secret}])
                self.assertEqual(reason, (
                    f"{SECRETS_FAILED}unable to retrieve secret from asm: service call has been retried 1 time(s): "
                    f"failed to fetch secret {secret} from secrets manager: "
                    f"{denied(name, task_id, 'secretsmanager:GetSecretValue', secret)} "
                    "status code: 400, request id: <id>"))

        # An explicit Deny wins over the Allow.
        role = self.role("denied", allow(["secretsmanager:GetSecretValue"]),
                         allow(["secretsmanager:GetSecretValue"], secret, effect="Deny"))
        reason, task_id = self.failed(role, secrets=[{"name": "KEY", "valueFrom": secret}])
        self.assertIn(denied("denied", task_id, "secretsmanager:GetSecretValue", secret, explicit=True), reason)

    def test_a_sidecars_secret_is_fetched_before_any_container_starts(self):
        secret = self.secrets.create_secret(Name="sidecar/token", SecretString="t")["ARN"]
        role = self.role("no-secrets")
        containers = [
            {"name": "app", "image": ECR_IMAGE, "essential": True, "command": self.marking("app"),
             "logConfiguration": logs()},
            {"name": "metrics", "image": ECR_IMAGE, "essential": False, "command": self.marking("metrics"),
             "logConfiguration": logs(), "secrets": [{"name": "TOKEN", "valueFrom": secret}]}]
        td = self.ecs.register_task_definition(
            family=f"{self.cluster}-two", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", executionRoleArn=role, containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]
        stopped = self.stopped(self.run_task(td)["taskArn"])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertIn("is not authorized to perform: secretsmanager:GetSecretValue", stopped["stoppedReason"])
        self.assertFalse(self.ran("app") or self.ran("metrics"), "a container's process ran")

    def test_ssm_parameters_need_ssm_get_parameters_and_are_read_by_name_or_arn(self):
        self.ssm.put_parameter(Name="/prefect/token", Value="t0ken", Type="SecureString")
        parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prefect/token"
        reason, task_id = self.failed(self.role("no-ssm"), secrets=[{"name": "TOKEN", "valueFrom": "/prefect/token"}])
        self.assertEqual(reason, (
            f"{SECRETS_FAILED}unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
            f"{denied('no-ssm', task_id, 'ssm:GetParameters', parameter)} status code: 400, request id: <id>"))

        role = self.role("ssm", allow(["ssm:GetParameters"], f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prefect/*"))
        arn = self.running(role, python("import os; print(os.environ['BY_NAME'], os.environ['BY_ARN'])"),
                           secrets=[{"name": "BY_NAME", "valueFrom": "/prefect/token"},
                                    {"name": "BY_ARN", "valueFrom": parameter}])
        self.assertEqual(self.until("logged", lambda: self.lines(arn)), ["t0ken t0ken"], "decrypted, as ECS asks")

        reason, _ = self.failed(role, secrets=[{"name": "GONE", "valueFrom": "/prefect/gone"}])
        self.assertEqual(reason, f"{SECRETS_FAILED}unable to retrieve secrets from ssm: service call has been "
                                 "retried 1 time(s): invalid ssm parameters: /prefect/gone")

    # The image

    def test_an_ecr_image_needs_registry_auth_then_the_manifest_then_the_layers(self):
        pull = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        logs_ok = allow(["logs:CreateLogStream", "logs:PutLogEvents"])

        def without(action: str, resource: str = "*") -> str:
            name = f"no-{action.split(':')[1]}"
            return self.role(name, logs_ok, allow([a for a in pull if a != action], resource), managed=False)

        reason, task_id = self.failed(without("ecr:GetAuthorizationToken"))
        self.assertEqual(reason, (
            f"{SECRETS_FAILED}unable to retrieve ecr registry auth: service call has been retried 1 time(s): "
            f"{denied('no-GetAuthorizationToken', task_id, 'ecr:GetAuthorizationToken', '*')} "
            "status code: 400, request id: <id>"))

        host = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
        reason, _ = self.failed(without("ecr:BatchGetImage"))
        self.assertEqual(reason, (
            f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
            f"{host}/prefect-worker:3: pulling from host {host} failed with status code [manifests 3]: 403 Forbidden"))

        reason, _ = self.failed(without("ecr:GetDownloadUrlForLayer"))
        self.assertRegex(reason, (
            r"^CannotPullContainerError: ref pull has been retried 1 time\(s\): failed to copy: httpReadSeeker: "
            rf"failed open: unexpected status code https://{re.escape(host)}/v2/prefect-worker/blobs/sha256:[0-9a-f]{{64}}: "
            r"403 Forbidden$"))

        # Pull actions on another repository only: the manifest is refused.
        scoped = self.role("other-repository", logs_ok, allow(["ecr:GetAuthorizationToken"]),
                           allow(pull[1:], f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other"), managed=False)
        self.assertTrue(self.failed(scoped)[0].startswith("CannotPullContainerError: pull image manifest"))
        # ... and on this one, it starts.
        mine = self.role("this-repository", logs_ok, allow(["ecr:GetAuthorizationToken"]), allow(pull[1:], REPOSITORY),
                         managed=False)
        self.running(mine, python("import time; time.sleep(600)"))

    def test_an_image_from_another_registry_asks_nothing_of_ecr(self):
        logs_only = self.role("logs-only", allow(["logs:CreateLogStream", "logs:PutLogEvents"]), managed=False)
        self.running(logs_only, python("import time; time.sleep(600)"), image="prefecthq/prefect:3-latest")

    # The log stream

    def test_without_create_log_stream_the_task_fails_to_start(self):
        role = self.role("no-stream", allow(["ecr:*", "logs:PutLogEvents", "logs:CreateLogGroup"]), managed=False)
        for create_group in (None, "true"):  # CreateLogStream is the driver's first call either way
            with self.subTest(create_group=create_group):
                reason, task_id = self.failed(role, logConfiguration=logs(create_group))
                stream = f"{GROUP_ARN}:log-stream:t/app/{task_id}"
                self.assertEqual(reason, (
                    f"{LOGGER_FAILED}failed to create Cloudwatch log stream: "
                    f"{denied('no-stream', task_id, 'logs:CreateLogStream', stream)} "
                    "status code: 400, request id: <id> : exit status 1"))

    def test_create_group_true_needs_create_log_group_even_when_the_group_exists(self):
        reason, task_id = self.failed(self.role("managed-only", managed=True), logConfiguration=logs("true"))
        self.assertTrue(self.logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"], "the group exists")
        self.assertEqual(reason, (
            f"{LOGGER_FAILED}failed to create Cloudwatch log group: "
            f"{denied('managed-only', task_id, 'logs:CreateLogGroup', f'{GROUP_ARN}:log-stream:')} : exit status 1"))

        # Granted on the one group (as `:*`, which covers the resource AWS names), a
        # missing group is created and the task logs to it.
        other = "/ecs/made-by-the-driver"
        role = self.role("one-group", allow(["logs:CreateLogGroup"],
                                            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{other}:*"))
        arn = self.running(role, python("print('hello')"), logConfiguration=logs("true", group=other))
        self.assertEqual(self.until("logged", lambda: self.lines(arn, group=other)), ["hello"])

    def test_a_missing_group_without_create_group_true_fails_the_start(self):
        role = self.role("managed-only")
        for create_group in (None, "false"):
            with self.subTest(create_group=create_group):
                reason, _ = self.failed(role, logConfiguration=logs(create_group, group="/ecs/not-there"))
                self.assertEqual(reason, (
                    f"{LOGGER_FAILED}failed to create Cloudwatch log stream: ResourceNotFoundException: "
                    "The specified log group does not exist. : exit status 1"))
        self.assertFalse(self.logs.describe_log_groups(logGroupNamePrefix="/ecs/not-there")["logGroups"])

    def test_without_put_log_events_the_task_runs_and_its_lines_are_dropped(self):
        # The driver sends events from the background and only logs its failures.
        role = self.role("no-put", allow(["ecr:*", "logs:CreateLogStream"]), managed=False)
        arn = self.run_task(self.task_definition(self.marking("app", "print('lost')"), execution_role=role,
                                                 image=ECR_IMAGE, logConfiguration=logs()))["taskArn"]
        stopped = self.stopped(arn)
        self.assertEqual((stopped["stopCode"], stopped["containers"][0].get("exitCode")),
                         ("EssentialContainerExited", 0), stopped)
        self.assertTrue(self.ran("app"))
        self.assertEqual(self.lines(arn), [], "the stream is there, its lines are not")

    # Assuming the role

    def test_a_role_ecs_cannot_assume_fails_the_start_with_ecs_sentence(self):
        iam = self.session.client("iam", endpoint_url=self.url)
        ec2_trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        ec2_only = iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps(ec2_trust))["Role"]["Arn"]
        iam.attach_role_policy(RoleName="ec2-only", PolicyArn=TASK_EXECUTION_POLICY)
        for role in (f"arn:aws:iam::{ACCOUNT}:role/not-there", ec2_only):
            with self.subTest(role=role):
                reason, _ = self.failed(role)
                self.assertEqual(reason, (
                    f"ECS was unable to assume the role '{role}' that was provided for this task. Please verify that "
                    "the role being passed has the proper trust relationship and permissions and that your IAM user "
                    "has permissions to pass this role."))

    # RegisterTaskDefinition

    def test_a_definition_that_needs_an_execution_role_and_names_none_is_refused(self):
        cases = [
            ("log driver", {"image": "app:1", "logConfiguration": logs()},
             "Fargate requires task definition to have execution role ARN to support log driver awslogs."),
            ("ecr image", {"image": ECR_IMAGE},
             "Fargate requires task definition to have execution role ARN to support ECR images."),
            ("secrets", {"image": "app:1", "secrets": [{"name": "K", "valueFrom": "/prefect/token"}]},
             "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."),
        ]
        for what, container, message in cases:
            with self.subTest(what):
                with self.assertRaises(self.ecs.exceptions.ClientException) as caught:
                    self.task_definition(python("print('up')"), execution_role=None, **container)
                self.assertEqual(caught.exception.response["Error"]["Message"], message)

        # Only Fargate needs it for its log driver and ECR images; a public image without
        # logs needs no execution role at all.
        self.ecs.register_task_definition(family="on-ec2", requiresCompatibilities=["EC2"], containerDefinitions=[
            {"name": "app", "image": ECR_IMAGE, "memory": 128, "logConfiguration": logs()}])
        self.running(None, python("import time; time.sleep(600)"), image="app:1", logConfiguration=None)


if __name__ == "__main__":
    unittest.main()
