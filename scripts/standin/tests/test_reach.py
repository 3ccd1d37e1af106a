"""A running task's containers reach what their subnet reaches, and nothing else hears them."""

import http.server
import json
import os
import shutil
import tempfile
import threading
import unittest

from botocore.configprovider import ConfiguredEndpointProvider

from standin import reach
from standin.processes import free_port
from standin.tests.harness import REGION, StandInTest, python

ECR_IMAGE = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/flows:1"
SERVICES = {"ecs": "AWS_ENDPOINT_URL_ECS", "ec2": "AWS_ENDPOINT_URL_EC2", "sqs": "AWS_ENDPOINT_URL_SQS",
            "logs": "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "monitoring": "AWS_ENDPOINT_URL_CLOUDWATCH",
            "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER", "sts": "AWS_ENDPOINT_URL_STS",
            "s3": "AWS_ENDPOINT_URL_S3", "events": "AWS_ENDPOINT_URL_EVENTBRIDGE"}
# A container that tries two services with short timeouts and no retries, as a worker would
# call them, and says what happened to each.
CALLS = """
import json, sys, time, boto3
from botocore.config import Config
config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
calls = {"sqs": lambda c: c.list_queues(), "ecs": lambda c: c.list_clusters()}
out = {}
for name, call in calls.items():
    start = time.monotonic()
    try:
        call(boto3.client(name, config=config))
        out[name] = "answered"
    except Exception as e:
        out[name] = type(e).__name__
    out[name + " seconds"] = time.monotonic() - start
json.dump(out, open(sys.argv[1], "w"))
"""
# A container that GETs its PREFECT_API_URL's /health, as a worker's first call.
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


