"""OCSF output: one Compliance Finding event (class 2003, category Findings) per evaluated
check, as a JSON array (the form Prowler, Security Lake and SIEM pipelines ingest).

Status mapping, fail closed: pass -> compliance Pass (1); fail -> Fail (3); unknown ->
Warning (2, "did not yield a result due to missing information"); error -> Unknown (0, the
source failed); a waived failure stays Fail with the finding's status Suppressed. Checks out
of scope (skip) are left out. Tenant -> metadata.tenant_uid; scan id -> metadata.correlation_uid."""

from __future__ import annotations

import json
from datetime import datetime

from enamel_hipaa.core.report import finding_key

OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
COMPLIANCE_STATUS = {
    "pass": (1, "Pass"),
    "fail": (3, "Fail"),
    "waived": (3, "Fail"),
    "unknown": (2, "Warning"),
    "error": (0, "Unknown"),
}
FINDING_STATUS = {"waived": (3, "Suppressed")}  # else New (1)
STANDARD = "HIPAA Security Rule (45 CFR Part 164 Subpart C)"
CLOUD = {"aws": "AWS", "azure": "Azure"}
ACCOUNT_TYPE = {"AWS": (10, "AWS Account"), "Azure": (99, "Azure Subscription")}  # Other (99) + its name


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def event(f: dict, report: dict, ctx) -> dict:
    scan, tool, r = report["scan"], report["tool"], f["resource"]
    cstatus_id, cstatus = COMPLIANCE_STATUS[f["status"]]
    fstatus_id, fstatus = FINDING_STATUS.get(f["status"], (1, "New"))
    uid = finding_key(f)
    t = _ms(scan["finished_at"])
    provider = CLOUD.get(str(r.get("type", "")).split(".")[0])
    ev = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": t,
        "severity_id": SEVERITY_ID[f["severity"]],
        "severity": f["severity"].capitalize(),
        "status_id": fstatus_id,
        "status": fstatus,
        "status_code": f["status"],
        "message": f["message"],
        "metadata": {
            "version": OCSF_VERSION,
            "uid": uid,
            "correlation_uid": scan["id"],
            "product": {"name": "Enamel", "vendor_name": "Enamel", "version": tool["version"]},
            **({"tenant_uid": scan["tenant"]} if scan.get("tenant") else {}),
        },
        "finding_info": {
            "uid": uid,
            "title": f["title"],
            "desc": f["message"],
            "types": ["HIPAA"],
            "created_time": t,
            "data_sources": [r.get("source") or "unknown"],
        },
        "compliance": {
            "standards": [STANDARD],
            "requirements": list(f["hipaa"]),
            "control": f["rule_id"],
            "status_id": cstatus_id,
            "status": cstatus,
            "status_code": f["status"],
            "desc": f["title"],
        },
        "resources": [
            {
                "uid": r.get("id"),
                "name": r.get("name") or r.get("id"),
                "type": r.get("type"),
                **({"region": r["region"]} if r.get("region") else {}),
                **({"cloud_partition": "aws"} if provider == "AWS" else {}),
                "data": {"evidence": f.get("evidence") or {}},
            }
        ],
        "remediation": {"desc": f["remediation"]},
        "unmapped": {
            "enamel": {
                "status": f["status"],
                "source": r.get("source"),
                "waiver": f.get("waiver"),
                "location": f.get("location"),
            }
        },
    }
    if provider:  # the OCSF "cloud" profile: declared in metadata.profiles
        ev["metadata"]["profiles"] = ["cloud"]
        ev["cloud"] = {
            "provider": provider,
            **({"region": r["region"]} if r.get("region") else {}),
            **({"account": _account(provider, r["account"])} if r.get("account") else {}),
        }
    return ev


def _account(provider: str, uid: str) -> dict:
    type_id, name = ACCOUNT_TYPE[provider]
    return {"uid": uid, "name": uid, "type_id": type_id, "type": name}


def render(report: dict, ctx) -> str:
    events = [event(f, report, ctx) for f in report["findings"] if f["status"] != "skip"]
    return json.dumps(events, indent=1, default=str) + "\n"
