"""Linux PACS servers: the JSON that scripts/collect-linux.sh prints (format enamel.linux/1,
docs/linux-export.md), read as onprem.linux_host. The export is validated against the type
schema as a whole (a guessed or malformed value rejects the file: every rule `error`); a
value the script could not read is null there, which the rules read as unknown, never pass.
Derived here: the patch age at collection time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from enamel_hipaa.core import inputs, schemas
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Resource

FORMAT = "enamel.linux/1"
TYPE = "onprem.linux_host"


def _error(rid: str, name: str, msg: str) -> Resource:
    return Resource(type=TYPE, id=rid, name=name, source="file", properties={}, error=msg)


def _stamp(text: str | None) -> dt.datetime | None:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") if text else None


def collect(entry: dict) -> Resource:
    path = Path(entry["file"])
    name = entry.get("name") or path.stem
    rid = f"linux:{name}"
    try:
        doc = inputs.loads_json(inputs.read_text(path), str(path))
    except InputError as exc:
        return _error(rid, name, f"{path}: cannot read the export: {exc}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return _error(rid, name, f"{path}: not a {FORMAT} export (written by scripts/collect-linux.sh)")
    schema = schemas.type_schemas()[TYPE]
    import jsonschema

    err = next(iter(sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: e.path)), None)
    if err is not None:
        where = "/".join(map(str, err.absolute_path)) or "(top level)"
        return _error(rid, name, f"{path}: {where}: {err.message[:200]}")
    props = dict(doc)
    collected, upgraded = _stamp(doc["collected_at"]), _stamp(doc["patching"]["last_upgrade_at"])
    props["patch_age_days"] = (collected - upgraded).days if upgraded else None
    props["errors_count"] = len(doc["errors"])
    props["nginx_exported"] = doc["nginx"] is not None  # --nginx-config given
    props["orthanc_exported"] = doc["orthanc"] is not None  # --orthanc-config given
    shown = entry.get("name") or doc.get("hostname") or name
    return Resource(type=TYPE, id=rid, name=shown, source="file", properties=props)
