"""Issue 4 acceptance: the Pulumi plan of infra/ (under mocks) and the live scan of a moto
account shaped like infra/ (awsstack.provision_infra_stack) produce the same property keys
for every resource type both emit, compared key path by key path (recursively, the items of
a list merged), and the same HIPAA-relevant values for the imaging archive bucket.

A key one source cannot know is listed in PLAN_CANNOT_KNOW / LIVE_CANNOT_KNOW with the
reason; everything else must match."""

import pytest

pytest.importorskip("moto")
pytest.importorskip("pulumi_aws")

import awsstack as stack  # noqa: E402
from enamel_hipaa.core import paths
from enamel_hipaa.sources.aws.runner import scan
from enamel_hipaa.sources.pulumi.collector import plan_program
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY

SHARED = (
    "aws.s3_bucket",
    "aws.kms_key",
    "aws.cloudtrail_trail",
    "aws.cloudwatch_log_group",
    "aws.iam_account",
    "aws.ec2_security_group",
    "aws.vpc",
    "aws.backup_vault",
    "aws.backup_plan",
    "aws.ec2_region",
    "aws.s3_account",
    "aws.iam_role",
)
ACCOUNT_LEVEL = ("aws.iam_account", "aws.s3_account", "aws.ec2_region")  # one per account/region, not named
# (type, key path prefix) -> why that source cannot know it
PLAN_CANNOT_KNOW = {
    ("aws.iam_account", "root"): "the root user is no Pulumi resource: a plan never knows its MFA, keys or "
    "last login (iam-root-mfa is scoped to sources that report `root`)",
}
LIVE_CANNOT_KNOW: dict = {}
# The archive bucket's HIPAA-relevant values, which both sources know (names, ids and ARNs differ by design)
ARCHIVE_VALUES = (
    "tags.data_class",
    "encryption.sse_algorithm",
    "encryption.kms_key_managed_by",
    "encryption.bucket_key_enabled",
    "versioning.status",
    "versioning.mfa_delete",
    "object_lock.enabled",
    "object_lock.mode",
    "object_lock.retention_days",
    "public_access_block.block_public_acls",
    "public_access_block.ignore_public_acls",
    "public_access_block.block_public_policy",
    "public_access_block.restrict_public_buckets",
    "ownership.object_ownership",
    "acl.public_grants",
    "policy.present",
    "policy.denies_insecure_transport",
    "policy.min_tls_version",
    "policy.allows_public",
    "policy.cross_account_principals",
    "logging.enabled",
    "lifecycle.enabled",
    "lifecycle.archive_transition",
    "replication.enabled",
)


def key_paths(value, prefix: str = "") -> set[str]:
    """Dotted key paths of a properties value; `[]` marks list items (all items merged).
    `tags` is a leaf (its keys are data), and so is an $unknown/$error marker (the key is
    reported, its value could not be)."""
    out: set[str] = set()
    if isinstance(value, dict) and UNKNOWN_KEY not in value and ERROR_KEY not in value:
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            if path != "tags":
                out |= key_paths(v, path)
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, prefix + "[]")
    return out


def _allowed(type_: str, path: str, table: dict) -> bool:
    return any(t == type_ and (path == p or path.startswith(p + ".")) for t, p in table)


def _get(props: dict, dotted: str):
    for part in dotted.split("."):
        props = props.get(part) if isinstance(props, dict) else None
    return props


@pytest.fixture(scope="module")
def sides(moto_account):
    plan = plan_program(str(paths.infra_dir()))
    made = stack.provision_infra_stack(stack.session(), stack.ACCOUNT_A)
    live, _ = scan(regions=f"{stack.HOME},{stack.REPLICA}")
    names = set().union(*made.values())
    # moto's own default VPC and its security group are not part of the stack
    live_res = [r for r in live.resources if r.name in names or r.type in ACCOUNT_LEVEL]
    return {"plan": plan.resources, "live": live_res, "live_errors": live.errors}


def _paths_by_type(resources) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in resources:
        out.setdefault(r.type, set()).update(key_paths(r.properties))
    return out


def test_pass_both_sources_emit_every_shared_type(sides):
    assert sides["live_errors"] == []
    plan, live = _paths_by_type(sides["plan"]), _paths_by_type(sides["live"])
    assert [t for t in SHARED if t not in plan] == [] and [t for t in SHARED if t not in live] == []


@pytest.mark.parametrize("type_", SHARED)
def test_pass_plan_and_live_report_the_same_keys(sides, type_):
    plan = _paths_by_type(sides["plan"]).get(type_, set())
    live = _paths_by_type(sides["live"]).get(type_, set())
    assert plan and live, (type_, "emitted by only one source")
    only_plan = sorted(p for p in plan - live if not _allowed(type_, p, LIVE_CANNOT_KNOW))
    only_live = sorted(p for p in live - plan if not _allowed(type_, p, PLAN_CANNOT_KNOW))
    assert (only_plan, only_live) == ([], []), f"{type_}: only in the plan {only_plan}; only live {only_live}"


