"""A task starts only if its subnet lets Fargate reach the registry, secrets and logs."""

import os
import shutil
import tempfile
import unittest

from standin.tests.harness import StandInTest, python

REGION = "eu-west-3"
ECR_IMAGE = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/flows:1"


class Network(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        scratch = tempfile.mkdtemp(prefix="standin-test-")
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
        self.marker = os.path.join(scratch, "ran")
        # A VPC with no internet gateway, no NAT and no endpoints: isolated.
        self.private_vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.private_vpc, EnableDnsHostnames={"Value": True})
        self.private = self.ec2.create_subnet(VpcId=self.private_vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        self.private_sg = self.ec2.create_security_group(GroupName=f"p-{self.cluster}", Description="p",
                                                         VpcId=self.private_vpc)["GroupId"]

    def leaves_a_marker(self, image: str = "app:1", **container) -> str:
        return self.task_definition(python(f"open({self.marker!r}, 'w').close()"), image=image, **container)

    def run_private(self, td: str, public_ip: str = "DISABLED") -> str:
        return self.ecs.run_task(
            cluster=self.cluster, taskDefinition=td, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": [self.private], "securityGroups": [self.private_sg], "assignPublicIp": public_ip}},
        )["tasks"][0]["taskArn"]

    def main_table(self, vpc: str) -> str:
        return self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}]
                                              )["RouteTables"][0]["RouteTableId"]

    def test_an_isolated_subnet_fails_the_pull_and_the_process_never_starts(self):
        arn = self.run_private(self.leaves_a_marker())
        pending = self.until("pending", lambda: (t := self.task(arn))["lastStatus"] == "PENDING" and t)
        self.assertIn("pullStartedAt", pending)
        self.assertIsNone(self.local(arn).proc, "no process while the pull times out")
        stopped = self.stopped(arn)
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertRegex(stopped["stoppedReason"],
                         r'^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to '
                         r'resolve ref docker\.io/library/app:1: failed to do request: Head '
                         r'"https://registry-1\.docker\.io/v2/library/app/manifests/1": dial tcp [0-9.]+:443: '
                         r'i/o timeout$')
        (container,) = stopped["containers"]
        self.assertEqual(container["reason"], stopped["stoppedReason"])
        self.assertNotIn("exitCode", container)
        self.assertNotIn("startedAt", stopped)
        self.assertFalse(os.path.exists(self.marker), "the container's command never ran")

        # The same holds for a service's task: it fails to start, and the service keeps trying.
        self.ecs.create_service(
            cluster=self.cluster, serviceName="worker", taskDefinition=self.leaves_a_marker(), desiredCount=1,
            launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                "subnets": [self.private], "securityGroups": [self.private_sg], "assignPublicIp": "ENABLED"}})
        failed = self.until("service task failed", lambda: self.tasks("worker", desired="STOPPED"))[0]
        self.assertEqual(failed["stopCode"], "TaskFailedToStart")
        self.assertTrue(failed["stoppedReason"].startswith("CannotPullContainerError:"), failed["stoppedReason"])
        self.assertEqual(self.describe_service("worker")["deployments"][0]["failedTasks"], 1)
        self.assertFalse(os.path.exists(self.marker))

    def test_an_internet_gateway_needs_a_public_ip_and_a_nat_gateway_does_not(self):
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.private_vpc)
        self.ec2.create_route(RouteTableId=self.main_table(self.private_vpc), DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=igw)
        td = self.leaves_a_marker()
        no_ip = self.stopped(self.run_private(td, public_ip="DISABLED"))
        self.assertEqual(no_ip["stopCode"], "TaskFailedToStart", "an internet gateway without a public IP")
        self.assertFalse(os.path.exists(self.marker))
        self.assertEqual(self.stopped(self.run_private(td, public_ip="ENABLED"))["stopCode"],
                         "EssentialContainerExited")
        self.assertTrue(os.path.exists(self.marker))
        os.remove(self.marker)

        # A private subnet of its own whose table sends 0.0.0.0/0 to a NAT gateway.
        nat_subnet = self.ec2.create_subnet(VpcId=self.private_vpc, CidrBlock="10.20.2.0/24")["Subnet"]["SubnetId"]
        table = self.ec2.create_route_table(VpcId=self.private_vpc)["RouteTable"]["RouteTableId"]
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=nat_subnet)
        eip = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=self.private, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        self.private = nat_subnet
        self.assertEqual(self.stopped(self.run_private(td, public_ip="DISABLED"))["stopCode"],
                         "EssentialContainerExited", "a NAT gateway: no public IP needed")
        self.assertTrue(os.path.exists(self.marker))

    def test_vpc_endpoints_serve_ecr_images_secrets_and_logs_but_not_docker_hub(self):
        subnet = self.private
        # As the stack makes it: HTTPS in from the VPC (security_groups.py).
        https_in = self.ec2.create_security_group(GroupName=f"e-{self.cluster}", Description="e",
                                                  VpcId=self.private_vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=https_in, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
        for service in ("ecr.api", "ecr.dkr", "logs"):
            self.ec2.create_vpc_endpoint(VpcId=self.private_vpc, VpcEndpointType="Interface",
                                         ServiceName=f"com.amazonaws.{REGION}.{service}", SubnetIds=[subnet],
                                         SecurityGroupIds=[https_in])
        self.ec2.create_vpc_endpoint(VpcId=self.private_vpc, VpcEndpointType="Gateway",
                                     ServiceName=f"com.amazonaws.{REGION}.s3",
                                     RouteTableIds=[self.main_table(self.private_vpc)])
        logs = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/x", "awslogs-region": REGION,
                                                    "awslogs-stream-prefix": "x", "awslogs-create-group": "true"}}
        self.assertEqual(self.stopped(self.run_private(self.leaves_a_marker(ECR_IMAGE, logConfiguration=logs)))
                         ["stopCode"], "EssentialContainerExited", "ECR through its endpoints")
        self.assertTrue(os.path.exists(self.marker))
        os.remove(self.marker)

        docker_hub = self.stopped(self.run_private(self.leaves_a_marker("prefecthq/prefect-aws:latest")))
        self.assertEqual(docker_hub["stopCode"], "TaskFailedToStart")
        self.assertIn('failed to resolve ref docker.io/prefecthq/prefect-aws:latest: failed to do request: Head '
                      '"https://registry-1.docker.io/v2/prefecthq/prefect-aws/manifests/latest"',
                      docker_hub["stoppedReason"])

        secret = self.session.client("secretsmanager", endpoint_url=self.url).create_secret(
            Name="k", SecretString="v")["ARN"]
        no_secrets_endpoint = self.stopped(self.run_private(self.leaves_a_marker(
            ECR_IMAGE, secrets=[{"name": "K", "valueFrom": secret}])))
        self.assertEqual(no_secrets_endpoint["stopCode"], "TaskFailedToStart")
        self.assertEqual(no_secrets_endpoint["stoppedReason"],
                         "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                         "retrieval failed: unable to retrieve secret from asm: service call has been retried 5 "
                         f"time(s): failed to fetch secret {secret} from secrets manager: RequestCanceled: request "
                         "context canceled caused by: context deadline exceeded. Please check your task network "
                         "configuration.")
        self.assertFalse(os.path.exists(self.marker))


if __name__ == "__main__":
    unittest.main()
