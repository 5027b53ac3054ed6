"""aws.backup_plan: how often a Backup plan rule runs, from its ScheduleExpression (live and plan alike)."""

from __future__ import annotations


def frequency_hours(expr: str | None) -> int | None:
    """Hours between runs of a Backup schedule: cron(min hour day-of-month month day-of-week year)
    or rate(N unit); None when it cannot be read (unknown, never "frequent")."""
    text = (expr or "").strip()
    if text.startswith("rate(") and text.endswith(")"):
        n, _, unit = text[5:-1].strip().partition(" ")
        per = {"minute": 0, "minutes": 0, "hour": 1, "hours": 1, "day": 24, "days": 24}.get(unit.strip())
        return None if per is None or not n.isdigit() else max(1, int(n) * per) if per else 1
    if not (text.startswith("cron(") and text.endswith(")")):
        return None
    f = text[5:-1].split()
    if len(f) != 6:
        return None
    _, hour, dom, _, dow, _ = f
    if hour == "*" or "/" in hour or "," in hour or "-" in hour:
        return 1 if hour == "*" else 12
    if dom in ("*", "?") and dow in ("*", "?"):
        return 24
    if dom in ("*", "?"):
        return 168 if dow.count(",") == 0 and "-" not in dow else 24
    return 720
