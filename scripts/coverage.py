#!/usr/bin/env python3
"""Write docs/coverage.md: every relevant check of the HIPAA anchors and the Enamel rules that cite it.

Inputs (plain YAML, the scanner package is not imported):
  rules/*/*.yaml                        rule files; their `references:` cite anchor checks
  rules/checkov.yaml                    which rule ids exist only for IaC (its `rules:`) and which rules checkov also feeds
  anchors/iac-only-references.yaml  the citations of those IaC-only rules (the checkov map allows no references)
  anchors/<anchor>.yaml           every check of an anchor, with `relevant` and a `reason` when not

Reference keys: `prowler` / `aws_config` = the rule checks the same thing as that anchor check;
`prowler_partial` / `aws_config_partial` = a weaker check of it. Other keys (checkov, azure_policy,
*_other for ids outside the HIPAA anchors) are not read here.

Status of a relevant check: covered = cited (full key) by a rule with a live source (a rule file whose
resource provider has a collector: aws, azure, onprem, attestation register); partly = cited only by an
IaC-only rule or through a *_partial key; missing = cited by no rule.

Usage: scripts/coverage.py [--check]   (--check: exit 1 if docs/coverage.md differs from what it would write)
Bad input: one line naming the file and place, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster

ROOT = Path(__file__).resolve().parent.parent
# the rules live in rules/ (or inside the package once it moves there)
RULES = next(
    (d for d in (ROOT / "rules", ROOT / "enamel_hipaa" / "rules") if (d / "checkov.yaml").is_file()), ROOT / "rules"
)
# not under rules/: the rule loader reads every directory there except schema/ as rule files
ANCHOR_DIR = ROOT / "anchors"
DOC = ROOT / "docs" / "coverage.md"

# (file stem, reference key), in the order the document shows them
ANCHORS = [("prowler-hipaa-aws", "prowler"), ("aws-config-hipaa", "aws_config"), ("prowler-hipaa-azure", "prowler")]
FULL_KEYS = ("prowler", "aws_config")
PARTIAL_KEYS = {"prowler_partial": "prowler", "aws_config_partial": "aws_config"}
# resource provider of a rule file -> the live source that feeds it (every such provider has a collector)
LIVE_PROVIDERS = {"aws": "aws", "azure": "azure", "onprem": "onprem", "attestation": "register"}
IAC_ONLY_FILE = ANCHOR_DIR / "iac-only-references.yaml"


class InputError(Exception):
    """Bad input: the message names the file and the place."""


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def load_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=LOADER)
    except OSError as e:
        raise InputError(f"{rel(path)}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{rel(path)}:{where} invalid YAML: {getattr(e, 'problem', e)}") from None


def load_anchors() -> list[dict]:
    anchors = []
    for stem, key in ANCHORS:
        path = ANCHOR_DIR / f"{stem}.yaml"
        data = load_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
            raise InputError(f"{rel(path)}: expected a mapping with a `checks` list")
        if data.get("reference_key") != key:
            raise InputError(f"{rel(path)}: reference_key must be {key!r}")
        checks = {}
        for i, c in enumerate(data["checks"]):
            where = f"{rel(path)}: checks[{i}]"
            if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not isinstance(c.get("relevant"), bool):
                raise InputError(f"{where}: needs a string `id` and a boolean `relevant`")
            if not c["relevant"] and not c.get("reason"):
                raise InputError(f"{where} ({c['id']}): not relevant, so it needs a `reason`")
            if c["id"] in checks:
                raise InputError(f"{where}: duplicate id {c['id']}")
            checks[c["id"]] = c
        anchors.append(
            {
                "stem": stem,
                "key": key,
                "title": data.get("title", stem),
                "source": data.get("source", {}),
                "checks": checks,
                "path": path,
            }
        )
    return anchors


def parse_references(refs, where: str) -> list[tuple[str, str, bool]]:
    """-> [(key, check id, partial)] for the anchor keys of one `references:` mapping."""
    if refs is None:
        return []
    if not isinstance(refs, dict):
        raise InputError(f"{where}: references must be a mapping")
    out = []
    for k, v in refs.items():
        if k in FULL_KEYS:
            key, partial = k, False
        elif k in PARTIAL_KEYS:
            key, partial = PARTIAL_KEYS[k], True
        else:
            continue
        ids = v if isinstance(v, list) else [v]
        for x in ids:
            if not isinstance(x, str) or not x:
                raise InputError(f"{where}: references.{k}: each id must be a non-empty string")
            out.append((key, x, partial))
    return out


def load_rules() -> list[dict]:
    """Every rule that can cite an anchor: rule files (live) and IaC-only rules from the checkov map."""
    ck_path = RULES / "checkov.yaml"
    ck = load_yaml(ck_path)
    if not isinstance(ck, dict) or not isinstance(ck.get("checks"), dict) or not isinstance(ck.get("rules"), dict):
        raise InputError(f"{rel(ck_path)}: expected `checks` and `rules` mappings")
    fed_by_checkov = {v.get("rule") for v in ck["checks"].values() if isinstance(v, dict)}
    rules = []
    for path in sorted(RULES.glob("*/*.yaml")):
        if path.parent.name in ("schema", "data"):  # data/: shipped data files, not rules
            continue
        data = load_yaml(path)
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("id"), str)
            or not isinstance(data.get("resource"), str)
        ):
            raise InputError(f"{rel(path)}: a rule needs a string `id` and `resource`")
        provider = data["resource"].split(".", 1)[0]
        if provider not in LIVE_PROVIDERS:
            raise InputError(f"{rel(path)}: resource {data['resource']}: unknown provider {provider!r}")
        sources = [LIVE_PROVIDERS[provider]] + (["iac"] if data["id"] in fed_by_checkov else [])
        rules.append(
            {
                "id": data["id"],
                "live": True,
                "sources": sources,
                "path": path,
                "cites": parse_references(data.get("references"), f"{rel(path)}: {data['id']}"),
            }
        )
    file_ids = {r["id"] for r in rules}
    iac = load_yaml(IAC_ONLY_FILE)
    if not isinstance(iac, dict) or not isinstance(iac.get("rules"), dict):
        raise InputError(f"{rel(IAC_ONLY_FILE)}: expected a `rules` mapping")
    for rid, refs in iac["rules"].items():
        where = f"{rel(IAC_ONLY_FILE)}: rules.{rid}"
        if rid in file_ids:
            raise InputError(f"{where}: {rid} is a rule file; cite its checks in its own `references:`")
        if rid not in ck["rules"]:
            raise InputError(f"{where}: {rid} is not a rule of {rel(ck_path)}")
        rules.append(
            {
                "id": rid,
                "live": False,
                "sources": ["iac"],
                "path": IAC_ONLY_FILE,
                "cites": parse_references(refs, where),
            }
        )
    return rules


def resolve(anchors, rules):
    """-> (citations per (anchor stem, check id), problems). A problem is a citation of no or an irrelevant check."""
    by_key: dict[str, dict[str, tuple[dict, dict]]] = {}
    for a in anchors:
        for cid, c in a["checks"].items():
            other = by_key.setdefault(a["key"], {}).get(cid)
            if other:
                raise InputError(f"{rel(a['path'])}: {cid} is also a check of {other[0]['stem']}")
            by_key[a["key"]][cid] = (a, c)
    cites: dict[tuple[str, str], list[dict]] = {}
    problems = []
    for r in rules:
        for key, cid, partial in r["cites"]:
            hit = by_key.get(key, {}).get(cid)
            where = f"{rel(r['path'])}: {r['id']}: references.{key}{'_partial' if partial else ''}"
            if hit is None:
                problems.append(f"{where}: {cid} is not a check of any anchor using `{key}`")
                continue
            a, c = hit
            if not c["relevant"]:
                problems.append(f"{where}: {cid} is marked not relevant in {rel(a['path'])} ({c['reason']})")
                continue
            status = "covered" if r["live"] and not partial else "partly"
            cites.setdefault((a["stem"], cid), []).append({"rule": r, "status": status, "partial": partial})
    return cites, problems


def summarise(anchors, cites):
    rows = []
    for a in anchors:
        counts = {"covered": 0, "partly": 0, "missing": 0}
        for cid, c in a["checks"].items():
            if c["relevant"]:
                counts[check_status(cites.get((a["stem"], cid), []))] += 1
        relevant = sum(counts.values())
        rows.append((a, relevant, counts))
    return rows


def check_status(cs) -> str:
    if any(x["status"] == "covered" for x in cs):
        return "covered"
    return "partly" if cs else "missing"


def pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:.1f} %" if d else "–"


def cell(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def render(anchors, cites) -> str:
    out = [
        "# Coverage of the HIPAA anchors",
        "",
        "<!-- Generated by scripts/coverage.py from the rules' `references:` and anchors/. Do not edit:",
        "     run `python scripts/coverage.py`; tests/test_coverage_doc.py fails when this file drifts. -->",
        "",
        "How Enamel's rules measure against the HIPAA checks users compare it with. A rule cites an anchor check in its",
        "`references:` (`prowler:` or `aws_config:` when it checks the same thing; `prowler_partial:` or",
        "`aws_config_partial:` when its check is weaker); rules that exist only for IaC (rules/checkov.yaml) cite theirs",
        "in anchors/iac-only-references.yaml. Relevance (does the check govern a service a dental imaging stack",
        "uses?) is decided per check in anchors/, with a reason for every check left out.",
        "",
        "- **covered**: cited by a rule with a live source (AWS or Azure collector, on-prem collector, attestation register).",
        "- **partly**: cited only by an IaC-only rule (checkov) or as a weaker check.",
        "- **missing**: no rule cites it.",
        "",
        "Sources: aws, azure (live collectors), onprem, register (attestation), iac (checkov on Terraform/CloudFormation).",
        "",
        "## Summary",
        "",
        "| anchor | checks | relevant | covered | partly | missing |",
        "|---|---|---|---|---|---|",
    ]
    for a, relevant, n in summarise(anchors, cites):
        out.append(
            f"| {a['title']} | {len(a['checks'])} | {relevant} | {n['covered']} ({pct(n['covered'], relevant)}) | "
            f"{n['partly']} ({pct(n['partly'], relevant)}) | {n['missing']} ({pct(n['missing'], relevant)}) |"
        )
    for a in anchors:
        src = a["source"]
        out += [
            "",
            f"## {a['title']}",
            "",
            f"Source: `{src.get('repo', '?')}` `{src.get('path', '?')}` at commit `{src.get('commit', '?')}` "
            f"({src.get('licence', '?')}). Data: `{rel(a['path'])}`.",
            "",
            "| check | description | status | Enamel rules | sources |",
            "|---|---|---|---|---|",
        ]
        for cid in sorted(a["checks"]):
            c = a["checks"][cid]
            if not c["relevant"]:
                continue
            cs = sorted(cites.get((a["stem"], cid), []), key=lambda x: (x["status"] != "covered", x["rule"]["id"]))
            status = check_status(cs)
            names = []
            for x in cs:
                note = " (weaker check)" if x["partial"] else ("" if x["rule"]["live"] else " (IaC only)")
                names.append(f"`{x['rule']['id']}`{note}")
            sources = sorted({s for x in cs for s in x["rule"]["sources"]})
            shown = "**missing**" if status == "missing" else status
            out.append(
                f"| `{cid}` | {cell(c.get('description', ''))} | {shown} | {', '.join(names) or '–'} | "
                f"{', '.join(sources) or '–'} |"
            )
        left_out = [(cid, c["reason"]) for cid, c in sorted(a["checks"].items()) if not c["relevant"]]
        if left_out:
            out += [
                "",
                f"Not relevant ({len(left_out)}): " + "; ".join(f"`{cid}` ({cell(r)})" for cid, r in left_out) + ".",
            ]
    return "\n".join(out) + "\n"


def build():
    anchors = load_anchors()
    rules = load_rules()
    cites, problems = resolve(anchors, rules)
    return anchors, cites, problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check", action="store_true", help="exit 1 if docs/coverage.md differs from what would be written"
    )
    args = ap.parse_args(argv)
    try:
        anchors, cites, problems = build()
    except InputError as e:
        print(f"coverage: {e}", file=sys.stderr)
        return 2
    if problems:
        print(
            f"coverage: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            file=sys.stderr,
        )
        return 2
    text = render(anchors, cites)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else None
        if current != text:
            print(f"coverage: {rel(DOC)} is out of date; run python scripts/coverage.py", file=sys.stderr)
            return 1
    else:
        DOC.write_text(text, encoding="utf-8")
    for a, relevant, n in summarise(anchors, cites):
        print(
            f"{a['title']}: {relevant} relevant; covered {n['covered']} ({pct(n['covered'], relevant)}), "
            f"partly {n['partly']} ({pct(n['partly'], relevant)}), missing {n['missing']} ({pct(n['missing'], relevant)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
