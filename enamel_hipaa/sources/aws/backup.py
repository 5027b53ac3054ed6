"""AWS Backup: vaults with their lock (aws.backup_vault), plans (aws.backup_plan), and per
region the restore testing (aws.backup_restore_testing): restore-testing plans with what their
selections cover, and the restore jobs of the last RESTORE_LOOKBACK_DAYS that completed (and
did not fail validation), by source resource. workflows/crosscheck.py lets such a job stand
for the register's restore test of the PHI system it covers."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.backup_plan import frequency_hours

SERVICE = "backup"
GLOBAL = False
TYPES = ("aws.backup_vault", "aws.backup_plan", "aws.backup_restore_testing")
ACTIONS = (
    "backup:ListBackupVaults",
    "backup:ListBackupPlans",
    "backup:GetBackupPlan",
    "backup:ListBackupSelections",
    "backup:GetBackupSelection",
    "backup:ListRestoreTestingPlans",
    "backup:ListRestoreTestingSelections",
    "backup:GetRestoreTestingSelection",
    "backup:ListRestoreJobs",
)
CONDITIONAL = {
    "backup:GetBackupSelection": "only for plans that have selections",
    "backup:ListRestoreTestingSelections": "only when restore-testing plans exist",
    "backup:GetRestoreTestingSelection": "only for restore-testing plans that have selections",
}
RESTORE_LOOKBACK_DAYS = 400
FAILED_VALIDATION = {"FAILED", "TIMED_OUT"}


def collect(aws, region, regions) -> Out:
    out = Out()
    bk = aws.client("backup", region)
    vaults = listed(
        out, aws, SERVICE, region, ("aws.backup_vault",), lambda: paginate(bk, "list_backup_vaults", "BackupVaultList")
    )
    for v in vaults or []:
        props = {
            "arn": v["BackupVaultArn"],
            "kms_key_id": v.get("EncryptionKeyArn"),
            "locked": bool(v.get("Locked")),
            "min_retention_days": v.get("MinRetentionDays"),
            "max_retention_days": v.get("MaxRetentionDays"),
        }
        out.resources.append(
            resource(aws, "aws.backup_vault", v["BackupVaultArn"], v["BackupVaultName"], props, region)
        )
    plans = listed(
        out, aws, SERVICE, region, ("aws.backup_plan",), lambda: paginate(bk, "list_backup_plans", "BackupPlansList")
    )
    for p in plans or []:
        pid = p["BackupPlanId"]
        rules = read(lambda: plan_rules(bk.get_backup_plan(BackupPlanId=pid)["BackupPlan"], region))
        selected = read(
            lambda: sorted(
                {
                    arn
                    for s in paginate(bk, "list_backup_selections", "BackupSelectionsList", BackupPlanId=pid)
                    for arn in bk.get_backup_selection(BackupPlanId=pid, SelectionId=s["SelectionId"])[
                        "BackupSelection"
                    ].get("Resources", [])
                }
            )
        )
        props = {"arn": p["BackupPlanArn"], "rules": rules, "selected_resources": selected}
        out.resources.append(
            resource(aws, "aws.backup_plan", p["BackupPlanArn"], p.get("BackupPlanName", pid), props, region)
        )
    props = {"plans": read(lambda: restore_testing_plans(bk)), "restore_jobs": read(lambda: restore_jobs(bk))}
    rid = f"arn:aws:backup:{region}:{aws.account}:restore-testing"
    out.resources.append(resource(aws, "aws.backup_restore_testing", rid, f"restore testing {region}", props, region))
    return out


def restore_testing_plans(bk) -> list[dict]:
    plans = []
    for p in paginate(bk, "list_restore_testing_plans", "RestoreTestingPlans"):
        name = p["RestoreTestingPlanName"]
        selections = []
        for s in paginate(
            bk, "list_restore_testing_selections", "RestoreTestingSelections", RestoreTestingPlanName=name
        ):
            got = bk.get_restore_testing_selection(
                RestoreTestingPlanName=name, RestoreTestingSelectionName=s["RestoreTestingSelectionName"]
            )["RestoreTestingSelection"]
            selections.append(
                {
                    "name": got["RestoreTestingSelectionName"],
                    "resource_type": got["ProtectedResourceType"],
                    "resource_arns": sorted(got.get("ProtectedResourceArns") or []),
                    "by_conditions": bool(got.get("ProtectedResourceConditions")),
                }
            )
        last = p.get("LastExecutionTime")
        plans.append(
            {
                "name": name,
                "arn": p["RestoreTestingPlanArn"],
                "schedule": p.get("ScheduleExpression"),
                "last_execution": last.date().isoformat() if last else None,
                "selections": selections,
            }
        )
    return plans


def restore_jobs(bk) -> list[dict]:
    """Restore jobs of the look-back window that completed and did not fail validation."""
    import datetime as dt

    after = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=RESTORE_LOOKBACK_DAYS)
    out = []
    for j in paginate(bk, "list_restore_jobs", "RestoreJobs", ByCreatedAfter=after, ByStatus="COMPLETED"):
        done = j.get("CompletionDate")
        if j.get("Status") != "COMPLETED" or not done or j.get("ValidationStatus") in FAILED_VALIDATION:
            continue
        out.append(
            {
                "source_arn": j.get("SourceResourceArn"),
                "resource_type": j.get("ResourceType"),
                "completed": done.date().isoformat(),
                "by_plan": (j.get("CreatedBy") or {}).get("RestoreTestingPlanArn"),
                "validation": j.get("ValidationStatus"),
            }
        )
    return sorted(out, key=lambda j: (j["completed"], j["source_arn"] or ""))


def plan_rules(plan: dict, region: str) -> list[dict]:
    out = []
    for r in plan.get("Rules") or []:
        copies = [c.get("DestinationBackupVaultArn", "") for c in r.get("CopyActions") or []]
        out.append(
            {
                "name": r.get("RuleName"),
                "schedule": r.get("ScheduleExpression"),
                "frequency_hours": frequency_hours(r.get("ScheduleExpression")),
                "delete_after_days": (r.get("Lifecycle") or {}).get("DeleteAfterDays"),
                "target_vault": r.get("TargetBackupVaultName"),
                "copy_to_other_region": any(c.split(":")[3:4] != [region] for c in copies if c.count(":") > 3),
            }
        )
    return out
