"""Waivers file: {rule, resource pattern, reason, owner, expires}. No expiry is rejected;
an expired waiver stops applying and the report says so."""

from __future__ import annotations

from datetime import date

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Waiver


def load_waivers(path: str, known_rules: set[str] | None = None, today: date | None = None) -> list[Waiver]:
    data, lines = yamlsrc.load(path)
    if data is None:
        raise InputError(path, "empty waivers file (expected a 'waivers:' list)", line=1)
    err = next(iter(schemas.validator("waivers").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(path, lines, err)
    today = today or date.today()
    out = []
    for i, w in enumerate(data["waivers"]):
        try:
            expires = date.fromisoformat(w["expires"])
        except ValueError:
            raise InputError(
                path,
                f"expires {w['expires']!r} is not a date",
                line=lines.get(("waivers", i, "expires")),
                where=f"waivers/{i}/expires",
            ) from None
        if known_rules is not None and not any(ch in w["rule"] for ch in "*?[") and w["rule"] not in known_rules:
            raise InputError(
                path,
                f"unknown rule id {w['rule']!r}",
                line=lines.get(("waivers", i, "rule")),
                where=f"waivers/{i}/rule",
            )
        out.append(
            Waiver(
                rule=w["rule"],
                resource=w["resource"],
                reason=w["reason"],
                owner=w["owner"],
                expires=w["expires"],
                expired=expires < today,
            )
        )
    return out
