"""Standalone HTML report, summary first (report.html.j2): scores per safeguard family and
paragraph, charts, findings grouped by rule and filterable. One file: inline CSS, SVG and a
small script; nothing is fetched. Prints on A4 and Letter without clipping."""

from enamel_hipaa.outputs import report_view as rv
from enamel_hipaa.outputs.templating import render_template


def html_view(report: dict, ctx) -> dict:
    findings = report["findings"]
    families, paragraphs = rv.matrices(findings, ctx)
    groups = rv.rule_groups(findings, ctx)
    return {
        "groups": groups,
        "passing": rv.passing_groups(findings),
        "fam_rows": families,
        "par_rows": paragraphs,
        "score": rv.overall_score(findings),
        "matrix_statuses": rv.MATRIX,
        "charts": rv.build_charts(families, report["summary"], getattr(ctx, "trend", None)),
        "filters": rv.filter_options(groups),
        "print_names": rv.PRINT_NAMES,
    }


def render(report: dict, ctx) -> str:
    return render_template("report.html.j2", report, ctx, autoescape=True, extra=html_view(report, ctx))
