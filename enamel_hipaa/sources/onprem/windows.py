"""Windows imaging workstations: the JSON that scripts/collect-windows.ps1 writes
(format: docs/windows-export.md), normalised into onprem.windows_host. A section the
script could not read carries {"error": "..."} and becomes an error value here."""

from __future__ import annotations

from pathlib import Path

from enamel_hipaa.core import inputs
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Resource, error_value

FORMAT = "enamel.windows/1"
USBSTOR_DISABLED = 4
PROTECTED = {"On", 1, "1"}


def _section(doc: dict, key: str):
    v = doc.get(key)
    if isinstance(v, dict) and "error" in v:
        return error_value(f"{key}: {v['error']}")
    if v is None:
        return error_value(f"{key}: missing from the export")
    return v


def _bitlocker(vols):
    if isinstance(vols, dict) and "$error" not in vols:
        vols = [vols]  # one volume written without its list
    if not isinstance(vols, list):
        return vols
    system = [v for v in vols if v.get("VolumeType") == "OperatingSystem"]
    if not system:
        return error_value("bitlocker: no operating-system volume in the export")
    osv = system[0]
    return {
        "system_drive": str(osv.get("MountPoint", "")),
        "system_drive_protected": osv.get("ProtectionStatus") in PROTECTED
        and osv.get("VolumeStatus") == "FullyEncrypted",
        "encryption_method": str(osv.get("EncryptionMethod", "")),
        "unprotected_fixed_volumes": sorted(
            str(v.get("MountPoint", "?")) for v in vols if v.get("ProtectionStatus") not in PROTECTED
        ),
    }


def _disabled(proto: dict) -> bool:
    """Both Server and Client have Enabled=0. DisabledByDefault=1 alone still lets an
    application ask for the protocol, and an unset value is the Windows default (enabled)."""
    return all(isinstance(proto.get(side), dict) and proto[side].get("Enabled") == 0 for side in ("Server", "Client"))


def _schannel(s):
    if not isinstance(s, dict) or "$error" in s:
        return s
    return {"tls1_0_disabled": _disabled(s.get("TLS 1.0") or {}), "tls1_1_disabled": _disabled(s.get("TLS 1.1") or {})}


def _lock(v):
    if not isinstance(v, dict) or "$error" in v:
        return v
    secs = v.get("InactivityTimeoutSecs")
    return {"configured": isinstance(secs, int) and secs > 0, "timeout_seconds": secs if isinstance(secs, int) else 0}


def _usb(v):
    if not isinstance(v, dict) or "$error" in v:
        return v
    return v.get("UsbStorStart") == USBSTOR_DISABLED or v.get("DenyAllRemovable") == 1


def _fips(v):
    """FipsAlgorithmPolicy\\Enabled = 1; unset is the Windows default (off)."""
    if not isinstance(v, dict) or "$error" in v:
        return v
    return v.get("FipsAlgorithmPolicyEnabled") == 1


# auditpol's English inclusion settings; any other text (a localised one) is unknown, never a pass
AUDIT_SETTINGS = {"success and failure": True, "failure": True, "success": False, "no auditing": False}


def _audit(v):
    if not isinstance(v, dict) or "$error" in v:
        return v
    out = {}
    for key, name in (("Logon", "logon_failures_audited"), ("CredentialValidation", "credential_failures_audited")):
        text = str((v.get(key) or {}).get("InclusionSetting", "")).strip().casefold()
        if text not in AUDIT_SETTINGS:
            return error_value(f"audit_policy: {key} inclusion setting {text!r} not recognised")
        out[name] = AUDIT_SETTINGS[text]
    return out


def collect(entry: dict, table: list | None = None, today=None) -> Resource:
    path = Path(entry["file"])
    name = entry.get("name") or path.stem
    rid = f"windows:{name}"
    try:  # PowerShell may write a BOM; regular files only, size/depth-limited, strict JSON
        doc = inputs.loads_json(inputs.read_text(path, encoding="utf-8-sig"), str(path))
    except InputError as exc:
        return Resource(
            type="onprem.windows_host",
            id=rid,
            name=name,
            source="file",
            properties={},
            error=f"{path}: cannot read the export: {exc}",
        )
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return Resource(
            type="onprem.windows_host",
            id=rid,
            name=name,
            source="file",
            properties={},
            error=f"{path}: not a {FORMAT} export (written by scripts/collect-windows.ps1)",
        )
    os_ = _section(doc, "os")
    admins = _section(doc, "local_administrators")
    if isinstance(admins, str):
        admins = [admins]
    props = {
        "computer_name": str(doc.get("computer_name", "")),
        "collected_at": str(doc.get("collected_at", "")),
        "os_caption": str(os_.get("Caption", "")) if isinstance(os_, dict) and "$error" not in os_ else "",
        "os_build": int(os_["BuildNumber"])
        if isinstance(os_, dict) and str(os_.get("BuildNumber", "")).isdigit()
        else error_value("os: no BuildNumber"),
        "bitlocker": _bitlocker(_section(doc, "bitlocker")),
        "schannel": _schannel(_section(doc, "schannel")),
        "inactivity_lock": _lock(_section(doc, "screen_lock")),
        "usb_mass_storage_blocked": _usb(_section(doc, "usb_storage")),
        "fips_algorithm_policy": _fips(_section(doc, "fips")),
        "audit_policy": _audit(_section(doc, "audit_policy")),
        "local_administrators": sorted(map(str, admins)) if isinstance(admins, list) else admins,
        "local_administrators_count": len(admins) if isinstance(admins, list) else admins,
    }
    import datetime as dt

    from enamel_hipaa.sources.onprem import winbuilds

    ubr = os_.get("UBR") if isinstance(os_, dict) and "$error" not in os_ else None
    props["os_ubr"] = int(ubr) if str(ubr or "").isdigit() else None
    props["os_support"] = winbuilds.support(
        props["os_build"],
        props["os_ubr"],
        props["os_caption"],
        table if table is not None else winbuilds.load(),
        today or dt.date.today(),
        bool(entry.get("esu")),
    )
    shown = entry.get("name") or props["computer_name"] or name
    return Resource(type="onprem.windows_host", id=rid, name=shown, source="file", properties=props)
