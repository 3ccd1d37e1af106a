"""A task's security groups (and its endpoints') decide what it reaches, as on AWS."""

import http.server
import json
import os
import re
import threading
import unittest
from typing import Any

from standin import reach
from standin.processes import free_port
from standin.tests.harness import REGION, python
from standin.tests.test_reach import ECR_IMAGE, SERVICES, Health, ReachTest

VPC_CIDR = "10.30.0.0/16"  # ReachTest's private VPC
SUBNET_CIDR = "10.30.1.0/24"  # and its subnet
NO_GROUP = object()  # run with no securityGroups at all
DUMP_ENV = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
PREFECT_CALL = """
import json, os, sys, urllib.request
url = os.environ["PREFECT_API_URL"]
try:
    with urllib.request.urlopen(url + "/health", timeout=2) as answer:
        got = answer.read().decode()
except Exception as e:
    got = type(e).__name__
json.dump({"url": url, "got": got}, open(sys.argv[1], "w"))
"""
# Lists the buckets with the task role's keys: the credentials work whatever the groups say.
S3_CALL = """
import json, os, sys, boto3
from botocore.config import Config
config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
try:
    boto3.client("s3", config=config).list_buckets()
    got = "answered"
except Exception as e:
    got = type(e).__name__
json.dump({"s3": got, "token": bool(os.environ.get("AWS_SESSION_TOKEN"))}, open(sys.argv[1], "w"))
"""


def tcp(port: int, cidr: str | None = None, group: str | None = None, prefix_list: str | None = None) -> dict:
    """One IpPermission: TCP `port` to or from a CIDR, a group or a prefix list."""
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group}]
    if prefix_list:
        permission["PrefixListIds"] = [{"PrefixListId": prefix_list}]
    return permission


ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}  # a new group's one rule