def test_pass_allow_lists_name_keys_that_really_differ(sides):
    """Each allow-list entry still excuses a real difference (a stale entry would hide one)."""
    plan, live = _paths_by_type(sides["plan"]), _paths_by_type(sides["live"])
    for (type_, prefix), why in PLAN_CANNOT_KNOW.items():
        assert prefix in live[type_] and prefix not in plan[type_], (type_, prefix, why)
    for (type_, prefix), why in LIVE_CANNOT_KNOW.items():
        assert prefix in plan[type_] and prefix not in live[type_], (type_, prefix, why)


def _archive(resources):
    """The primary-region PHI bucket that replicates (the archive, not its log buckets)."""
    found = [
        r
        for r in resources
        if r.type == "aws.s3_bucket" and r.region == stack.HOME and r.properties["tags"].get("data_class") == "phi"
    ]
    assert len(found) == 1, [r.name for r in found]
    return found[0].properties


def test_pass_archive_bucket_hipaa_values_match(sides):
    plan, live = _archive(sides["plan"]), _archive(sides["live"])
    differ = {k: (_get(plan, k), _get(live, k)) for k in ARCHIVE_VALUES if _get(plan, k) != _get(live, k)}
    assert differ == {}, differ
    assert [k for k in ARCHIVE_VALUES if _get(live, k) is None] == []  # never equal by both missing
    pd, ld = plan["replication"]["destinations"], live["replication"]["destinations"]

    def where_to(dests):
        return [(d["region"], d["storage_class"], d["account"]) for d in dests]

    assert where_to(pd) == where_to(ld) == [(stack.REPLICA, "STANDARD_IA", stack.ACCOUNT_A)]


def test_pass_network_role_and_backup_values_match(sides):
    """The rule-relevant values of infra/'s single VPC, staff role and backup plan."""

    def one(resources, type_, where):
        found = [r.properties for r in resources if r.type == type_ and where(r.properties)]
        assert len(found) == 1, (type_, len(found))
        return found[0]

    checks = (
        (
            "aws.vpc",
            lambda p: p["tags"].get("data_class") == "phi",
            ("s3_endpoint_policy_allows_all", "public_subnet_routes", "internet_gateway_attached", "flow_logs_enabled"),
        ),
        (
            "aws.iam_role",
            lambda p: p["tags"].get("access") == "human",
            ("requires_mfa", "trusted_accounts", "requires_external_id"),
        ),
        ("aws.backup_plan", lambda p: True, ("rules",)),
    )
    for type_, where, keys in checks:
        plan, live = one(sides["plan"], type_, where), one(sides["live"], type_, where)
        for k in keys:
            pv, lv = plan[k], live[k]
            if type_ == "aws.backup_plan":  # vault names differ by design (Pulumi auto-names)
                pv = [{**r, "target_vault": None} for r in pv]
                lv = [{**r, "target_vault": None} for r in lv]
            assert pv == lv, (type_, k, pv, lv)


# The twin's resources by the role they play in infra/: twin name (prefix "pass", account A)
# -> the planned resource's logical name (Pulumi appends a random suffix to auto-named ones).
# Security groups and IAM roles are left out: the twin's carry no data_class tags and
# IAM role names are compared by test_pass_network_role_and_backup_values_match instead.
def _twin_roles(account: str = stack.ACCOUNT_A) -> dict[str, str]:
    return {
        f"pass-access-logs-{account}": "xray-access-logs",
        f"pass-access-logs-replica-{account}": "xray-replica-access-logs",
        f"pass-xray-archive-{account}": "xray-images",
        f"pass-xray-archive-replica-{account}": "xray-replica-images",
        f"pass-cloudtrail-{account}": "audit-trail-logs",
        "alias/pass-archive": "alias/imaging-phi",
        "alias/pass-archive-replica": "alias/xray-replica-key",
        "alias/pass-audit-key": "alias/audit-key",
        "alias/pass-dr-backup-key": "alias/baseline-dr-backup-key",
        "pass-audit-trail": "audit-trail",
        "/pass/audit": "audit-log-group",
        "/pass/vpc-flow": "imaging-flow-logs",
        "pass-imaging-vpc": "imaging-vpc",
        "pass-backup-vault": "baseline-vault",
        "pass-dr-backup-vault": "baseline-dr-vault",
        "pass-backup-plan": "baseline-plan",
    }


