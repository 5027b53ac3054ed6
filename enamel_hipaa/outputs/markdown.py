"""Markdown report (pull-request comments, wikis), from reports/templates/report.md.j2."""

from enamel_hipaa.outputs.templating import render_template


def render(report: dict, ctx) -> str:
    return render_template("report.md.j2", report, ctx, autoescape=False)
