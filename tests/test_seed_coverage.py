"""docs/seed-coverage.md and the rules' `seed:` fields (scripts/seed_coverage.py)."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import shutil
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "seed_coverage.py"
RULES = ROOT / "rules"

_spec = importlib.util.spec_from_file_location("seed_coverage", SCRIPT)
sc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sc)

# Bullets no rule checks yet (issue 21). Adding coverage must shrink this set; the test below
# fails both when a listed bullet gains a rule (remove it here) and when a bullet loses its rules.
UNCOVERED: set[str] = set()


@functools.lru_cache(maxsize=None)
def bullets() -> tuple:
    return tuple(sc.load_bullets(RULES))


@functools.lru_cache(maxsize=None)
def seed_rules() -> tuple:
    """The shipped rules as the script reads them (parsed once for this module)."""
    return tuple(sc.load_rules(RULES, {b["id"] for b in bullets()}))


@functools.lru_cache(maxsize=None)
def built() -> tuple:
    return sc.build(RULES)


def run(*args: str) -> SimpleNamespace:
    """The script's main() in this process (what `python scripts/seed_coverage.py ARGS` runs):
    its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = sc.main(list(args))
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_seed_yaml_holds_62_bullets_27_technical_32_administrative_3_physical():
    kinds = [b["kind"] for b in bullets()]
    assert (len(bullets()), kinds.count("T"), kinds.count("A"), kinds.count("P")) == (62, 27, 32, 3)


def test_every_rule_names_only_bullets_that_exist():
    ids = {b["id"] for b in bullets()}
    rules = seed_rules()  # raises BadInput on an unknown id
    named = {x for r in rules for x in r["seed"]}
    assert named <= ids, sorted(named - ids)
    assert len(rules) == len([p for p in RULES.glob("*/*.yaml") if p.parent.name != "data"])


def test_rules_without_a_bullet_say_why():
    rules = seed_rules()
    silent = [r["id"] for r in rules if not r["seed"] and len(r["why_none"]) < 10]
    assert silent == []


def test_uncovered_bullets_are_exactly_the_known_gaps():
    _, rows = built()
    gaps = set(sc.uncovered(rows))
    print("bullets without a rule:", sorted(gaps))
    assert gaps == UNCOVERED, {
        "newly covered (drop from UNCOVERED)": sorted(UNCOVERED - gaps),
        "newly uncovered": sorted(gaps - UNCOVERED),
    }


def test_committed_doc_matches_the_rules():
    proc = run("--check")
    assert proc.returncode == 0, proc.stderr


def test_check_exits_1_when_the_doc_drifts(tmp_path):
    out = tmp_path / "seed-coverage.md"
    out.write_text((ROOT / sc.OUT).read_text(encoding="utf-8").replace("| T1 |", "| T1x |"), encoding="utf-8")
    proc = run("--check", "--out", str(out))
    assert proc.returncode == 1
    assert str(out) in proc.stderr


def _rules_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    dest.mkdir()
    shutil.copy(RULES / "seed.yaml", dest / "seed.yaml")
    (dest / "aws").mkdir()
    shutil.copy(RULES / "aws" / "kms-key-rotation.yaml", dest / "aws" / "kms-key-rotation.yaml")
    return dest


def test_a_rule_naming_an_unknown_bullet_exits_2_naming_file_and_line(tmp_path):
    rules = _rules_copy(tmp_path)
    f = rules / "aws" / "kms-key-rotation.yaml"
    text = f.read_text(encoding="utf-8")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if l.startswith("seed:"))
    f.write_text(text.replace("seed: [K2]", "seed: [K2, Z9]"), encoding="utf-8")
    proc = run("--rules", str(rules), "--out", str(tmp_path / "out.md"))
    assert proc.returncode == 2
    assert f"{f}: line {line}: seed names 'Z9'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.md").exists()


def test_an_empty_seed_without_a_reason_exits_2(tmp_path):
    rules = _rules_copy(tmp_path)
    f = rules / "aws" / "kms-key-rotation.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("seed: [K2]", "seed: []"), encoding="utf-8")
    proc = run("--rules", str(rules), "--out", str(tmp_path / "out.md"))
    assert proc.returncode == 2
    assert "needs a comment" in proc.stderr


def test_onprem_sources_name_the_collector_from_the_resource_type():
    rules = {r["id"]: r for r in seed_rules()}
    assert rules["windows-bitlocker-system-drive"]["source"] == "windows"
    assert rules["dicom-store-stale-phi"]["source"] == "filestore"
    assert rules["pacs-web-https"]["source"] == "web"
    assert rules["attestation-training-current"]["source"] == "attestation"
    types = {yaml.safe_load(p.read_text())["resource"] for p in (RULES / "onprem").glob("*.yaml")}
    assert types <= set(sc.ONPREM_COLLECTORS)


def test_verdicts_split_register_from_real_sources():
    rows = {r["id"]: r for r in built()[1]}
    assert (rows["A3"]["verdict"], rows["A3"]["meets"]) == ("automated", True)  # windows-usb-storage-blocked
    assert (rows["AC3"]["verdict"], rows["AC3"]["meets"]) == ("attested", True)  # attestation-access-review-current
    assert (rows["TR4"]["verdict"], rows["TR4"]["meets"]) == ("automated", True)  # + training-curriculum-complete
    assert (rows["PH1"]["verdict"], rows["PH1"]["meets"]) == ("attested", True)  # facility-access-reviewed
    assert (rows["K3"]["verdict"], rows["K3"]["meets"]) == ("automated", True)  # windows/linux FIPS + register
    assert (rows["AC2"]["verdict"], rows["AC2"]["meets"]) == ("automated", True)  # windows admins + register
    assert (rows["T2"]["verdict"], rows["T2"]["meets"]) == ("automated", True)  # MTA-STS enforced + register


def test_technical_bullet_checked_only_by_the_register_does_not_meet_the_bar():
    bullets = [{"id": "X1", "kind": "T"}, {"id": "X2", "kind": "A"}]
    register_rule = {"id": "r", "seed": ["X1", "X2"], "provider": "attestation"}
    rows = {r["id"]: r for r in sc.coverage(bullets, [register_rule])}
    assert (rows["X1"]["verdict"], rows["X1"]["meets"]) == ("attested", False)
    assert (rows["X2"]["verdict"], rows["X2"]["meets"]) == ("attested", True)