def _planned_mate(r, plan, roles: dict):
    """The planned resource playing the live resource `r`'s role: by the twin's role table
    (logical name, optionally with Pulumi's 8-hex suffix) or, for an account-level type, the
    one of its type and region. Never by order: None when there is no single mate."""
    import re

    if r.type not in SHARED:  # a type only the live scan produces (e.g. Macie's view of a bucket)
        return None
    if r.type in ACCOUNT_LEVEL:
        found = [p for p in plan if p.type == r.type and p.region == r.region]
    elif r.name in roles:
        pattern = re.compile(re.escape(roles[r.name]) + r"(-[0-9a-f]{8})?")
        found = [p for p in plan if p.type == r.type and p.region == r.region and pattern.fullmatch(p.name)]
    else:
        return None
    assert len(found) == 1, (r.type, r.name, [p.name for p in found])
    return found[0]


def _twin_as_planned(plan, live):
    """The live twin re-identified as the plan's resources: the twin names things its own way
    (pass-xray-archive-<account>, ...) where Pulumi auto-names them, so each live resource
    takes the id and name of the planned resource playing the same role (`_twin_roles`, one
    mate each, same type and region; account-level resources by type and region), and its
    references to twin resources (bucket names, key and vault ARNs, role ARNs) are
    rewritten to the paired planned resource's. Nothing else changes: every other value
    compared is the live collector's."""
    from dataclasses import replace

    roles = _twin_roles()
    pairs, names = [], {}
    for r in live:
        p = _planned_mate(r, plan, roles)
        if p is not None:
            pairs.append((r, p))
            for old, new in ((r.id, p.id), (r.name, p.name), (r.properties.get("arn"), p.properties.get("arn"))):
                if isinstance(old, str) and isinstance(new, str) and len(old) > 12:
                    names[old] = new
    # the twin's key administrator and key user roles stand for the ones infra/'s dev stack
    # configures (keyAdmins, keyUsers in infra/stacks/Pulumi.dev.yaml)
    own = f"arn:aws:iam::{stack.ACCOUNT_A}:role/"
    names.update({own + "pass-key-admin": own + "ImagingKeyAdmin", own + "pass-archive-writer": own + "ImagingPacs"})
    assert len({id(p) for _, p in pairs}) == len(pairs), "two twin resources claim one planned resource"
    assert {n for n in roles} <= {r.name for r, _ in pairs}, sorted(set(roles) - {r.name for r, _ in pairs})
    order = sorted(names, key=len, reverse=True)

    def rename(v):
        if isinstance(v, dict):
            return {k: rename(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rename(x) for x in v]
        if isinstance(v, str):
            if v in names:
                return names[v]
            for old in order:
                if old in v:
                    v = v.replace(old, names[old])
        return v

    return [replace(r, id=p.id, name=p.name, account=p.account, properties=rename(r.properties)) for r, p in pairs]


# (type, planned name prefix, key prefix) -> where awsstack's twin is not (yet) infra/: these
# differences would be the twin's, not the normalisers' (each entry must still excuse one).
# Empty: the twin builds every key, bucket, log group and trail infra/ declares.
TWIN_DIFFERS: dict = {}


def _twin_differs(type_, name, key):
    return [k for k in TWIN_DIFFERS if k[0] == type_ and name.startswith(k[1]) and key.startswith(k[2])]


def test_pass_drift_desired_of_infra_against_its_moto_twin_reports_no_differences(sides, ruleset):
    """No HIPAA-relevant key differs between infra/'s plan and its live twin, except where the
    twin itself is not infra/ (TWIN_DIFFERS, each still needed). Before the shared normalisers,
    infra/'s SSE-S3 log buckets differed here (kms_key_managed_by none vs aws)."""
    from enamel_hipaa.workflows import drift

    plan = [r for r in sides["plan"] if r.type in SHARED]
    twin = _twin_as_planned(plan, sides["live"])
    doc = drift.plan_drift(plan + twin, ruleset.rules)
    differs = [
        (p["resource"]["type"], p["resource"]["name"], p["key"], p["desired"], p["actual"])
        for p in doc["properties"]
        if p["status"] == "differs"
    ]
    unexplained = [d for d in differs if not _twin_differs(*d[:3])]
    assert unexplained == [], "\n".join(map(repr, unexplained))
    used = {k for d in differs for k in _twin_differs(*d[:3])}
    assert sorted(set(TWIN_DIFFERS) - used) == []  # a stale entry would hide a difference
    # the comparison really happened: the shared types were matched and HIPAA keys compared
    # (the twin's roles and security groups carry no tags to pair them with infra/'s by)
    assert {m["desired"]["type"] for m in doc["matched"]} >= set(SHARED) - {"aws.iam_role", "aws.ec2_security_group"}
    assert doc["summary"]["matched"] >= 18, doc["summary"]
