"""Attestation test fixtures: registers under tests/fixtures/attestation/ write their dates as
"<days:N>" (N days from the day the test runs), so verdicts never age."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "attestation"
_DAYS = re.compile(r"<days:(-?\d+)>")


def day(offset: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=offset)).isoformat()


def register(tmp_path: Path, name: str, edit=None) -> Path:
    """Copy fixture `name` into tmp_path with its relative dates resolved; `edit(text)` may
    change the text first (for the bad-input cases)."""
    text = (FIXTURES / name).read_text()
    if edit:
        text = edit(text)
    text = _DAYS.sub(lambda m: day(int(m.group(1))), text)
    out = tmp_path / name
    out.write_text(text)
    return out


def by_rule(report: dict, prefix: str = "attestation-") -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in report["findings"]:
        if f["rule_id"].startswith(prefix):
            out.setdefault(f["rule_id"], []).append(f)
    return out
