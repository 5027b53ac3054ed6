"""Run Enamel in-process over tests/corpus/ with inventories that use the on-prem inventory's
deployment fields (deployment, image, compose/service, configs, root, variables, pacs, version).

Each case folder's case.yaml describes how the configuration is deployed (tests/corpus/README.md);
`inventory(case_dir)` turns that into the inventory a user would write (docs/onprem.md), and
`run_case` evaluates the on-prem rules and folds statuses per rule (worst over nginx server
blocks: error > fail > unknown > pass > skip). Used by tests/test_corpus.py and
`python scripts/corpus_run.py -v` (prints the counts and every mismatch)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
ORDER = {"error": 4, "fail": 3, "unknown": 2, "pass": 1, "skip": 0}
PRODUCTS = {"orthanc": "orthanc", "dcm4chee": "dcm4chee", "ohif-static": "ohif-static", None: "not-pacs"}


def cases() -> list[Path]:
    return sorted(p.parent for p in CORPUS.glob("*/*/case.yaml"))


def inventory(case_dir: Path) -> dict:
    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    inv: dict = {"version": 1, "site": f"corpus {case_dir.name}"}
    if case["kind"] == "orthanc":
        e: dict = {"name": case_dir.name, "deployment": case["deployment"]}
        if case.get("image"):
            e["image"] = case["image"]
        if case.get("orthanc_version"):
            e["version"] = str(case["orthanc_version"])
        files = [str(case_dir / case["config"])] if case.get("config") else []
        files += [str(case_dir / f["file"]) for f in case.get("files", [])]
        if len(files) == 1:
            e["config"] = files[0]
        elif files:
            e["configs"] = files
        if case.get("compose"):
            e["compose"] = str(case_dir / case["compose"])
            e["service"] = case["service"]
        inv["orthanc"] = [e]
    else:
        e = {"name": case_dir.name, "config": str(case_dir / case["config"])}
        if case.get("root"):
            e["root"] = str(case_dir / case["root"])
        if case.get("variables"):
            e["variables"] = {str(k): str(v) for k, v in case["variables"].items()}
        img = str(case.get("image") or "")
        if "(nginx " in img:
            e["version"] = img.split("(nginx ", 1)[1].rstrip(")")
        elif img.startswith("nginx:") and img[6:7].isdigit():
            e["version"] = img[6:].split("-")[0]
        inv["nginx"] = [e]
        pacs = []
        for i, h in enumerate(case.get("hosts") or []):
            p = {
                "name": f"{h['host']}-{i}",
                "hosts": [h["host"]],
                "port": h["port"],
                "product": PRODUCTS.get(h.get("pacs"), "other-pacs"),
            }
            if "authenticates" in h:
                p["authenticates"] = bool(h["authenticates"])
            pacs.append(p)
        if pacs:
            inv["pacs"] = pacs
    return inv


def run_case(case_dir: Path, ruleset, tmp: Path) -> tuple[dict, dict]:
    """(expected, got) statuses per rule id for one case."""
    from enamel_hipaa.core.engine import evaluate
    from enamel_hipaa.sources.onprem import collect_inventory

    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    inv_path = tmp / f"{case_dir.name}.yaml"
    inv_path.write_text(yaml.safe_dump(inventory(case_dir), sort_keys=False))
    col = collect_inventory(str(inv_path))
    rules = [r for r in ruleset.rules if r.resource.startswith("onprem.")]
    got: dict[str, str] = {}
    for f in evaluate(rules, col.resources, errors=col.errors):
        rid, st = f.rule.id, f.status
        if rid not in got or ORDER[st] > ORDER[got[rid]]:
            got[rid] = st
    return case["expected"], got


def classify(expected: str, got: str | None) -> str:
    if got is None or got == "error":
        return "error"
    if expected == got:
        return "ok"
    if expected in ("fail", "unknown") and got in ("pass", "skip"):
        return "false_pass"
    if got == "fail":
        return "false_fail"
    return "other"


def run_all(tmp: Path) -> tuple[Counter, list[str], Counter]:
    from enamel_hipaa.core.ruleset import load_rules

    ruleset = load_rules()
    counts: Counter = Counter()
    kinds: Counter = Counter()
    notes = []
    for d in cases():
        kinds[d.parent.name] += 1
        expected, got = run_case(d, ruleset, tmp)
        for rule, exp in expected.items():
            c = classify(exp, got.get(rule))
            counts[c] += 1
            if c != "ok":
                notes.append(f"{d.parent.name}/{d.name}: {rule} expected {exp} got {got.get(rule)} [{c}]")
    return counts, notes, kinds


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as t:
        counts, notes, kinds = run_all(Path(t))
    print(
        f"cases {dict(kinds)}; "
        + ", ".join(f"{k}={counts[k]}" for k in ("ok", "false_pass", "false_fail", "error", "other"))
    )
    if "-v" in sys.argv:
        print("\n".join(notes))
    sys.exit(1 if sum(v for k, v in counts.items() if k != "ok") else 0)