class ReachTest(StandInTest):
    """A private VPC where an ECR image can be pulled, and a way to see what a container got."""

    def setUp(self) -> None:
        super().setUp()
        self.scratch = tempfile.mkdtemp(prefix="standin-test-")
        self.addCleanup(shutil.rmtree, self.scratch, ignore_errors=True)
        self.runs = 0
        # A VPC with no internet gateway and no NAT: only its endpoints lead anywhere.
        self.private_vpc = self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.private_vpc, EnableDnsHostnames={"Value": True})
        self.private = self.ec2.create_subnet(VpcId=self.private_vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
        self.private_sg = self.ec2.create_security_group(GroupName=f"r-{self.cluster}", Description="r",
                                                         VpcId=self.private_vpc)["GroupId"]
        # The tasks' group is also the endpoints': it must let its members in on 443
        # (security_groups.py; test_security_groups takes that away).
        self.ec2.authorize_security_group_ingress(GroupId=self.private_sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": self.private_sg}]}])
        self.main = self.ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [self.private_vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        # What Fargate itself needs to pull an ECR image there (network.py), not under test here.
        for service in ("ecr.api", "ecr.dkr"):
            self.endpoint(service)
        self.gateway("s3", self.main)

    # Setting up

    def endpoint(self, service: str, private_dns: bool = True) -> str:
        return self.ec2.create_vpc_endpoint(
            VpcId=self.private_vpc, VpcEndpointType="Interface", ServiceName=f"com.amazonaws.{REGION}.{service}",
            SubnetIds=[self.private], SecurityGroupIds=[self.private_sg],
            PrivateDnsEnabled=private_dns)["VpcEndpoint"]["VpcEndpointId"]

    def gateway(self, service: str, table: str) -> str:
        return self.ec2.create_vpc_endpoint(
            VpcId=self.private_vpc, VpcEndpointType="Gateway", ServiceName=f"com.amazonaws.{REGION}.{service}",
            RouteTableIds=[table])["VpcEndpoint"]["VpcEndpointId"]

    def own_table(self, cidr: str) -> tuple[str, str]:
        """A new subnet of the private VPC with a route table of its own: (subnet, table)."""
        subnet = self.ec2.create_subnet(VpcId=self.private_vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        table = self.ec2.create_route_table(VpcId=self.private_vpc)["RouteTable"]["RouteTableId"]
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return subnet, table

    # Running a container and reading what it wrote

    def run_code(self, code: str, subnet: str | None = None, public_ip: str = "DISABLED", sg: str | None = None,
            **container) -> dict:
        """Runs `code` (given the path of a file to write JSON to) in a task; what it wrote."""
        self.runs += 1
        path = os.path.join(self.scratch, f"out-{self.runs}.json")
        td = self.task_definition(python(code) + [path], **{"image": ECR_IMAGE, **container})
        arn = self.ecs.run_task(
            cluster=self.cluster, taskDefinition=td, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": [subnet or self.private], "securityGroups": [sg or self.private_sg],
                "assignPublicIp": public_ip}})["tasks"][0]["taskArn"]
        stopped = self.stopped(arn)
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited", stopped.get("stoppedReason"))
        with open(path) as f:
            return json.load(f)

    def environment(self, subnet: str | None = None, public_ip: str = "DISABLED", sg: str | None = None,
                    **container) -> dict:
        return self.run_code("import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))",
                        subnet, public_ip, sg, **container)

    def assert_reaches(self, env: dict, reachable: set[str]) -> None:
        hole = reach.blackhole_url()
        for service, name in SERVICES.items():
            want = self.url if service in reachable else hole
            self.assertEqual(env[name], want, f"{service} ({name})")


class Reach(ReachTest):
    def test_without_a_way_out_only_services_with_an_endpoint_answer(self):
        self.endpoint("ecs")
        self.endpoint("logs")
        self.gateway("dynamodb", self.own_table("10.30.9.0/24")[1])  # another subnet's table
        env = self.environment()
        self.assert_reaches(env, {"ecs", "logs", "s3"})
        self.assertEqual(env["AWS_ENDPOINT_URL_ECR"], self.url, "ecr.api")
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], reach.blackhole_url(),
                         "a gateway endpoint serves only the subnets of its route tables")
        self.assertEqual(env["AWS_ENDPOINT_URL"], reach.blackhole_url(), "a service with no endpoint at all")

        self.gateway("dynamodb", self.main)
        self.assertEqual(self.environment()["AWS_ENDPOINT_URL_DYNAMODB"], self.url)

    def test_an_endpoint_without_private_dns_or_being_deleted_does_not_count(self):
        self.endpoint("sqs", private_dns=False)
        ec2 = self.endpoint("ec2")
        self.endpoint("ecs")
        self.ec2.delete_vpc_endpoints(VpcEndpointIds=[ec2])
        self.assert_reaches(self.environment(), {"ecs", "s3"})

        # Private DNS needs the VPC's DNS hostnames: without them no interface endpoint serves.
        self.ec2.modify_vpc_attribute(VpcId=self.private_vpc, EnableDnsHostnames={"Value": False})
        self.assert_reaches(self.environment(), {"s3"})

    def test_a_public_ip_on_an_internet_gateway_route_reaches_everything_and_without_it_nothing(self):
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.private_vpc)
        self.ec2.create_route(RouteTableId=self.main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        public = self.environment(public_ip="ENABLED", environment=[
            {"name": "AWS_ENDPOINT_URL_SQS", "value": "https://sqs.eu-west-3.amazonaws.com"}])
        self.assert_reaches(public, set(SERVICES))
        self.assertEqual(public["AWS_ENDPOINT_URL"], self.url)
        self.assertEqual(public["AWS_ENDPOINT_URL_SQS"], self.url, "never a real AWS address")

        self.assert_reaches(self.environment(public_ip="DISABLED"), {"s3"})

        # The test VPC of every other test: a public subnet.
        self.assert_reaches(self.environment(self.subnet, "ENABLED", self.sg, image="app:1"), set(SERVICES))

    def test_a_nat_gateway_route_reaches_everything(self):
        subnet, table = self.own_table("10.30.2.0/24")
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=self.private, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        env = self.environment(subnet, image="app:1")
        self.assert_reaches(env, set(SERVICES))
        self.assertEqual(env["AWS_ENDPOINT_URL"], self.url)

    def test_an_unreachable_service_times_out_and_a_reachable_one_answers(self):
        self.endpoint("ecs")
        out = self.run_code(CALLS)
        self.assertEqual(out["ecs"], "answered")
        self.assertEqual(out["sqs"], "ConnectTimeoutError", "no answer and no refusal: a connect timeout")
        self.assertGreaterEqual(out["sqs seconds"], 0.9)

    def test_a_sidecar_reaches_what_its_task_reaches(self):
        self.endpoint("monitoring")
        path = os.path.join(self.scratch, "sidecar.json")
        dump = python(f"import json, os; json.dump(dict(os.environ), open({path!r}, 'w'))")
        containers = [{"name": "app", "image": ECR_IMAGE, "essential": True, "cpu": 128, "memory": 256,
                       "command": python("import os, time\nwhile not os.path.exists(%r): time.sleep(0.1)" % path)},
                      {"name": "metrics", "image": ECR_IMAGE, "essential": False, "cpu": 128, "memory": 256,
                       "command": dump}]
        td = self.ecs.register_task_definition(
            family=f"{self.cluster}-side", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=containers, executionRoleArn=self.execution_role(),
        )["taskDefinition"]["taskDefinitionArn"]
        arn = self.ecs.run_task(cluster=self.cluster, taskDefinition=td, launchType="FARGATE",
                                networkConfiguration={"awsvpcConfiguration": {
                                    "subnets": [self.private], "securityGroups": [self.private_sg],
                                    "assignPublicIp": "DISABLED"}})["tasks"][0]["taskArn"]
        self.assertEqual(self.stopped(arn)["stopCode"], "EssentialContainerExited")
        with open(path) as f:
            self.assert_reaches(json.load(f), {"monitoring", "s3"})


class PrefectApi(ReachTest):
    """The tests' Prefect server stands for one on the internet; the in-VPC relay for one in the VPC."""

    def setUp(self) -> None:
        super().setUp()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.public_url = f"http://127.0.0.1:{server.server_address[1]}/api"
        relay = reach.open_in_vpc_relay(server.server_address[1])
        self.in_vpc_url = f"http://127.0.0.1:{relay}/api"

    def prefect_call(self, url: str, **where) -> dict:
        return self.run_code(PREFECT_CALL, environment=[{"name": "PREFECT_API_URL", "value": url}], **where)

    def test_the_public_server_is_blackholed_from_a_private_subnet_and_the_one_in_the_vpc_is_not(self):
        public = self.prefect_call(self.public_url)
        self.assertEqual(public["url"], reach.blackhole_url() + "/api", "same path, at the blackhole")
        self.assertIn(public["got"], ("TimeoutError", "URLError", "timeout"), "no answer")

        in_vpc = self.prefect_call(self.in_vpc_url)
        self.assertEqual(in_vpc, {"url": self.in_vpc_url, "got": "true"}, "through the relay to the same server")

    def test_from_a_public_subnet_both_answer(self):
        where = {"subnet": self.subnet, "public_ip": "ENABLED", "sg": self.sg}
        self.assertEqual(self.prefect_call(self.public_url, **where), {"url": self.public_url, "got": "true"})
        self.assertEqual(self.prefect_call(self.in_vpc_url, **where), {"url": self.in_vpc_url, "got": "true"})


class Health(http.server.BaseHTTPRequestHandler):
    """GET /api/health answers `true`, as Prefect's does."""

    def do_GET(self) -> None:
        body = b"true" if self.path == "/api/health" else b"?"
        self.send_response(200 if body == b"true" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass  # quiet


class ServiceVariables(unittest.TestCase):
    def test_each_variable_is_the_one_botocore_reads(self):
        clients = {"ecs": ["ecs"], "ec2": ["ec2"], "sqs": ["sqs"], "logs": ["logs"], "monitoring": ["cloudwatch"],
                   "secretsmanager": ["secretsmanager"], "sts": ["sts"], "s3": ["s3"], "events": ["events"],
                   "ecr.api": ["ecr"], "ssm": ["ssm"], "kms": ["kms"], "sns": ["sns"], "dynamodb": ["dynamodb"],
                   "lambda": ["lambda"], "elasticloadbalancing": ["elb", "elbv2"], "autoscaling": ["autoscaling"],
                   "application-autoscaling": ["application-autoscaling"]}
        self.assertEqual(set(clients), set(reach.SERVICE_VARIABLES))
        for service, names in clients.items():
            botocore_names = tuple(ConfiguredEndpointProvider({}, {}, client, {})._get_service_env_var_name()
                                   for client in names)
            self.assertEqual(reach.SERVICE_VARIABLES[service], botocore_names, service)
        for service, name in SERVICES.items():
            self.assertIn(name, reach.SERVICE_VARIABLES[service])


if __name__ == "__main__":
    unittest.main()
