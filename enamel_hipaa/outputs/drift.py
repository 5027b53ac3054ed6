"""Drift output: JSON (rules/schema/drift.schema.json), Markdown (drift.md.j2) and a rich
terminal summary."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from enamel_hipaa.core.values import format_value
from enamel_hipaa.outputs.templating import template
from enamel_hipaa.outputs.terminal import escape

INCOMPLETE = (
    "the newer scan was incomplete (a source failed): its rules show as errors, and resources "
    "listed as removed may only have been unreadable"
)


def render_json(drift: dict) -> str:
    return json.dumps(drift, indent=2, default=str) + "\n"


def render_markdown(drift: dict) -> str:
    return template("drift.md.j2").render(drift=drift, fmt=format_value, incomplete=INCOMPLETE)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, title_justify="left", expand=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*(escape(str(x)) for x in row))
    return t


def _name(ref: dict) -> str:
    return f"{ref['type']} {ref.get('name') or ref['id']}"


def _extra(f: dict) -> str:
    if "age_days" in f:
        return f"{f['age_days']} days" + (" (not re-checked)" if f.get("now_status") == "unchecked" else "")
    return f["now_status"]


def print_drift(drift: dict, console: Console) -> None:
    s = drift["summary"]
    if drift["kind"] == "plan":
        console.print(
            f"Plan vs live: {s['matched']} matched, {s['differs']} differ, "
            f"{s['not_comparable']} not comparable, {s['unmanaged']} unmanaged, {s['missing']} missing"
        )
        rows = [
            [p["status"], _name(p["resource"]), p["key"], format_value(p["desired"]), format_value(p["actual"])]
            for p in drift["properties"]
        ]
        if rows:
            console.print(_table("HIPAA-relevant properties", ["status", "resource", "key", "desired", "live"], rows))
        for title, items in (
            ("Live resources the plan does not manage", drift["unmanaged"]),
            ("Declared resources not found live", drift["missing"]),
        ):
            if items:
                console.print(_table(title, ["type", "id"], [[r["type"], r["id"]] for r in items]))
        return
    console.print(
        f"Drift{' - ' + escape(drift['tenant']) if drift['tenant'] else ''}: scan {drift['from']['id'][:12]} "
        f"({drift['from']['started_at']}) -> {drift['to']['id'][:12]} ({drift['to']['started_at']}); "
        f"baseline: {drift['baseline']}"
    )
    console.print("  ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.items()))
    if not drift["to"]["complete"]:
        console.print(f"[magenta]{INCOMPLETE}[/]")
    for title, key, extra in (
        ("New failures", "new_failures", None),
        ("Resolved", "resolved_failures", "now"),
        ("Still open", "open_failures", "open for"),
    ):
        items = drift[key]
        if items:
            cols = ["severity", "rule", "resource", "HIPAA"] + ([extra] if extra else [])
            console.print(
                _table(
                    title,
                    cols,
                    [
                        [f["severity"], f["rule_id"], _name(f["resource"]), " ".join(f["hipaa"])]
                        + ([_extra(f)] if extra else [])
                        for f in items
                    ],
                )
            )
    if drift["properties_changed"]:
        console.print(
            _table(
                "HIPAA-relevant properties changed",
                ["resource", "key", "before", "after"],
                [
                    [_name(p["resource"]), p["key"], format_value(p["before"]), format_value(p["after"])]
                    for p in drift["properties_changed"]
                ],
            )
        )
    for title, key in (("Resources added", "resources_added"), ("Resources removed", "resources_removed")):
        if drift[key]:
            console.print(_table(title, ["type", "id"], [[r["type"], r["id"]] for r in drift[key]]))
    if drift["waivers_expiring"]:
        console.print(
            _table(
                "Waivers expiring",
                ["expires", "days left", "rule", "resource", "owner"],
                [
                    [w["expires"], w["days_left"], w["rule"], w["resource"], w["owner"]]
                    for w in drift["waivers_expiring"]
                ],
            )
        )
