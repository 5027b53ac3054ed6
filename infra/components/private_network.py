"""PrivateNetwork: a VPC for imaging workloads with private subnets only (no internet
gateway route), an S3 gateway endpoint whose policy allows only the archive buckets, a KMS
interface endpoint, flow logs to an encrypted log group and a default security group with
no rules."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ._iam import service_role

from .phi_key import PhiKey, PhiKeyArgs


@dataclass
class PrivateNetworkArgs:
    allowed_bucket_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    log_kms_key_arn: Optional[pulumi.Input[str]] = None  # flow log group key; default: a new PhiKey
    region: Optional[str] = None  # default: the stack's aws:region
    cidr_block: str = "10.20.0.0/16"
    availability_zones: Sequence[str] = ("a", "b")  # suffixes of the region
    flow_log_retention_days: int = 2192
    # weakenings (explicit only)
    flow_logs: bool = True
    internet_gateway: bool = False  # adds an IGW and a 0.0.0.0/0 route
    restrict_s3_endpoint: bool = True


def endpoint_policy(bucket_arns: list) -> str:
    """Allow the archive buckets only; with none named, deny everything."""
    resources = [r for a in bucket_arns for r in (a, f"{a}/*")]
    if not resources:
        statement = {"Sid": "NoBucketsNamed", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    else:
        statement = {
            "Sid": "ArchiveBucketsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": resources,
        }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


class PrivateNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list]

    def __init__(
        self, name: str, args: Optional[PrivateNetworkArgs] = None, opts: Optional[pulumi.ResourceOptions] = None
    ):
        super().__init__("enamel:imaging:PrivateNetwork", name, None, opts)
        args = args or PrivateNetworkArgs()
        child = pulumi.ResourceOptions(parent=self)
        region = args.region or pulumi.Config("aws").get("region") or "us-east-1"
        tags = {"data_class": "phi"}
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags,
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], tags=tags, opts=child)
        nets = list(ipaddress.ip_network(args.cidr_block).subnets(new_prefix=20))
        route_table = aws.ec2.RouteTable(f"{name}-private-rt", vpc_id=vpc.id, tags=tags, opts=child)
        subnets = []
        for i, az in enumerate(args.availability_zones):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{az}",
                vpc_id=vpc.id,
                cidr_block=str(nets[i]),
                availability_zone=f"{region}{az}",
                map_public_ip_on_launch=False,
                tags=tags,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{az}-rt", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            subnets.append(subnet)
        if args.internet_gateway:
            igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
            aws.ec2.Route(
                f"{name}-internet-route",
                route_table_id=route_table.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=igw.id,
                opts=child,
            )
        policy = None
        if args.restrict_s3_endpoint:
            policy = pulumi.Output.all(*args.allowed_bucket_arns).apply(lambda arns: endpoint_policy(list(arns)))
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            policy=policy,
            tags=tags,
            opts=child,
        )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS to interface endpoints from the VPC",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.cidr_block],
                    description="HTTPS from VPC",
                )
            ],
            egress=[],
            tags=tags,
            opts=child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-kms-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.kms",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=[s.id for s in subnets],
            security_group_ids=[endpoint_sg.id],
            tags=tags,
            opts=child,
        )
        if args.flow_logs:
            log_key = args.log_kms_key_arn
            if log_key is None:
                log_key = PhiKey(
                    f"{name}-flow-logs-key",
                    PhiKeyArgs(
                        data_class="logs",
                        description="Flow log encryption key",
                        service_principals=[f"logs.{region}.amazonaws.com"],
                    ),
                    opts=child,
                ).arn
            group = aws.cloudwatch.LogGroup(
                f"{name}-flow-logs",
                retention_in_days=args.flow_log_retention_days,
                kms_key_id=log_key,
                tags={"data_class": "logs"},
                opts=child,
            )
            role = service_role(f"{name}-flow-logs-role", "vpc-flow-logs.amazonaws.com", self)
            aws.iam.RolePolicy(
                f"{name}-flow-logs-policy",
                role=role.id,
                opts=child,
                policy=group.arn.apply(
                    lambda arn: json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                    "Resource": f"{arn}:*",
                                }
                            ],
                        }
                    )
                ),
            )
            aws.ec2.FlowLog(
                f"{name}-flow-log",
                vpc_id=vpc.id,
                traffic_type="ALL",
                log_destination_type="cloud-watch-logs",
                log_destination=group.arn,
                iam_role_arn=role.arn,
                tags={"data_class": "logs"},
                opts=child,
            )
        self.vpc_id = vpc.id
        self.subnet_ids = pulumi.Output.all(*[s.id for s in subnets])
        self.register_outputs({"vpc_id": self.vpc_id})