class SecurityGroupsTest(ReachTest):
    """ReachTest's private VPC, whose ECR endpoints let in all of the VPC on 443, the public
    test VPC, a Prefect server (on the internet) and its in-VPC relay."""

    def setUp(self) -> None:
        super().setUp()
        # ReachTest's ECR endpoints are in private_sg: let any task of the VPC in, as the stack does.
        self.ec2.authorize_security_group_ingress(GroupId=self.private_sg, IpPermissions=[tcp(443, VPC_CIDR)])
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.prefect_port = server.server_address[1]
        self.public_url = f"http://127.0.0.1:{self.prefect_port}/api"
        self.relay_port = reach.open_in_vpc_relay(self.prefect_port)
        self.in_vpc_url = f"http://127.0.0.1:{self.relay_port}/api"

    # Setting up

    def group(self, name: str, vpc: str | None = None, egress: list[dict] | None = None,
              ingress: list[dict] | None = None) -> str:
        """A new group (in the private VPC unless told): all egress, as AWS makes it, unless
        `egress` lists its only rules; with `ingress`."""
        group = self.ec2.create_security_group(GroupName=f"{name}-{self.cluster}", Description=name,
                                               VpcId=vpc or self.private_vpc)["GroupId"]
        if egress is not None:
            self.ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[ALL_OUT])
            if egress:
                self.ec2.authorize_security_group_egress(GroupId=group, IpPermissions=egress)
        if ingress:
            self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=ingress)
        return group

    def endpoint_in(self, service: str, groups: list[str]) -> str:
        """An interface endpoint of the private subnet with private DNS, in `groups` ([]: none named)."""
        extra = {"SecurityGroupIds": groups} if groups else {}
        return self.ec2.create_vpc_endpoint(
            VpcId=self.private_vpc, VpcEndpointType="Interface", ServiceName=f"com.amazonaws.{REGION}.{service}",
            SubnetIds=[self.private], PrivateDnsEnabled=True, **extra)["VpcEndpoint"]["VpcEndpointId"]

    def prefix_list(self, service: str) -> str:
        """The id of AWS's managed prefix list of a service (moto makes S3's and DynamoDB's)."""
        return self.ec2.describe_managed_prefix_lists(Filters=[
            {"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.{service}"]}]
        )["PrefixLists"][0]["PrefixListId"]

    def default_group(self, vpc: str) -> str:
        return self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                          {"Name": "group-name", "Values": ["default"]}]
                                                 )["SecurityGroups"][0]["GroupId"]

    # Running a task

    def start(self, code: str, sg: Any, subnet: str | None = None, public_ip: str = "DISABLED",
              **container) -> tuple[dict, str]:
        """Runs `code` (given a path to write JSON to) in a task of group `sg` (NO_GROUP: none
        named); the stopped task and the path."""
        self.runs += 1
        path = os.path.join(self.scratch, f"out-{self.runs}.json")
        td = self.task_definition(python(code) + [path], **{"image": ECR_IMAGE, **container})
        config = {"subnets": [subnet or self.private], "assignPublicIp": public_ip}
        if sg is not NO_GROUP:
            config["securityGroups"] = [sg]
        arn = self.ecs.run_task(cluster=self.cluster, taskDefinition=td, launchType="FARGATE",
                                networkConfiguration={"awsvpcConfiguration": config})["tasks"][0]["taskArn"]
        return self.stopped(arn), path

    def output(self, code: str, sg: Any, subnet: str | None = None, public_ip: str = "DISABLED",
               **container) -> dict:
        """What `code` wrote, once its task exited."""
        stopped, path = self.start(code, sg, subnet, public_ip, **container)
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited", stopped.get("stoppedReason"))
        with open(path) as f:
            return json.load(f)

    def env(self, sg: Any, subnet: str | None = None, public_ip: str = "DISABLED", prefect_url: str | None = None,
            **container) -> dict:
        """The container's environment, PREFECT_API_URL set to `prefect_url` in the definition."""
        if prefect_url:
            container["environment"] = [{"name": "PREFECT_API_URL", "value": prefect_url}]
        return self.output(DUMP_ENV, sg, subnet, public_ip, **container)

    def public(self, sg: Any, **kwargs) -> dict:
        """The environment of a task in the public test subnet (an internet gateway, a public IP)."""
        return self.env(sg, self.subnet, "ENABLED", image="app:1", **kwargs)

    def prefect_call(self, url: str, sg: Any, **where) -> dict:
        return self.output(PREFECT_CALL, sg, environment=[{"name": "PREFECT_API_URL", "value": url}], **where)

    def assert_logged(self, logs: Any, *parts: str) -> None:
        """One INFO line of the stand-in's holds every part."""
        lines = [r.getMessage() for r in logs.records if r.levelname == "INFO"]
        self.assertTrue(any(all(p in line for p in parts) for line in lines), f"{parts} not in {lines}")


