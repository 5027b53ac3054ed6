#!/usr/bin/env python3
"""Write docs/seed-coverage.md: every bullet of the seed guide (rules/seed.yaml) with the rules
whose `seed:` field names it, their sources, and a verdict.

    python scripts/seed_coverage.py            # (re)write docs/seed-coverage.md
    python scripts/seed_coverage.py --check    # exit 1 when the file differs from what it would write

Reads the YAML files only (no scanner import), so it runs before the package is installed.
Exit 0 = written / up to date, 1 = drift (--check), 2 = bad input (one line naming file and place).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster

ROOT = Path(__file__).resolve().parent.parent
SEED_ID = re.compile(r"^[A-Z]{1,2}[0-9]{1,2}$")
KINDS = {"T": "technical", "A": "administrative", "P": "physical"}
PROVIDERS = ("aws", "azure", "onprem", "attestation")
# on-prem resource type -> the collector that produces it (scanner/collectors/onprem/)
ONPREM_COLLECTORS = {
    "onprem.orthanc": "orthanc",
    "onprem.nginx_server": "nginx",
    "onprem.windows_host": "windows",
    "onprem.linux_host": "linux",
    "onprem.dicom_file_store": "filestore",
    "onprem.tls_endpoint": "tls",
    "onprem.dicom_endpoint": "dicom",
    "onprem.pacs_web": "web",
    "onprem.mail_domain": "mail",
}
VERDICTS = ("automated", "attested", "missing")
OUT = "docs/seed-coverage.md"


class BadInput(Exception):
    """One-line message naming the file and place."""


def _seed_line(text: str) -> tuple[int, str]:
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("seed:"):
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            return n, comment
    return 0, ""


def load_bullets(rules_dir: Path) -> list[dict]:
    path = rules_dir / "seed.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}".splitlines()[0]) from None
    bullets = data.get("bullets") if isinstance(data, dict) else None
    if not isinstance(bullets, list) or not bullets:
        raise BadInput(f"{path}: 'bullets' must be a non-empty list")
    seen = set()
    for i, b in enumerate(bullets):
        where = f"{path}: bullets/{i}"
        if not isinstance(b, dict):
            raise BadInput(f"{where}: must be a mapping")
        for key in ("id", "section", "kind", "text"):
            if not isinstance(b.get(key), str) or not b[key].strip():
                raise BadInput(f"{where}: '{key}' must be a non-empty string")
        if not SEED_ID.match(b["id"]):
            raise BadInput(f"{where}: id {b['id']!r} does not match {SEED_ID.pattern}")
        if b["id"] in seen:
            raise BadInput(f"{where}: duplicate id {b['id']!r}")
        if b["kind"] not in KINDS:
            raise BadInput(f"{where}: kind {b['kind']!r} is not one of {sorted(KINDS)}")
        seen.add(b["id"])
    return bullets


def source_of(provider: str, resource: str) -> str:
    if provider != "onprem":
        return provider
    return ONPREM_COLLECTORS.get(resource, "")


def load_rules(rules_dir: Path, bullet_ids: set[str]) -> list[dict]:
    """Every rule file under rules/<provider>/ with its seed ids, source and (for seed: [])
    the comment that says why it checks no bullet."""
    out = []
    for provider in PROVIDERS:
        for path in sorted((rules_dir / provider).rglob("*.y*ml")):
            text = path.read_text(encoding="utf-8")
            try:
                data = yaml.load(text, Loader=LOADER)
            except yaml.YAMLError as exc:
                raise BadInput(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
            if not isinstance(data, dict) or not isinstance(data.get("id"), str):
                raise BadInput(f"{path}: line 1: a rule must be a mapping with an id")
            line, comment = _seed_line(text)
            if "seed" not in data:
                raise BadInput(f"{path}: no 'seed:' field (name the bullet ids it checks, or [] with a comment)")
            seed = data["seed"]
            ids = [seed] if isinstance(seed, str) else seed
            if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
                raise BadInput(f"{path}: line {line}: seed must be a bullet id or a list of bullet ids")
            for x in ids:
                if x not in bullet_ids:
                    raise BadInput(f"{path}: line {line}: seed names {x!r}, which is not a bullet in rules/seed.yaml")
            if not ids and not comment:
                raise BadInput(f"{path}: line {line}: 'seed: []' needs a comment saying why the rule checks no bullet")
            resource = str(data.get("resource", ""))
            source = source_of(provider, resource)
            if not source:
                raise BadInput(f"{path}: resource type {resource!r} has no known on-prem collector")
            out.append(
                {
                    "id": data["id"],
                    "seed": ids,
                    "source": source,
                    "provider": provider,
                    "why_none": comment if not ids else "",
                }
            )
    if not out:
        raise BadInput(f"{rules_dir}: no rule files under {', '.join(PROVIDERS)}")
    return out


def coverage(bullets: list[dict], rules: list[dict]) -> list[dict]:
    rows = []
    for b in bullets:
        checking = sorted((r for r in rules if b["id"] in r["seed"]), key=lambda r: r["id"])
        real = [r for r in checking if r["provider"] != "attestation"]
        register = [r for r in checking if r["provider"] == "attestation"]
        verdict = "automated" if real else "attested" if register else "missing"
        # issue 21's acceptance: technical bullets on a real source, the others in the register
        meets = bool(real) if b["kind"] == "T" else bool(register)
        rows.append({**b, "rules": checking, "verdict": verdict, "meets": meets})
    return rows


def uncovered(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows if r["verdict"] == "missing"]


def _pct(n: int, d: int) -> str:
    return f"{n} ({100.0 * n / d:.1f} %)" if d else "0"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(rows: list[dict], rules: list[dict]) -> str:
    lines = [
        "# The seed guide, bullet by bullet",
        "",
        "<!-- generated by scripts/seed_coverage.py from rules/seed.yaml and the rules' `seed:` fields;",
        "     do not edit: run `python scripts/seed_coverage.py`; tests/test_seed_coverage.py fails when stale -->",
        "",
        "Every bullet of the seed guide (`rules/seed.yaml`: the guide's text, with ids) and the rules",
        "whose `seed:` field says their assert checks it. A rule names a bullet only when its",
        "assert checks (part of) what the bullet asks; a rule that checks no bullet says `seed: []`",
        "and why (listed at the end).",
        "",
        "Sources: `aws`, `azure`, `attestation` (the register) are the rule's provider; on-prem",
        "rules name their collector (`orthanc`, `nginx`, `windows`, `linux`, `filestore`, `tls`,",
        "`dicom`, `web`, `mail`), derived from the rule's `resource:` type.",
        "",
        "Verdict: **automated** = at least one rule on a real source (cloud, on-prem config, probe or",
        'host export); **attested** = only register rules; **missing** = no rule. "Meets issue 21":',
        "a technical bullet needs a real source, an administrative or physical one a register rule.",
        "A bullet counted here may still be only partly checked: each rule covers the clauses its",
        "assert tests, not necessarily every clause of the bullet.",
        "",
        "Kind: T = technical, A = administrative, P = physical.",
        "",
        "## Totals",
        "",
        "| kind | bullets | automated | attested | missing | meets issue 21 |",
        "|---|---|---|---|---|---|",
    ]
    for k in (*KINDS, None):
        sel = [r for r in rows if k is None or r["kind"] == k]
        name = "**all**" if k is None else KINDS[k]
        counts = [_pct(sum(1 for r in sel if r["verdict"] == v), len(sel)) for v in VERDICTS]
        lines.append(
            f"| {name} | {len(sel)} | "
            + " | ".join(counts)
            + f" | {_pct(sum(1 for r in sel if r['meets']), len(sel))} |"
        )
    named = sum(1 for r in rules if r["seed"])
    lines += [
        "",
        f"Rules: {len(rules)}; {named} name at least one bullet, {len(rules) - named} name none.",
        "",
        "## Bullets",
        "",
        "| id | section | kind | bullet | rules (sources) | verdict | meets issue 21 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rl = "<br>".join(f"`{x['id']}` ({x['source']})" for x in r["rules"]) or "–"
        lines.append(
            f"| {r['id']} | {_cell(r['section'])} | {r['kind']} | {_cell(r['text'])} | {rl} | "
            f"**{r['verdict']}** | {'yes' if r['meets'] else 'no'} |"
        )
    lines += ["", "## Rules that check no bullet", "", "| rule | source | why |", "|---|---|---|"]
    for x in sorted((x for x in rules if not x["seed"]), key=lambda x: x["id"]):
        lines.append(f"| `{x['id']}` | {x['source']} | {_cell(x['why_none'])} |")
    return "\n".join(lines) + "\n"


def build(rules_dir: Path) -> tuple[str, list[dict]]:
    bullets = load_bullets(rules_dir)
    rules = load_rules(rules_dir, {b["id"] for b in bullets})
    rows = coverage(bullets, rules)
    return render(rows, rules), rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default=str(ROOT / "rules"), help="rules directory (holds seed.yaml)")
    ap.add_argument("--out", default=str(ROOT / OUT), help=f"output file (default {OUT})")
    ap.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    args = ap.parse_args(argv)
    try:
        text, rows = build(Path(args.rules))
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != text:
            print(
                f"{out}: out of date with the rules' seed: fields; run python scripts/seed_coverage.py", file=sys.stderr
            )
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    missing = uncovered(rows)
    print(f"wrote {out}: {len(rows)} bullets, {len(missing)} without a rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
