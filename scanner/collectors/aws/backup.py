"""AWS Backup: vaults with their lock (aws.backup_vault) and plans (aws.backup_plan)."""
from __future__ import annotations

from .base import Out, paginate, read, resource

SERVICE = "backup"
GLOBAL = False
TYPES = ("aws.backup_vault", "aws.backup_plan")
ACTIONS = ("backup:ListBackupVaults", "backup:ListBackupPlans", "backup:GetBackupPlan",
           "backup:ListBackupSelections", "backup:GetBackupSelection")
CONDITIONAL = {"backup:GetBackupSelection": "only for plans that have selections"}


def collect(aws, region, regions) -> Out:
    out = Out()
    bk = aws.client("backup", region)
    try:
        for v in paginate(bk, "list_backup_vaults", "BackupVaultList"):
            props = {"arn": v["BackupVaultArn"], "kms_key_id": v.get("EncryptionKeyArn"),
                     "locked": bool(v.get("Locked")), "min_retention_days": v.get("MinRetentionDays"),
                     "max_retention_days": v.get("MaxRetentionDays")}
            out.resources.append(resource(aws, "aws.backup_vault", v["BackupVaultArn"], v["BackupVaultName"],
                                          props, region))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, ("aws.backup_vault",), exc)
    try:
        plans = list(paginate(bk, "list_backup_plans", "BackupPlansList"))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, ("aws.backup_plan",), exc)
        return out
    for p in plans:
        pid = p["BackupPlanId"]
        rules = read(lambda: plan_rules(bk.get_backup_plan(BackupPlanId=pid)["BackupPlan"], region))
        selected = read(lambda: sorted({arn for s in paginate(bk, "list_backup_selections", "BackupSelectionsList",
                                                              BackupPlanId=pid)
                                        for arn in bk.get_backup_selection(BackupPlanId=pid, SelectionId=s["SelectionId"])
                                        ["BackupSelection"].get("Resources", [])}))
        props = {"arn": p["BackupPlanArn"], "rules": rules, "selected_resources": selected}
        out.resources.append(resource(aws, "aws.backup_plan", p["BackupPlanArn"], p.get("BackupPlanName", pid),
                                      props, region))
    return out


def plan_rules(plan: dict, region: str) -> list[dict]:
    out = []
    for r in plan.get("Rules") or []:
        copies = [c.get("DestinationBackupVaultArn", "") for c in r.get("CopyActions") or []]
        out.append({"name": r.get("RuleName"), "schedule": r.get("ScheduleExpression"),
                    "delete_after_days": (r.get("Lifecycle") or {}).get("DeleteAfterDays"),
                    "target_vault": r.get("TargetBackupVaultName"),
                    "copy_to_other_region": any(c.split(":")[3:4] != [region] for c in copies if c.count(":") > 3)})
    return out
