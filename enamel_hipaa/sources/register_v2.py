"""Register format 2 (issue 21): what a BAA contains, vendor due diligence, downtime,
physical safeguards, the training programme, sanctions, incidents, access-log spot checks,
encryption standards and secure messaging. Each section is optional in the file; a section
that is absent is *not recorded*, and every derived fact then reads false/None so the rule
checking it fails (fail closed). A version-1 register is migrated in memory by `migrate`.
"""

from __future__ import annotations

CURRENT_VERSION = 2
TRAINING_TOPICS = (
    "phi-handling",
    "imaging-workflows",
    "phishing",
    "incident-reporting",
    "identity-verification",
    "minimum-necessary",
    "no-local-copies",
)
DUTIES = ("acquisition", "diagnosis", "billing", "administration")
BAA_CLAUSES = (
    "permitted_uses",
    "required_safeguards",
    "right_to_audit",
    "data_return_on_termination",
    "destruction_procedure",
)


def migrate(data: dict) -> dict:
    """A register of any supported version as the current format (no field is invented: the
    sections version 1 lacked stay absent, i.e. not recorded)."""
    out = dict(data)
    out["format_version"] = data["version"]
    out["version"] = CURRENT_VERSION
    return out


def done_dates(data: dict):
    """(path, date) of the format-2 dates that record work done (checked against the future)."""
    for i, v in enumerate(data["vendors"]):
        dd = v.get("due_diligence") or {}
        for k in ("security_assessment", "backup_restore_validated", "dicom_export_tested", "insurance_reviewed"):
            if k in dd:
                yield ("vendors", i, "due_diligence", k), dd[k]
    for section, keys in (
        ("downtime", ("last_exercised",)),
        ("physical", ("facility_access_list_reviewed", "screen_placement_reviewed")),
        ("sanctions_policy", ("last_reviewed",)),
        ("access_log_spot_checks", ("last",)),
        ("duty_separation", ("last_reviewed",)),
    ):
        for k in keys:
            if k in (data.get(section) or {}):
                yield (section, k), data[section][k]
    inv = (data.get("physical") or {}).get("asset_inventory")
    if inv:
        yield ("physical", "asset_inventory", "last_reviewed"), inv["last_reviewed"]
    for i, t in enumerate(data["training"]):
        if "acknowledged" in t:
            yield ("training", i, "acknowledged"), t["acknowledged"]
    for i, e in enumerate(data.get("incidents") or []):
        yield ("incidents", i, "date"), e["date"]
        if "closed" in e:
            yield ("incidents", i, "closed"), e["closed"]


def vendor_facts(v: dict) -> dict:
    clauses = (v.get("baa") or {}).get("clauses")
    dd = v.get("due_diligence")
    c = clauses or {}
    d = dd or {}
    return {
        "baa_clauses": {
            "recorded": clauses is not None,
            **{k: c.get(k, False) is True for k in BAA_CLAUSES},
            "breach_notification_days": c.get("breach_notification_days"),
        },
        "due_diligence": {
            "recorded": dd is not None,
            "security_assessment": d.get("security_assessment"),
            "data_location": d.get("data_location"),
            "backup_restore_validated": d.get("backup_restore_validated"),
            "dicom_export_tested": d.get("dicom_export_tested"),
            "uptime_commitment_percent": d.get("uptime_commitment_percent"),
            "insurance_reviewed": d.get("insurance_reviewed"),
        },
    }


def _vendor_baa_current(reg: dict, name: str, today_iso: str) -> tuple[bool, bool]:
    for v in reg["vendors"]:
        if v["name"].casefold() == name.casefold():
            baa = v["baa"]
            until = baa and (baa.get("expires") or baa.get("review_by"))
            return True, bool(until and until >= today_iso)
    return False, False


def register_facts(reg: dict, today_iso: str) -> dict:
    enc = reg.get("encryption_standards") or {}
    msg = reg.get("secure_messaging")
    service = (msg or {}).get("service")
    listed, baa_ok = _vendor_baa_current(reg, service, today_iso) if service else (False, False)
    down = reg.get("downtime") or {}
    phys = reg.get("physical") or {}
    inv = phys.get("asset_inventory")
    assets = (inv or {}).get("assets", [])
    prog = reg.get("training_program")
    topics = (prog or {}).get("topics", [])
    sanctions = reg.get("sanctions_policy") or {}
    incidents = reg.get("incidents")
    spot = reg.get("access_log_spot_checks") or {}
    duties = reg.get("duty_separation")
    held = [(a["account"], set(a["duties"])) for a in (duties or {}).get("accounts", [])]
    return {
        "format_version": reg.get("format_version", reg["version"]),
        "encryption_standards": {
            "documented": enc.get("documented") is True,
            "fips_validated_modules": enc.get("fips_validated_modules") is True,
        },
        "secure_messaging": {
            "recorded": msg is not None,
            "service": service,
            "vendor_listed": listed,
            "vendor_baa_current": baa_ok,
            "enforced_encryption": (msg or {}).get("enforced_encryption") is True,
            "recipient_verification": (msg or {}).get("recipient_verification") is True,
        },
        "downtime": {"documented": down.get("documented") is True, "last_exercised": down.get("last_exercised")},
        "physical": {
            "recorded": bool(phys),
            "facility_access_list_reviewed": phys.get("facility_access_list_reviewed"),
            "screen_placement_reviewed": phys.get("screen_placement_reviewed"),
            "sensor_storage_locked": phys.get("sensor_storage_locked") is True,
            "devices_labelled": phys.get("devices_labelled") is True,
            "asset_inventory": {
                "recorded": inv is not None,
                "entries": len(assets),
                "without_owner_or_location": sum(1 for a in assets if not a.get("owner") or not a.get("location")),
                "last_reviewed": (inv or {}).get("last_reviewed"),
            },
        },
        "training_program": {
            "recorded": prog is not None,
            "topics": topics,
            "topics_missing": [t for t in TRAINING_TOPICS if t not in topics],
            "onboarding_within_days": (prog or {}).get("onboarding_within_days"),
            "refresh_after_change": (prog or {}).get("refresh_after_change") is True,
            "quick_reference_posted": (prog or {}).get("quick_reference_posted") is True,
            "help_channel": bool((prog or {}).get("help_channel")),
        },
        "sanctions_policy": {
            "documented": sanctions.get("documented") is True,
            "last_reviewed": sanctions.get("last_reviewed"),
        },
        "incident_log": {
            "kept": incidents is not None,
            "entries": len(incidents or []),
            "not_investigated": sum(1 for e in incidents or [] if not e["investigated"]),
        },
        "duty_separation": {
            "recorded": duties is not None,
            "accounts": len(held),
            "duties_unassigned": [d for d in DUTIES if not any(d in h for _, h in held)],
            "admins_with_other_duties": sorted(a for a, h in held if "administration" in h and len(h) > 1),
            "billing_with_clinical_duties": sorted(
                a for a, h in held if "billing" in h and h & {"acquisition", "diagnosis"}
            ),
            "last_reviewed": (duties or {}).get("last_reviewed"),
        },
        "access_log_spot_checks": {
            "last": spot.get("last"),
            "exports_checked": spot.get("exports_checked") is True,
            "lessons_shared": spot.get("lessons_shared") is True,
        },
    }
