"""A real moto server in this process, the stand-in's passes driven by the test itself.

The tests talk to the server over HTTP with boto3, as any client would; the stand-in
(standin.fargate.Fargate: the agent, the service scheduler, RunTask's tasks) runs its
passes in the test's own thread (tasks are spawned from the main thread only), so a test
decides when the stand-in acts and waits for what ECS then reports. Each test gets a VPC
whose subnet routes to an internet gateway (a public subnet, as the Rust tests seed), so
tasks with assignPublicIp ENABLED can start. The stand-in is told that BROKEN_IMAGE's
containers exit at once, as emulators.sh tells it of PREFECT_TUI_TEST_BROKEN_IMAGE. Task
definitions name an execution role (`execution_role`: AmazonECSTaskExecutionRolePolicy and
what the tests' secrets and log groups need), as the stand-in asks that role's policies
before a task starts (execution_role.py).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import unittest
from typing import Any, Callable

import boto3
from botocore.config import Config

from standin import ec2_rules, ecs_rules, ecs_state, iam, naming_rules
from standin import execution_role
from standin.fargate import Fargate
from standin.processes import free_port
from standin.server import MotoServer, quiet_environment, route_request_log

REGION = "eu-west-3"
BROKEN_IMAGE = "prefecthq/prefect-aws:0.0.0-python3.12-prefect0.0.0"  # emulators.sh's default
_server: MotoServer | None = None


def server() -> MotoServer:
    global _server
    if _server is None:
        port = free_port()
        quiet_environment(port)
        route_request_log(None)
        # The stand-in's own log lines would drown the test summary; the assertions say enough.
        logging.getLogger("standin").propagate = False
        logging.getLogger("standin").addHandler(logging.NullHandler())
        # As emulators.sh runs the stand-in: AmazonECSTaskExecutionRolePolicy exists.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        ecs_state.install()
        iam.install(enforce=True)
        execution_role.install()
        # Their defaults, as server.py's; a test of a delay sets its own (ec2_rules.configure).
        ec2_rules.install()
        ecs_rules.install()
        naming_rules.install()
        _server = MotoServer("127.0.0.1", port, ecs_state.lock)
        _server.start()
    return _server


def python(code: str) -> list[str]:
    """A container command: this Python (the .venv's, like the worker's) running `code`."""
    return [os.path.basename(sys.executable), "-u", "-c", code]


RUNS = python("import time; print('up'); time.sleep(600)")
IGNORES_SIGTERM = python("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                         "print('up'); time.sleep(600)")

TRUST_ECS_TASKS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TASK_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
# What the tests' task definitions need of their execution role beyond the managed policy:
# their secrets, SSM parameters and awslogs-create-group (test_execution_role takes each away).
TEST_EXECUTION_STATEMENTS = [{"Effect": "Allow", "Resource": "*", "Action": [
    "secretsmanager:GetSecretValue", "ssm:GetParameters", "logs:CreateLogGroup"]}]
DEFAULT_EXECUTION_ROLE = object()  # task_definition's default: the tests' execution role


class StandInTest(unittest.TestCase):
    def setUp(self) -> None:
        self.url = server().url
        config = Config(retries={"mode": "standard", "max_attempts": 2})
        self.session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                             region_name=REGION)
        self.ecs = self.session.client("ecs", endpoint_url=self.url, config=config)
        self.ec2 = self.session.client("ec2", endpoint_url=self.url, config=config)
        self.fargate = Fargate(REGION, self.url, default_stop_timeout=5, pull_timeout=1,
                               exits_at_once=[BROKEN_IMAGE])
        self.cluster = self.ecs.create_cluster(clusterName=self.id().rsplit(".", 1)[-1][:60])["cluster"]["clusterName"]
        vpc = self.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        # As the Rust tests' VPCs have it (RunTask also works without: test_runtask).
        self.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        self.vpc = vpc
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        main = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}])
        self.ec2.create_route(RouteTableId=main["RouteTables"][0]["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=igw)
        self.sg = self.ec2.create_security_group(GroupName=f"sg-{self.cluster}", Description="t",
                                                 VpcId=vpc)["GroupId"]
        self._execution_roles: dict[str, str] = {}

    def tearDown(self) -> None:
        self.fargate.shutdown()
        from moto.core.base_backend import BackendDict
        with ecs_state.lock:
            BackendDict.reset()

    # Setting up state

    def task_definition(self, command: list[str], task_role: str | None = None,
                        execution_role: Any = DEFAULT_EXECUTION_ROLE, **container: Any) -> str:
        """A Fargate task definition of one container `app`; its execution role the tests'
        (`execution_role`), unless given another or None."""
        definition = {"name": "app", "image": "app:1", "essential": True, "cpu": 256, "memory": 512,
                      "command": command, **container}
        if execution_role is DEFAULT_EXECUTION_ROLE:
            execution_role = self.execution_role()
        extra = {"taskRoleArn": task_role} if task_role else {}
        if execution_role:
            extra["executionRoleArn"] = execution_role
        return self.ecs.register_task_definition(
            family=f"{self.cluster}-app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", containerDefinitions=[definition], **extra,
        )["taskDefinition"]["taskDefinitionArn"]

    def execution_role(self, name: str = "standin-task-execution", managed: bool = True,
                       statements: list[dict] | None = None, trust: dict = TRUST_ECS_TASKS) -> str:
        """A task execution role, made once per test and name: AmazonECSTaskExecutionRolePolicy
        attached (`managed`), plus an inline policy of `statements` (by default what the tests'
        definitions need, TEST_EXECUTION_STATEMENTS). Its ARN."""
        if name in self._execution_roles:
            return self._execution_roles[name]
        statements = TEST_EXECUTION_STATEMENTS if statements is None else statements
        iam_client = self.session.client("iam", endpoint_url=self.url)
        arn = iam_client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if managed:
            iam_client.attach_role_policy(RoleName=name, PolicyArn=TASK_EXECUTION_POLICY)
        if statements:
            iam_client.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
        self._execution_roles[name] = arn
        return arn

    def service(self, task_definition: str, desired: int, name: str = "app", **extra: Any) -> str:
        self.ecs.create_service(
            cluster=self.cluster, serviceName=name, taskDefinition=task_definition, desiredCount=desired,
            launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                "subnets": [self.subnet], "securityGroups": [self.sg], "assignPublicIp": "ENABLED"}},
            **extra)
        return name

    def run_task(self, task_definition: str, subnet: str | None = None, public_ip: str = "ENABLED",
                 **extra: Any) -> dict:
        """RunTask, as the prefect-aws worker calls it: Fargate, awsvpc; the task it answers."""
        return self.ecs.run_task(
            cluster=self.cluster, taskDefinition=task_definition, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": [subnet or self.subnet], "securityGroups": [self.sg], "assignPublicIp": public_ip}},
            **extra)["tasks"][0]

    # Reading state back, as a client of the API

    def describe_service(self, name: str = "app") -> dict:
        return self.ecs.describe_services(cluster=self.cluster, services=[name])["services"][0]

    def tasks(self, name: str = "app", desired: str = "RUNNING") -> list[dict]:
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=name, desiredStatus=desired)["taskArns"]
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"] if arns else []

    def task(self, arn: str) -> dict:
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=[arn])["tasks"][0]

    def stopped(self, arn: str, timeout: float = 30.0) -> dict:
        """Runs passes until the task is STOPPED; the task then."""
        return self.until("stopped", lambda: (t := self.task(arn))["lastStatus"] == "STOPPED" and t, timeout)

    def until(self, what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Runs the stand-in's passes until `check` returns something true; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            self.fargate.cycle()
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                self.fail(f"not within {timeout:g} s: {what}")
            time.sleep(0.2)

    def local(self, task_arn: str):
        return next((t for t in self.fargate.tasks if t.arn == task_arn), None)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
