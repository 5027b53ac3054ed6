"""AWS Backup: vaults with their lock (aws.backup_vault) and plans (aws.backup_plan)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.backup_plan import frequency_hours

SERVICE = "backup"
GLOBAL = False
TYPES = ("aws.backup_vault", "aws.backup_plan")
ACTIONS = (
    "backup:ListBackupVaults",
    "backup:ListBackupPlans",
    "backup:GetBackupPlan",
    "backup:ListBackupSelections",
    "backup:GetBackupSelection",
)
CONDITIONAL = {"backup:GetBackupSelection": "only for plans that have selections"}


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
    return out


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
