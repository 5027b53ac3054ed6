"""aws.backup_coverage: which EBS volumes, EC2 instances, RDS instances, Aurora clusters and EFS
file systems of a region no backup plan selects, as the union over every plan's selections
(a resource is covered when any selection of any plan picks it).

A selection (GetBackupSelection's BackupSelection) picks a resource when its `Resources` ARN
patterns or any of its `ListOfTags` match, every `Conditions` entry holds, and no
`NotResources` pattern matches (AWS Backup's documented semantics; `*` is a wildcard)."""

from __future__ import annotations

from fnmatch import fnmatchcase


def _tag_cond(op: str, tags: dict, key: str, value: str) -> bool:
    k = key.split("aws:ResourceTag/", 1)[-1]
    v = tags.get(k)
    if op == "StringEquals":
        return v == value
    if op == "StringNotEquals":
        return v != value
    if op == "StringLike":
        return v is not None and fnmatchcase(v, value)
    if op == "StringNotLike":
        return v is None or not fnmatchcase(v, value)
    raise ValueError(f"unknown backup selection condition {op}")


def selects(selection: dict, arn: str, tags: dict) -> bool:
    by_arn = any(fnmatchcase(arn, p) for p in selection.get("Resources") or [])
    by_tag = any(
        t.get("ConditionType", "STRINGEQUALS") == "STRINGEQUALS"
        and tags.get(t.get("ConditionKey")) == t.get("ConditionValue")
        for t in selection.get("ListOfTags") or []
    )
    if not (by_arn or by_tag):
        return False
    for op, conds in (selection.get("Conditions") or {}).items():
        for c in conds or []:
            if not _tag_cond(op, tags, c.get("ConditionKey", ""), c.get("ConditionValue", "")):
                return False
    return not any(fnmatchcase(arn, p) for p in selection.get("NotResources") or [])


def coverage_props(plans: int, selections: list[dict], resources: dict) -> dict:
    """`resources`: {kind: [(arn, name, tags)]} for kind in ebs_volumes, ec2_instances, rds_instances,
    rds_clusters, efs_file_systems -> {"plans": n, "uncovered_<kind>": [names]}."""
    out = {"plans": plans}
    for kind, items in resources.items():
        out[f"uncovered_{kind}"] = sorted(
            name for arn, name, tags in items if not any(selects(s, arn, tags) for s in selections)
        )
    return out
