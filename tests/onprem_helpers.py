"""Shared by the on-prem tests: run a scan over an inventory and index its verdicts."""

import json
from pathlib import Path

import yaml

from conftest import run_enamel, validate_report

# planted identifiers: none may appear in any output of a scan
PHI = ("ZEBULONIA^QUIXOTIC^YARROWBY", "PHI-ID-93127", "19490317")


def write_inventory(path: Path, inv: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, **inv}, sort_keys=False), encoding="utf-8")
    return path


def scan(inventory: Path, out: Path, *extra, timeout=120):
    proc = run_enamel(
        "scan",
        "--onprem",
        inventory,
        "--format",
        "all",
        "--output-dir",
        out,
        "--fail-on",
        "none",
        "--show-pass",
        *extra,
        timeout=timeout,
    )
    assert proc.returncode in (0, 3), proc.stderr
    report = json.loads((out / "enamel-report.json").read_text())
    validate_report(report)
    assert proc.returncode == (0 if report["scan"]["complete"] else 3)  # --fail-on none: 3 iff incomplete
    return proc, report


def verdicts(report: dict) -> dict:
    """(rule_id, resource name) -> status"""
    return {(f["rule_id"], f["resource"]["name"]): f["status"] for f in report["findings"]}


def by_rule(report: dict, name: str) -> dict:
    return {f["rule_id"]: f for f in report["findings"] if f["resource"]["name"] == name}


def assert_no_phi(proc, out: Path) -> int:
    """Grep stdout, stderr and every file the scan wrote; returns how many files were read."""
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    for f in out.rglob("*"):
        if f.is_file():
            texts[str(f)] = f.read_text(encoding="utf-8", errors="replace")
    for where, text in texts.items():
        for value in PHI:
            assert value.lower() not in text.lower(), f"planted PHI {value!r} found in {where}"
            if "^" in value:
                for part in value.split("^"):
                    assert part.lower() not in text.lower(), f"planted PHI part {part!r} found in {where}"
    return len(texts)
