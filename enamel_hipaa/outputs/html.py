"""Standalone HTML report (no external assets; prints cleanly), from report.html.j2."""
from enamel_hipaa.outputs.templating import render_template


def render(report: dict, ctx) -> str:
    return render_template("report.html.j2", report, ctx, autoescape=True)
