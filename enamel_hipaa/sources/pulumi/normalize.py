"""Planned-resource records -> Resources of the shared aws.* types (rules/schema/types).

Pulumi type tokens are matched without their v6 "V2" suffix (aws:s3/bucketV2:BucketV2 and
pulumi-aws v7's aws:s3/bucket:Bucket read alike). S3 buckets are joined with their
separate encryption / versioning / public access block / ownership / ACL / policy /
logging / object lock / lifecycle / replication resources by bucket id (or, when the id is
not known yet, by the property dependency on the bucket's URN). A property built from a
value Pulumi could not know is itself {"$unknown": ...}; a sub-resource that cannot be
joined makes that property unknown on every bucket that lacks one, never a pass.

What the program does not declare gets AWS's documented default for a new resource
(SSE-S3 encryption, BucketOwnerEnforced, versioning off, no logging, ...), written out
explicitly so rules can fail on it.
"""

from __future__ import annotations

from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources.pulumi import azure, compute, network, s3, services
from enamel_hipaa.sources.pulumi.plan import Plan

BUILDERS = (
    lambda plan: s3.Buckets(plan).resources(),
    services.kms_keys,
    services.trails,
    services.log_groups,
    services.iam_account,
    services.s3_account,
    services.ec2_regions,
    network.security_groups,
    network.vpcs,
    services.backup,
    services.iam_roles,
    compute.ebs_volumes,
    compute.rds_instances,
    compute.listeners,
    compute.iam_users,
    azure.native,
    azure.classic,
)


def normalize(
    records: list[dict],
    source: str,
    account: str | None = None,
    region: str | None = None,
    urns: dict | None = None,
    root=None,
) -> list[Resource]:
    """`urns`, when given, is filled with (type, id) -> the URN each Resource came from.
    Resources get their `origin` (program file relative to `root`, default the working
    directory, and line) from the SDK's source positions, where the records carry them."""
    from enamel_hipaa.sources.pulumi.positions import with_origins

    plan = Plan(records, source, account, region)
    out: list[Resource] = []
    for build in BUILDERS:
        out.extend(build(plan))
    if urns is not None:
        urns.update(plan.urns)
    return with_origins(out, records, plan.urns, root)