class Egress(SecurityGroupsTest):
    def test_a_new_group_with_its_all_traffic_egress_reaches_everything_its_subnet_reaches(self):
        https_in = self.group("https-in", ingress=[tcp(443, VPC_CIDR)])
        self.endpoint_in("ecs", [https_in])
        self.endpoint_in("sqs", [https_in])
        fresh = self.group("fresh")
        env = self.env(fresh, prefect_url=self.in_vpc_url)
        self.assert_reaches(env, {"ecs", "sqs", "s3"})  # the endpoints and the S3 gateway: what the subnet has
        self.assertEqual(env["AWS_ENDPOINT_URL"], reach.blackhole_url(), "no way out: the subnet's doing")
        self.assertEqual(env["PREFECT_API_URL"], self.in_vpc_url)

        public = self.public(self.group("fresh", vpc=self.vpc), prefect_url="http://127.0.0.1:4200/api")
        self.assert_reaches(public, set(SERVICES))
        self.assertEqual(public["AWS_ENDPOINT_URL"], self.url)
        self.assertEqual(public["PREFECT_API_URL"], "http://127.0.0.1:4200/api")

    def test_443_to_anywhere_reaches_the_aws_apis_but_not_a_prefect_api_on_4200_until_a_rule_allows_it(self):
        https_out = self.group("https-out", vpc=self.vpc, egress=[tcp(443, "0.0.0.0/0")])
        with self.assertLogs("standin", "INFO") as logs:
            env = self.public(https_out, prefect_url="http://127.0.0.1:4200/api")
        self.assert_reaches(env, set(SERVICES))
        self.assertEqual(env["AWS_ENDPOINT_URL"], self.url, "every AWS API is TCP 443")
        self.assertEqual(env["PREFECT_API_URL"], reach.blackhole_url() + "/api", "4200 is not let out")
        self.assert_logged(logs, "PREFECT_API_URL http://127.0.0.1:4200/api",
                           f"no egress rule of {https_out} allows tcp 4200 to 0.0.0.0/0")

        cloud = "https://api.prefect.cloud/api/accounts/a/workspaces/w"
        self.assertEqual(self.public(https_out, prefect_url=cloud)["PREFECT_API_URL"], cloud, "https: port 443")

        self.ec2.authorize_security_group_egress(GroupId=https_out, IpPermissions=[tcp(4200, "0.0.0.0/0")])
        self.assertEqual(self.public(https_out, prefect_url="http://127.0.0.1:4200/api")["PREFECT_API_URL"],
                         "http://127.0.0.1:4200/api")

    def test_the_prefect_server_answers_only_once_its_port_is_let_out_to_anywhere(self):
        where = {"subnet": self.subnet, "public_ip": "ENABLED", "image": "app:1"}
        https_out = self.group("https-out", vpc=self.vpc, egress=[tcp(443, "0.0.0.0/0"),
                                                                  tcp(self.prefect_port, "127.0.0.0/8")])
        refused = self.prefect_call(self.public_url, https_out, **where)
        self.assertEqual(refused["url"], reach.blackhole_url() + "/api",
                         "a server on the internet: only 0.0.0.0/0 stands for its address")
        self.assertIn(refused["got"], ("TimeoutError", "URLError", "timeout"), "no answer")

        self.ec2.authorize_security_group_egress(GroupId=https_out, IpPermissions=[tcp(self.prefect_port,
                                                                                       "0.0.0.0/0")])
        self.assertEqual(self.prefect_call(self.public_url, https_out, **where),
                         {"url": self.public_url, "got": "true"})

    def test_the_in_vpc_relay_needs_a_rule_covering_the_vpc_cidr_on_its_port(self):
        worker = self.group("worker", egress=[tcp(443, "0.0.0.0/0"), tcp(self.relay_port, SUBNET_CIDR)])
        with self.assertLogs("standin", "INFO") as logs:
            refused = self.prefect_call(self.in_vpc_url, worker)
        self.assertEqual(refused["url"], reach.blackhole_url() + "/api", "the task's subnet is not the VPC")
        self.assert_logged(logs, f"allows tcp {self.relay_port} to {VPC_CIDR} (the VPC)")

        self.ec2.authorize_security_group_egress(GroupId=worker, IpPermissions=[tcp(self.relay_port, VPC_CIDR)])
        self.assertEqual(self.prefect_call(self.in_vpc_url, worker), {"url": self.in_vpc_url, "got": "true"})

    def test_the_s3_prefix_list_reaches_s3_through_its_gateway_and_a_narrower_public_cidr_does_not(self):
        self.gateway("dynamodb", self.main)
        # 443 to the VPC: the ECR endpoints; S3's layers need more (52.216.0.0/15 is in S3's list).
        worker = self.group("worker", egress=[tcp(443, VPC_CIDR), tcp(443, "52.216.0.0/15")])
        stopped, _ = self.start(DUMP_ENV, worker)
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertRegex(stopped["stoppedReason"],
                         r'^CannotPullContainerError: ref pull has been retried 5 time\(s\): failed to copy: '
                         r'httpReadSeeker: failed open: failed to do request: Get "https://prod-eu-west-3-starport-'
                         r'layer-bucket\.s3\.eu-west-3\.amazonaws\.com/": dial tcp [0-9.]+:443: i/o timeout$')

        self.ec2.authorize_security_group_egress(GroupId=worker,
                                                 IpPermissions=[tcp(443, prefix_list=self.prefix_list("s3"))])
        env = self.env(worker)
        self.assert_reaches(env, {"s3"})
        self.assertEqual(env["AWS_ENDPOINT_URL_ECR"], self.url, "the ECR endpoint, in the VPC")
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], reach.blackhole_url(), "not on S3's list")

        # The task role's credentials are not the groups' business (169.254.170.2 on AWS).
        iam = self.session.client("iam", endpoint_url=self.url)
        role = iam.create_role(RoleName="lists-buckets", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        iam.put_role_policy(RoleName="lists-buckets", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        self.assertEqual(self.output(S3_CALL, worker, task_role=role), {"s3": "answered", "token": True})

    def test_no_egress_fails_a_task_whose_secrets_need_secrets_manager(self):
        secret = self.session.client("secretsmanager", endpoint_url=self.url).create_secret(
            Name="token", SecretString="t0ken")["ARN"]
        closed = self.group("closed", vpc=self.vpc, egress=[])
        marker = os.path.join(self.scratch, "ran")
        code = f"open({marker!r}, 'w').close()\n" + DUMP_ENV
        with self.assertLogs("standin", "INFO") as logs:
            stopped, _ = self.start(code, closed, self.subnet, "ENABLED", image="app:1",
                                    secrets=[{"name": "TOKEN", "valueFrom": secret}])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertRegex(stopped["stoppedReason"], "^" + re.escape(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch "
            f"secret {secret} from secrets manager: RequestError: send request failed caused by: Post "
            f'"https://secretsmanager.{REGION}.amazonaws.com/": dial tcp ') + r"[0-9.]+" + re.escape(
            ":443: i/o timeout. Please check your task network configuration.") + "$")
        self.assertNotIn("security group", stopped["stoppedReason"], "AWS names the timeout, never the group")
        self.assertNotIn("startedAt", stopped)
        self.assertFalse(os.path.exists(marker), "the container never ran")
        self.assert_logged(logs, stopped["taskArn"].rsplit("/", 1)[-1], "secretsmanager",
                           f"no egress rule of {closed} allows tcp 443 to 0.0.0.0/0")

        self.ec2.authorize_security_group_egress(GroupId=closed, IpPermissions=[tcp(443, "0.0.0.0/0")])
        self.assertEqual(self.start(code, closed, self.subnet, "ENABLED", image="app:1",
                                    secrets=[{"name": "TOKEN", "valueFrom": secret}])[0]["stopCode"],
                         "EssentialContainerExited")
        self.assertTrue(os.path.exists(marker))


class Endpoints(SecurityGroupsTest):
    def test_an_endpoint_whose_group_does_not_let_the_task_in_is_unreachable_and_the_others_stay_reachable(self):
        worker = self.group("worker")
        self.endpoint_in("ecs", [self.group("vpc-in", ingress=[tcp(443, VPC_CIDR)])])
        self.endpoint_in("logs", [self.group("worker-in", ingress=[tcp(443, group=worker)])])
        closed = self.group("closed", ingress=[tcp(443, "10.30.1.0/25")])  # half the subnet: not the task's
        sqs = self.endpoint_in("sqs", [closed])
        with self.assertLogs("standin", "INFO") as logs:
            env = self.env(worker)
        self.assert_reaches(env, {"ecs", "logs", "s3"})
        self.assertEqual(env["AWS_ENDPOINT_URL_SQS"], reach.blackhole_url())
        self.assert_logged(logs, "sqs", sqs, f"no ingress rule of {closed} (the endpoint's) allows tcp 443 from "
                                             f"{SUBNET_CIDR} or {worker}")

        self.ec2.authorize_security_group_ingress(GroupId=closed, IpPermissions=[tcp(443, SUBNET_CIDR)])
        self.assert_reaches(self.env(worker), {"ecs", "logs", "sqs", "s3"})

    def test_egress_to_the_endpoint_is_needed_too(self):
        self.endpoint_in("ecs", [self.group("vpc-in", ingress=[tcp(443, VPC_CIDR)])])
        # The ECR endpoints and S3 through 0.0.0.0/0 would cover ecs too: name them instead.
        worker = self.group("worker", egress=[tcp(443, group=self.private_sg),
                                              tcp(443, prefix_list=self.prefix_list("s3"))])
        self.assert_reaches(self.env(worker), {"s3"})
        self.ec2.authorize_security_group_egress(GroupId=worker, IpPermissions=[tcp(443, "10.30.1.16/28")])
        self.assert_reaches(self.env(worker), {"ecs", "s3"})  # a CIDR overlapping the endpoint's subnet

    def test_fargate_cannot_pull_through_an_endpoint_whose_group_does_not_let_the_task_in(self):
        self.ec2.revoke_security_group_ingress(GroupId=self.private_sg, IpPermissions=[tcp(443, VPC_CIDR)])
        outsider = self.group("outsider")
        stopped, _ = self.start(DUMP_ENV, outsider)
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        match = re.fullmatch(
            re.escape("ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                      "retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 "
                      f'time(s): RequestError: send request failed caused by: Post "https://api.ecr.{REGION}.'
                      'amazonaws.com/": dial tcp ') + r"([0-9.]+)" +
            re.escape(":443: i/o timeout. Please check your task network configuration."), stopped["stoppedReason"])
        self.assertIsNotNone(match, stopped["stoppedReason"])
        endpoint_addresses = {e["PrivateIpAddress"] for e in self.ec2.describe_network_interfaces(Filters=[
            {"Name": "subnet-id", "Values": [self.private]}])["NetworkInterfaces"]}
        self.assertIn(match.group(1), endpoint_addresses, "the endpoint's interface in the VPC")

        # private_sg lets its own members in (ReachTest): a task of that group pulls.
        self.assertEqual(self.start(DUMP_ENV, self.private_sg)[0]["stopCode"], "EssentialContainerExited")


class DefaultGroup(SecurityGroupsTest):
    def test_a_task_naming_no_group_is_filtered_by_the_vpc_default_group(self):
        default = self.default_group(self.vpc)
        self.ec2.revoke_security_group_egress(GroupId=default, IpPermissions=[ALL_OUT])
        stopped, _ = self.start(DUMP_ENV, NO_GROUP, self.subnet, "ENABLED", image="app:1")
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertTrue(stopped["stoppedReason"].startswith(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s)"), stopped["stoppedReason"])
        self.assertEqual(self.public(self.sg)["AWS_ENDPOINT_URL"], self.url, "a task of another group starts")

        self.ec2.authorize_security_group_egress(GroupId=default, IpPermissions=[tcp(443, "0.0.0.0/0")])
        env = self.public(NO_GROUP, prefect_url="http://127.0.0.1:4200/api")
        self.assert_reaches(env, set(SERVICES))
        self.assertEqual(env["PREFECT_API_URL"], reach.blackhole_url() + "/api", "the default group's rules")

    def test_an_endpoint_naming_no_group_lets_in_only_the_tasks_of_the_vpc_default_group(self):
        self.endpoint_in("ecs", [])
        self.assert_reaches(self.env(NO_GROUP), {"ecs", "s3"})  # the default group lets its members in
        self.assert_reaches(self.env(self.group("other")), {"s3"})


if __name__ == "__main__":
    unittest.main()
