#!/usr/bin/env python3
"""Run the `enamel` CLI over tests/corpus/ and compare with each case's expected verdicts.

For every case folder (tests/corpus/<kind>/<name>/case.yaml) this builds an inventory in the
format today's CLI understands (docs/onprem.md), runs
`enamel scan --onprem <inventory> --format json` as a subprocess, and compares the status of
each expected rule. Fields today's inventory cannot express (deployment, image, environment,
compose, hosts aliases, root, variables) are not passed: what a user could write today is.

  - Orthanc: the case's configuration file(s); for a docker-compose case, the ORTHANC_JSON
    value (if any) written to a file plus the files the service mounts, else an empty `{}`.
    `version` from the case's orthanc_version when stated.
  - nginx: the config file. With --declare-pacs, also `pacs_upstreams` from the case's hosts
    marked as a PACS (what a user who knows the option would write); without it, Enamel's own
    detection decides (what a new user gets).

Per rule, statuses over several resources (nginx server blocks) are folded to the worst:
error > fail > unknown > pass > skip.

Counts: false pass (expected fail/unknown, got pass or skip), false fail (expected pass/skip/
unknown, got fail), error (status error, a crash, or a rule missing from the output), other
mismatch (e.g. expected skip, got pass). Usage:

  python scripts/corpus_baseline.py [--enamel PATH] [--corpus tests/corpus] [--declare-pacs] [-v]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ORDER = {"error": 4, "fail": 3, "unknown": 2, "pass": 1, "skip": 0}


def build_inventory(case_dir: Path, case: dict, work: Path, declare_pacs: bool) -> Path:
    inv: dict = {"version": 1, "site": f"corpus {case_dir.name}"}
    kind = case["kind"]
    if kind == "orthanc":
        cfg_dir = work / "orthanc"
        cfg_dir.mkdir()
        if "config" in case:
            (cfg_dir / Path(case["config"]).name).write_bytes((case_dir / case["config"]).read_bytes())
        else:
            compose = yaml.safe_load((case_dir / case["compose"]).read_text())
            svc = compose["services"][case["service"]]
            env = svc.get("environment") or {}
            if isinstance(env, list):
                env = dict(e.split("=", 1) for e in env)
            if "ORTHANC_JSON" in env:
                (cfg_dir / "orthanc-json-env.json").write_text(env["ORTHANC_JSON"])
            for f in case.get("files", []):
                (cfg_dir / Path(f["mounted_at"]).name).write_bytes((case_dir / f["file"]).read_bytes())
            if not any(cfg_dir.iterdir()):
                (cfg_dir / "orthanc.json").write_text("{}\n")
        entry = {"name": case_dir.name, "config": str(cfg_dir)}
        if case.get("orthanc_version"):
            entry["version"] = str(case["orthanc_version"])
        inv["orthanc"] = [entry]
    elif kind == "nginx":
        entry = {"name": case_dir.name, "config": str(case_dir / case["config"])}
        ups = [f"{h['host']}:{h['port']}" for h in case.get("hosts", []) if h.get("pacs") in ("orthanc", "dcm4chee")]
        if ups and declare_pacs:
            entry["pacs_upstreams"] = ups
        inv["nginx"] = [entry]
    else:
        raise SystemExit(f"{case_dir}/case.yaml: unknown kind {kind!r}")
    path = work / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    return path


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


def run_case(enamel: str, case_dir: Path, declare_pacs: bool) -> tuple[str, Counter, list[str]]:
    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    counts: Counter = Counter()
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        inv = build_inventory(case_dir, case, Path(tmp), declare_pacs)
        proc = subprocess.run(
            [enamel, "scan", "--onprem", str(inv), "--format", "json"], capture_output=True, text=True, timeout=300
        )
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            line = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            for rule in case["expected"]:
                counts["error"] += 1
            return case["kind"], counts, [f"{case_dir.name}: crash rc={proc.returncode}: {line}"]
    got: dict[str, str] = {}
    for f in report.get("findings", []):
        rid, st = f["rule_id"], f["status"]
        if rid not in got or ORDER.get(st, 5) > ORDER.get(got[rid], 5):
            got[rid] = st
    for rule, exp in case["expected"].items():
        c = classify(exp, got.get(rule))
        counts[c] += 1
        if c != "ok":
            notes.append(f"{case['kind']}/{case_dir.name}: {rule} expected {exp} got {got.get(rule)} [{c}]")
    return case["kind"], counts, notes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enamel", default=str(Path(__file__).resolve().parent.parent / ".venv/bin/enamel"))
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parent.parent / "tests/corpus"))
    ap.add_argument("--declare-pacs", action="store_true", help="pass the cases' PACS hosts as nginx pacs_upstreams")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = ap.parse_args()
    cases = sorted(p.parent for p in Path(args.corpus).glob("*/*/case.yaml"))
    if not cases:
        print(f"{args.corpus}: no case.yaml found", file=sys.stderr)
        return 2
    by_kind: dict[str, Counter] = defaultdict(Counter)
    n_cases: Counter = Counter()
    all_notes: list[str] = []
    for d in cases:
        kind, counts, notes = run_case(args.enamel, d, args.declare_pacs)
        by_kind[kind].update(counts)
        n_cases[kind] += 1
        all_notes.extend(notes)
    cols = ["ok", "false_pass", "false_fail", "error", "other"]
    print(f"{'kind':10} {'cases':>5} " + " ".join(f"{c:>10}" for c in cols))
    total: Counter = Counter()
    for kind in sorted(by_kind):
        total.update(by_kind[kind])
        print(f"{kind:10} {n_cases[kind]:>5} " + " ".join(f"{by_kind[kind][c]:>10}" for c in cols))
    print(f"{'total':10} {sum(n_cases.values()):>5} " + " ".join(f"{total[c]:>10}" for c in cols))
    if args.verbose:
        print("\n".join(all_notes))
    return 0 if not (total["false_pass"] or total["false_fail"] or total["error"] or total["other"]) else 1


if __name__ == "__main__":
    sys.exit(main())
