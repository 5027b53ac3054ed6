"""EC2 instances (aws.ec2_instance, regional): public addresses, IMDSv2, instance profile,
age and stop date, and Systems Manager management and patch/association compliance."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource, tag_dict
from enamel_hipaa.sources.normalise.aws.ec2_instance import instance_props

SERVICE = "ec2-instances"
GLOBAL = False
TYPES = ("aws.ec2_instance",)
ACTIONS = ("ec2:DescribeInstances", "ssm:DescribeInstanceInformation", "ssm:ListResourceComplianceSummaries")
CONDITIONAL = {
    "ssm:DescribeInstanceInformation": "only when an EC2 instance exists",
    "ssm:ListResourceComplianceSummaries": "only when an EC2 instance exists",
}
GONE = ("terminated", "shutting-down")


def collect(aws, region, regions) -> Out:
    out = Out()
    found = listed(
        out,
        aws,
        SERVICE,
        region,
        TYPES,
        lambda: (
            i
            for r in paginate(aws.client("ec2", region), "describe_instances", "Reservations")
            for i in r.get("Instances") or []
        ),
    )
    instances = [i for i in found or [] if (i.get("State") or {}).get("Name") not in GONE]
    if not instances:
        return out
    ssm = read(lambda: ssm_state(aws.client("ssm", region)))
    for i in instances:
        arn = f"arn:aws:ec2:{region}:{aws.account}:instance/{i['InstanceId']}"
        tags = tag_dict(i.get("Tags"))
        out.resources.append(
            resource(
                aws,
                "aws.ec2_instance",
                arn,
                tags.get("Name") or i["InstanceId"],
                instance_props(arn, i, tags, ssm),
                region,
            )
        )
    return out


def ssm_state(ssm) -> dict:
    """{instance id: {"online", "patch", "association"}} for the instances SSM manages."""
    out = {
        i["InstanceId"]: {"online": i.get("PingStatus") == "Online", "patch": None, "association": None}
        for i in paginate(ssm, "describe_instance_information", "InstanceInformationList")
    }
    for c in paginate(
        ssm,
        "list_resource_compliance_summaries",
        "ResourceComplianceSummaryItems",
        Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"], "Type": "EQUAL"}],
    ):
        kind = {"Patch": "patch", "Association": "association"}.get(c.get("ComplianceType"))
        if kind and c.get("ResourceId") in out:
            out[c["ResourceId"]][kind] = c.get("Status")
    return out
