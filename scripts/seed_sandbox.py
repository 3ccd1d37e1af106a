"""Seeds the sandbox's emulated AWS account with a believable network.

- "prod": public and private subnets over three zones; the private ones reach the internet
  through one NAT gateway per zone.
- "analytics": two subnets with no route out (isolated).
- "private-endpoints": no internet route, but VPC endpoints for ECR, CloudWatch Logs,
  Secrets Manager and S3.
- The emulator's default VPC gets the internet-gateway route AWS gives every default VPC
  (the emulator leaves it out).

Usage: python seed_sandbox.py ENDPOINT_URL REGION
"""

import sys

import boto3

endpoint, region = sys.argv[1], sys.argv[2]
ec2 = boto3.client(
    "ec2",
    endpoint_url=endpoint,
    region_name=region,
    aws_access_key_id="sandbox",
    aws_secret_access_key="sandbox",
)


def tags(kind, name):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def vpc(cidr, name):
    vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tags("vpc", name))["Vpc"]["VpcId"]
    # DNS hostnames on, as in most real VPCs (the emulator's RunTask also needs it).
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return vpc_id


def subnet(vpc_id, cidr, zone, name):
    return ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=cidr,
        AvailabilityZone=f"{region}{zone}",
        TagSpecifications=tags("subnet", name),
    )["Subnet"]["SubnetId"]


def route_table(vpc_id, name, subnets):
    rtb = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=tags("route-table", name))
    rtb_id = rtb["RouteTable"]["RouteTableId"]
    for s in subnets:
        ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=s)
    return rtb_id


def internet_gateway(vpc_id):
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    return igw


def main_route_table(vpc_id):
    tables = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"]
    return tables[0]["RouteTableId"]


zones = ["a", "b", "c"]

prod = vpc("10.0.0.0/16", "prod")
igw = internet_gateway(prod)
public = [subnet(prod, f"10.0.{i}.0/24", z, f"prod-public-{z}") for i, z in enumerate(zones)]
public_rtb = route_table(prod, "prod-public", public)
ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
for i, z in enumerate(zones):
    private = subnet(prod, f"10.0.{10 + i}.0/24", z, f"prod-private-{z}")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[i], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    rtb = route_table(prod, f"prod-private-{z}", [private])
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)

analytics = vpc("10.1.0.0/16", "analytics")
for i, z in enumerate(zones[:2]):
    subnet(analytics, f"10.1.{i}.0/24", z, f"analytics-{z}")

endpoints_vpc = vpc("10.2.0.0/16", "private-endpoints")
private = [subnet(endpoints_vpc, f"10.2.{i}.0/24", z, f"endpoints-{z}") for i, z in enumerate(zones[:2])]
for service in ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]:
    ec2.create_vpc_endpoint(
        VpcId=endpoints_vpc,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{region}.{service}",
        SubnetIds=private,
        PrivateDnsEnabled=True,
    )
ec2.create_vpc_endpoint(
    VpcId=endpoints_vpc,
    VpcEndpointType="Gateway",
    ServiceName=f"com.amazonaws.{region}.s3",
    RouteTableIds=[main_route_table(endpoints_vpc)],
)

# Emulator gap: AWS gives the default VPC an internet gateway and a 0.0.0.0/0 route to it;
# moto creates the VPC without them.
default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
if default_vpc:
    vpc_id = default_vpc[0]["VpcId"]
    attached = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    gateway = attached[0]["InternetGatewayId"] if attached else internet_gateway(vpc_id)
    ec2.create_route(
        RouteTableId=main_route_table(vpc_id), DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
    )

print(f"seeded {region}: VPCs prod ({prod}), analytics ({analytics}), private-endpoints ({endpoints_vpc})", file=sys.stderr)
