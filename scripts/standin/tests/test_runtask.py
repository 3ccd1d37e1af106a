"""RunTask: a task outside any service runs once, with its overrides, and stops as on Fargate."""

import time
import unittest

from standin.tests.harness import IGNORES_SIGTERM, RUNS, StandInTest, alive, python

LOGS = {"logDriver": "awslogs", "options": {
    "awslogs-group": "/ecs/flows", "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "flow",
    "awslogs-create-group": "true"}}


class RunTask(StandInTest):
    def lines(self, stream: str) -> list[str]:
        logs = self.session.client("logs", endpoint_url=self.url)
        try:
            events = logs.get_log_events(logGroupName="/ecs/flows", logStreamName=stream, startFromHead=True)
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in events["events"]]

    def test_a_task_that_exits_is_stopped_with_its_exit_code_and_its_lines_logged(self):
        td = self.task_definition(python("print('one'); print('two'); raise SystemExit(3)"),
                                  logConfiguration=LOGS)
        answered = self.run_task(td, startedBy="prefect", tags=[{"key": "prefect.io/flow-run-id", "value": "x"}])
        self.assertEqual((answered["lastStatus"], answered["desiredStatus"]), ("PROVISIONING", "RUNNING"),
                         "RunTask answers PROVISIONING, as ECS does (moto alone: RUNNING)")
        arn = answered["taskArn"]
        stopped = self.stopped(arn)
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")
        self.assertEqual(stopped["stoppedReason"], "Essential container in task exited")
        (container,) = stopped["containers"]
        self.assertEqual((container["lastStatus"], container["exitCode"]), ("STOPPED", 3))
        self.assertEqual(container["taskArn"], arn, "moto alone gives the task definition's ARN")
        for stamp in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt"):
            self.assertIn(stamp, stopped)
        self.assertLessEqual(stopped["createdAt"], stopped["startedAt"])
        self.assertLessEqual(stopped["startedAt"], stopped["stoppedAt"])
        self.assertEqual(stopped["startedBy"], "prefect")
        self.assertEqual(self.lines(f"flow/app/{arn.rsplit('/', 1)[-1]}"), ["one", "two"],
                         "the awslogs stream prefix/container/task-id")
        # Never restarted: no other task appears.
        for _ in range(3):
            self.fargate.cycle()
        self.assertEqual(self.ecs.list_tasks(cluster=self.cluster, desiredStatus="RUNNING")["taskArns"], [])
        self.assertEqual(self.fargate.tasks, [])

    def test_overrides_replace_the_command_and_add_to_the_environment(self):
        td = self.task_definition(python("print('the definition ran'); raise SystemExit(9)"), logConfiguration=LOGS,
                                  environment=[{"name": "KEPT", "value": "k"}, {"name": "REPLACED", "value": "old"}])
        overrides = {"containerOverrides": [{
            "name": "app",
            "command": python("import os; print(os.environ['KEPT'], os.environ['REPLACED'], os.environ['ADDED'])"),
            "environment": [{"name": "REPLACED", "value": "new"}, {"name": "ADDED", "value": "a"}],
            "cpu": 512, "memory": 1024}], "cpu": "1024", "memory": "2048"}
        arn = self.run_task(td, overrides=overrides)["taskArn"]
        stopped = self.stopped(arn)
        self.assertEqual(stopped["containers"][0]["exitCode"], 0)
        self.assertEqual(self.until("logged", lambda: self.lines(f"flow/app/{arn.rsplit('/', 1)[-1]}")),
                         ["k new a"])
        self.assertEqual((stopped["cpu"], stopped["memory"]), ("1024", "2048"), "the task's overrides, recorded")
        self.assertEqual(stopped["overrides"]["containerOverrides"][0]["environment"][1],
                         {"name": "ADDED", "value": "a"})

    def test_stop_task_stops_it_as_the_user_asked_and_it_is_not_replaced(self):
        arn = self.run_task(self.task_definition(IGNORES_SIGTERM, stopTimeout=1))["taskArn"]
        running = self.until("running", lambda: (t := self.task(arn))["lastStatus"] == "RUNNING" and t)
        pid = self.local(arn).proc.pid
        self.assertTrue(alive(pid))
        self.assertEqual(running["containers"][0]["lastStatus"], "RUNNING")
        self.assertNotIn("exitCode", running["containers"][0])
        time.sleep(0.5)  # let it install its handler
        answer = self.ecs.stop_task(cluster=self.cluster, task=arn, reason="Flow run cancelled")["task"]
        self.assertEqual((answer["lastStatus"], answer["desiredStatus"]), ("DEACTIVATING", "STOPPED"))
        stopped = self.stopped(arn)
        self.assertFalse(alive(pid))
        self.assertEqual((stopped["stopCode"], stopped["stoppedReason"]), ("UserInitiated", "Flow run cancelled"))
        self.assertEqual(stopped["containers"][0]["exitCode"], 137, "SIGTERM ignored: SIGKILL after stopTimeout")
        self.fargate.cycle()
        self.assertEqual(self.ecs.list_tasks(cluster=self.cluster, desiredStatus="RUNNING")["taskArns"], [])

    def test_stop_task_before_it_is_provisioned_stops_it_without_starting_it(self):
        arn = self.run_task(self.task_definition(RUNS))["taskArn"]
        self.ecs.stop_task(cluster=self.cluster, task=arn)
        stopped = self.stopped(arn)
        self.assertEqual((stopped["stopCode"], stopped["stoppedReason"]), ("UserInitiated", "Task stopped by user"))
        self.assertNotIn("startedAt", stopped)
        self.assertNotIn("exitCode", stopped["containers"][0])

    def test_the_network_interface_is_in_the_subnet_and_goes_with_the_task(self):
        arn = self.run_task(self.task_definition(RUNS))["taskArn"]
        running = self.until("running", lambda: (t := self.task(arn))["lastStatus"] == "RUNNING" and t)
        (attachment,) = running["attachments"]
        details = {d["name"]: d["value"] for d in attachment["details"]}
        self.assertEqual((attachment["type"], attachment["status"]), ("ElasticNetworkInterface", "ATTACHED"))
        self.assertEqual(details["subnetId"], self.subnet)
        self.assertTrue(details["privateIPv4Address"].startswith("10.9.1."), details)
        self.assertEqual(details["privateDnsName"],
                         f"ip-{details['privateIPv4Address'].replace('.', '-')}.eu-west-3.compute.internal")
        subnet_zone = self.ec2.describe_subnets(SubnetIds=[self.subnet])["Subnets"][0]["AvailabilityZone"]
        self.assertEqual(running["availabilityZone"], subnet_zone)
        (eni,) = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"]
        self.assertEqual(eni["PrivateIpAddress"], details["privateIPv4Address"])
        self.assertIn("PublicIp", eni.get("Association", {}), "assignPublicIp ENABLED")
        self.assertEqual(eni["Groups"][0]["GroupId"], self.sg)
        self.ecs.stop_task(cluster=self.cluster, task=arn)
        stopped = self.stopped(arn)
        self.assertEqual(stopped["attachments"][0]["status"], "DELETED")
        enis = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "network-interface-id", "Values": [details["networkInterfaceId"]]}])
        self.assertEqual(enis["NetworkInterfaces"], [], "ECS deletes the task's interface")

    def test_a_vpc_without_dns_hostnames_and_no_security_group_given_are_fine(self):
        # moto alone answers both with a 500.
        vpc = self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
        nat_home = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.2.0/24")["Subnet"]["SubnetId"]
        eip = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=nat_home, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        main = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
        self.ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        arn = self.ecs.run_task(
            cluster=self.cluster, taskDefinition=self.task_definition(RUNS), launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})["tasks"][0]["taskArn"]
        running = self.until("running", lambda: (t := self.task(arn))["lastStatus"] == "RUNNING" and t)
        details = {d["name"]: d["value"] for d in running["attachments"][0]["details"]}
        self.assertTrue(details["privateDnsName"].endswith(".eu-west-3.compute.internal"), details)
        (eni,) = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"]
        default = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                             {"Name": "group-name", "Values": ["default"]}])
        self.assertEqual([g["GroupId"] for g in eni["Groups"]], [default["SecurityGroups"][0]["GroupId"]],
                         "the VPC's default security group, as ECS gives it")

    def test_a_definition_whose_container_sets_no_memory_runs(self):
        # The prefect-aws worker registers such definitions (task-level cpu and memory only).
        arn = self.ecs.register_task_definition(
            family=f"{self.cluster}-flow", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512",
            containerDefinitions=[{"name": "prefect", "image": "prefecthq/prefect:3", "command": RUNS}],
        )["taskDefinition"]["taskDefinitionArn"]
        task = self.run_task(arn)
        self.assertEqual(task["memory"], "512")
        self.until("running", lambda: self.task(task["taskArn"])["lastStatus"] == "RUNNING")

    def test_a_region_the_stand_in_does_not_serve_is_left_to_moto(self):
        # The Rust tests fake service tasks in other regions with RunTask and StopTask.
        other = self.session.client("ecs", endpoint_url=self.url, region_name="eu-north-1")
        cluster = other.create_cluster(clusterName=self.cluster)["cluster"]["clusterName"]
        arn = other.register_task_definition(
            family="elsewhere", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512,
                                                 "command": python("open('ran', 'w')")}],
        )["taskDefinition"]["taskDefinitionArn"]
        ec2 = self.session.client("ec2", endpoint_url=self.url, region_name="eu-north-1")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
        task = other.run_task(cluster=cluster, taskDefinition=arn, launchType="FARGATE", group="service:faked",
                              startedBy="faked", networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet]}})["tasks"][0]
        self.fargate.cycle()
        self.assertFalse(self.fargate.tasks, "nothing runs for another region")
        from standin import ecs_state
        found = ecs_state.find_task("eu-north-1", task["taskArn"])
        self.assertIsNotNone(found)
        self.assertFalse(getattr(found[1], "_standin_owned", False), "moto's record, not the stand-in's")
        other.stop_task(cluster=cluster, task=task["taskArn"], reason="by the test")
        stopped = other.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual((stopped["lastStatus"], stopped["stoppedReason"]), ("STOPPED", "by the test"),
                         "moto's own StopTask: stopped at once")


if __name__ == "__main__":
    unittest.main()
