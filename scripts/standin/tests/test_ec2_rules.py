"""EC2 deletions take a while, and what depends on them is refused meanwhile (ec2_rules)."""

import time
import unittest
from typing import Any, Callable

from botocore.exceptions import ClientError

from standin import ec2_rules
from standin.tests.harness import REGION, StandInTest

DELAY = 0.6  # seconds a deletion takes in these tests


class Ec2Rules(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        ec2_rules.configure(endpoint_delete_seconds=DELAY, nat_delete_seconds=DELAY)
        self.addCleanup(ec2_rules.configure, ec2_rules.DEFAULT_ENDPOINT_DELETE_SECONDS,
                        ec2_rules.DEFAULT_NAT_DELETE_SECONDS)

    # Helpers

    def refused(self, code: str, call: Callable[[], Any]) -> str:
        """The error message of a call that must fail with `code`."""
        with self.assertRaises(ClientError) as caught:
            call()
        self.assertEqual(caught.exception.response["Error"]["Code"], code, caught.exception)
        return caught.exception.response["Error"]["Message"]

    def eventually(self, what: str, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (result := check()):
            if time.monotonic() > deadline:
                self.fail(f"not within {timeout:g} s: {what}")
            time.sleep(0.1)
        return result

    def endpoint_state(self, endpoint: str) -> str:
        return self.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["State"]

    def nat_gateway(self, nat: str) -> dict:
        return self.ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]

    def nat_network(self) -> tuple[str, str, str, str, str]:
        """A VPC with an attached internet gateway and a NAT gateway with an elastic IP:
        (vpc, subnet, internet gateway, allocation id, NAT gateway)."""
        vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        return vpc, subnet, igw, allocation, nat

    def default_route(self, table: str) -> dict:
        routes = self.ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        return next(r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0")

    # Interface VPC endpoints

    def test_an_interface_endpoint_deletes_slowly_and_its_interfaces_hold_its_group_and_subnet(self):
        subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.9.2.0/24")["Subnet"]["SubnetId"]
        group = self.ec2.create_security_group(GroupName="endpoints", Description="e", VpcId=self.vpc)["GroupId"]
        endpoint = self.ec2.create_vpc_endpoint(
            VpcId=self.vpc, ServiceName=f"com.amazonaws.{REGION}.logs", VpcEndpointType="Interface",
            SubnetIds=[subnet], SecurityGroupIds=[group])["VpcEndpoint"]
        (eni_id,) = endpoint["NetworkInterfaceIds"]
        (eni,) = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
        self.assertEqual([g["GroupId"] for g in eni["Groups"]], [group], "in the endpoint's group")
        self.assertTrue(eni["PrivateIpAddress"].startswith("10.9.2."), eni["PrivateIpAddress"])
        self.assertEqual(eni["InterfaceType"], "vpc_endpoint")

        self.ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
        self.assertEqual(self.endpoint_state(endpoint["VpcEndpointId"]), "deleting")
        self.assertEqual(len(self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]),
                         1, "the interface stays while the endpoint is deleting")
        self.assertEqual(self.refused("DependencyViolation", lambda: self.ec2.delete_security_group(GroupId=group)),
                         f"resource {group} has a dependent object")
        self.assertEqual(self.refused("DependencyViolation", lambda: self.ec2.delete_subnet(SubnetId=subnet)),
                         f"The subnet '{subnet}' has dependencies and cannot be deleted.")

        self.eventually("the endpoint deleted", lambda: self.endpoint_state(endpoint["VpcEndpointId"]) == "deleted")
        self.assertEqual(self.ec2.describe_network_interfaces(
            Filters=[{"Name": "network-interface-id", "Values": [eni_id]}])["NetworkInterfaces"], [])
        self.ec2.delete_security_group(GroupId=group)
        self.ec2.delete_subnet(SubnetId=subnet)

    def test_an_interface_endpoint_without_groups_is_in_the_default_group(self):
        subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.9.3.0/24")["Subnet"]["SubnetId"]
        endpoint = self.ec2.create_vpc_endpoint(
            VpcId=self.vpc, ServiceName=f"com.amazonaws.{REGION}.ecr.api", VpcEndpointType="Interface",
            SubnetIds=[subnet])["VpcEndpoint"]
        (eni,) = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=endpoint["NetworkInterfaceIds"])["NetworkInterfaces"]
        self.assertEqual([g["GroupName"] for g in eni["Groups"]], ["default"])

    def test_a_gateway_endpoint_goes_at_once_with_its_routes(self):
        table = self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
        endpoint = self.ec2.create_vpc_endpoint(
            VpcId=self.vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
            RouteTableIds=[table])["VpcEndpoint"]["VpcEndpointId"]
        self.ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        self.assertEqual(self.endpoint_state(endpoint), "deleted")
        routes = self.ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        self.assertFalse([r for r in routes if r.get("GatewayId") == endpoint], routes)

    # NAT gateways

    def test_a_nat_gateway_deletes_slowly_holding_its_subnet_address_and_the_gateways_detach(self):
        vpc, subnet, igw, allocation, nat = self.nat_network()
        self.ec2.delete_nat_gateway(NatGatewayId=nat)
        self.assertEqual(self.nat_gateway(nat)["State"], "deleting")
        self.assertEqual(self.refused("DependencyViolation", lambda: self.ec2.delete_subnet(SubnetId=subnet)),
                         f"The subnet '{subnet}' has dependencies and cannot be deleted.")
        self.assertEqual(self.refused("AuthFailure", lambda: self.ec2.release_address(AllocationId=allocation)),
                         "You do not have permission to access the specified resource.")
        self.assertEqual(
            self.refused("DependencyViolation",
                         lambda: self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)),
            f"Network {vpc} has some mapped public address(es). Please unmap those public address(es) "
            "before detaching the gateway.")
        self.ec2.delete_nat_gateway(NatGatewayId=nat)  # again while deleting: no change
        self.assertEqual(self.nat_gateway(nat)["State"], "deleting")

        gone = self.eventually("the NAT gateway deleted",
                               lambda: (n := self.nat_gateway(nat))["State"] == "deleted" and n)
        self.assertIn("DeleteTime", gone)
        (address,) = self.ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
        self.assertNotIn("AssociationId", address, "the deletion disassociates the address")
        self.ec2.release_address(AllocationId=allocation)
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        self.ec2.delete_subnet(SubnetId=subnet)

    def test_deleting_an_unknown_nat_gateway_is_not_found(self):
        self.assertEqual(
            self.refused("NatGatewayNotFound", lambda: self.ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")),
            "The Nat Gateway nat-0123456789abcdef0 was not found")

    # Routes

    def test_create_route_over_a_blackhole_is_refused_and_replace_route_repairs_it(self):
        vpc, subnet, _igw, _allocation, nat = self.nat_network()
        table = self.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        self.assertEqual(self.default_route(table)["State"], "active")

        self.ec2.delete_nat_gateway(NatGatewayId=nat)
        self.assertEqual(self.default_route(table)["State"], "active", "a deleting NAT gateway may still carry traffic")
        self.eventually("the route a blackhole", lambda: self.default_route(table)["State"] == "blackhole")

        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        new_nat = self.ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        self.assertEqual(
            self.refused("RouteAlreadyExists", lambda: self.ec2.create_route(
                RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=new_nat)),
            "The route identified by 0.0.0.0/0 already exists.")
        self.ec2.replace_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=new_nat)
        route = self.default_route(table)
        self.assertEqual((route["NatGatewayId"], route["State"]), (new_nat, "active"))

    def test_create_route_over_an_active_route_is_refused(self):
        main = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [self.vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}])
        table = main["RouteTables"][0]["RouteTableId"]  # the harness routes 0.0.0.0/0 to its gateway
        igw = self.default_route(table)["GatewayId"]
        self.assertEqual(self.refused("RouteAlreadyExists", lambda: self.ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)),
            "The route identified by 0.0.0.0/0 already exists.")

    def test_a_route_to_a_detached_internet_gateway_is_a_blackhole(self):
        main = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [self.vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}])
        table = main["RouteTables"][0]["RouteTableId"]
        igw = self.default_route(table)["GatewayId"]
        self.assertEqual(self.default_route(table)["State"], "active")
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=self.vpc)
        self.assertEqual(self.default_route(table)["State"], "blackhole")

    # Other dependencies

    def test_a_group_another_group_names_cannot_be_deleted(self):
        named = self.ec2.create_security_group(GroupName="named", Description="n", VpcId=self.vpc)["GroupId"]
        naming = self.ec2.create_security_group(GroupName="naming", Description="n", VpcId=self.vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=naming, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": named}]}])
        self.assertEqual(self.refused("DependencyViolation", lambda: self.ec2.delete_security_group(GroupId=named)),
                         f"resource {named} has a dependent object")
        self.ec2.delete_security_group(GroupId=naming)
        self.ec2.delete_security_group(GroupId=named)

    def test_an_associated_address_is_in_use_and_its_interface_holds_the_subnet(self):
        subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.9.4.0/24")["Subnet"]["SubnetId"]
        eni = self.ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        association = self.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni)["AssociationId"]
        public_ip = self.ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["PublicIp"]
        self.assertEqual(self.refused("InvalidIPAddress.InUse",
                                      lambda: self.ec2.release_address(AllocationId=allocation)),
                         f"Address {public_ip} is in use.")
        self.refused("DependencyViolation", lambda: self.ec2.delete_subnet(SubnetId=subnet))
        self.ec2.disassociate_address(AssociationId=association)
        self.ec2.release_address(AllocationId=allocation)
        self.ec2.delete_network_interface(NetworkInterfaceId=eni)
        self.ec2.delete_subnet(SubnetId=subnet)


if __name__ == "__main__":
    unittest.main()
