//! Builds network layouts in the emulated EC2 with the real SDK: the same calls a person
//! (or Terraform) would make, so discovery reads them back exactly as it would on AWS.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{DomainType, ResourceType, Tag, TagSpecification, VpcEndpointType};

pub struct Net {
    pub ec2: Client,
    pub region: String,
}

fn name_tags(kind: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

impl Net {
    pub fn new(endpoint: &str, region: &str) -> Self {
        Self {
            ec2: super::ec2(endpoint, region),
            region: region.to_owned(),
        }
    }

    pub fn az(&self, letter: char) -> String {
        format!("{}{letter}", self.region)
    }

    pub async fn vpc(&self, cidr: &str, name: &str) -> String {
        let out = self
            .ec2
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(name_tags(ResourceType::Vpc, name))
            .send()
            .await
            .expect("CreateVpc");
        out.vpc.and_then(|v| v.vpc_id).expect("vpc id")
    }

    /// DNS hostnames on, as most VPCs have it (and as endpoints with private DNS need).
    /// Also an emulator gap: moto's RunTask fails in a VPC without it.
    pub async fn enable_dns_hostnames(&self, vpc: &str) {
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(vpc)
            .enable_dns_hostnames(
                aws_sdk_ec2::types::AttributeBooleanValue::builder()
                    .value(true)
                    .build(),
            )
            .send()
            .await
            .expect("ModifyVpcAttribute");
    }

    pub async fn subnet(&self, vpc: &str, cidr: &str, az: char, name: &str) -> String {
        let out = self
            .ec2
            .create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .availability_zone(self.az(az))
            .tag_specifications(name_tags(ResourceType::Subnet, name))
            .send()
            .await
            .expect("CreateSubnet");
        out.subnet.and_then(|s| s.subnet_id).expect("subnet id")
    }

    pub async fn internet_gateway(&self, vpc: &str) -> String {
        let igw = self
            .ec2
            .create_internet_gateway()
            .send()
            .await
            .expect("CreateInternetGateway")
            .internet_gateway
            .and_then(|g| g.internet_gateway_id)
            .expect("igw id");
        self.ec2
            .attach_internet_gateway()
            .internet_gateway_id(&igw)
            .vpc_id(vpc)
            .send()
            .await
            .expect("AttachInternetGateway");
        igw
    }

    pub async fn detach_internet_gateway(&self, igw: &str, vpc: &str) {
        self.ec2
            .detach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc)
            .send()
            .await
            .expect("DetachInternetGateway");
    }

    pub async fn main_route_table(&self, vpc: &str) -> String {
        let out = self
            .ec2
            .describe_route_tables()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(vpc)
                    .build(),
            )
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("association.main")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .expect("DescribeRouteTables");
        out.route_tables()
            .first()
            .and_then(|t| t.route_table_id.clone())
            .expect("every VPC has a main route table")
    }

    /// A new route table, explicitly associated with the given subnets.
    pub async fn route_table(&self, vpc: &str, subnets: &[&str]) -> String {
        let rtb = self
            .ec2
            .create_route_table()
            .vpc_id(vpc)
            .send()
            .await
            .expect("CreateRouteTable")
            .route_table
            .and_then(|t| t.route_table_id)
            .expect("route table id");
        for subnet in subnets {
            self.ec2
                .associate_route_table()
                .route_table_id(&rtb)
                .subnet_id(*subnet)
                .send()
                .await
                .expect("AssociateRouteTable");
        }
        rtb
    }

    pub async fn default_route_to_gateway(&self, rtb: &str, igw: &str) {
        self.ec2
            .create_route()
            .route_table_id(rtb)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(igw)
            .send()
            .await
            .expect("CreateRoute to internet gateway");
    }

    pub async fn default_route_to_nat(&self, rtb: &str, nat: &str) {
        self.ec2
            .create_route()
            .route_table_id(rtb)
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id(nat)
            .send()
            .await
            .expect("CreateRoute to NAT gateway");
    }

    /// A NAT gateway with a new Elastic IP, in `public_subnet`.
    pub async fn nat_gateway(&self, public_subnet: &str) -> String {
        let allocation = self
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .send()
            .await
            .expect("AllocateAddress")
            .allocation_id
            .expect("allocation id");
        self.ec2
            .create_nat_gateway()
            .subnet_id(public_subnet)
            .allocation_id(allocation)
            .send()
            .await
            .expect("CreateNatGateway")
            .nat_gateway
            .and_then(|n| n.nat_gateway_id)
            .expect("nat id")
    }

    pub async fn delete_nat_gateway(&self, nat: &str) {
        self.ec2
            .delete_nat_gateway()
            .nat_gateway_id(nat)
            .send()
            .await
            .expect("DeleteNatGateway");
    }

    pub async fn interface_endpoint(&self, vpc: &str, service: &str, subnets: &[&str]) -> String {
        self.ec2
            .create_vpc_endpoint()
            .vpc_id(vpc)
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .service_name(format!("com.amazonaws.{}.{service}", self.region))
            .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
            .private_dns_enabled(true)
            .send()
            .await
            .expect("CreateVpcEndpoint (interface)")
            .vpc_endpoint
            .and_then(|e| e.vpc_endpoint_id)
            .expect("endpoint id")
    }

    pub async fn s3_gateway_endpoint(&self, vpc: &str, route_tables: &[&str]) -> String {
        self.ec2
            .create_vpc_endpoint()
            .vpc_id(vpc)
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .service_name(format!("com.amazonaws.{}.s3", self.region))
            .set_route_table_ids(Some(route_tables.iter().map(|s| s.to_string()).collect()))
            .send()
            .await
            .expect("CreateVpcEndpoint (gateway)")
            .vpc_endpoint
            .and_then(|e| e.vpc_endpoint_id)
            .expect("endpoint id")
    }

    /// Every endpoint a worker needs without internet access, except `skip`.
    pub async fn worker_endpoints(
        &self,
        vpc: &str,
        subnets: &[&str],
        rtbs: &[&str],
        skip: Option<&str>,
    ) {
        for service in prefect_tui::network::REQUIRED_INTERFACE_SERVICES {
            if Some(service) != skip {
                self.interface_endpoint(vpc, service, subnets).await;
            }
        }
        if skip != Some("s3") {
            self.s3_gateway_endpoint(vpc, rtbs).await;
        }
    }
}
