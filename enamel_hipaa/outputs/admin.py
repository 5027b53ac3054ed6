"""The view model of the "Administrative safeguards" report section: attestation findings
grouped by what a compliance officer keeps on file. Shared by the HTML and Markdown reports
and the weekly e-mail, which all include reports/templates/_admin_safeguards.{html,md}.j2.

Context contract of those partials: one variable, `admin` = admin_safeguards(report):
    {"assessed": bool,           # the scan read an attestation register
     "counts": {status: n},      # over all attestation findings (skips left out)
     "groups": [{"key", "title", "counts": {status: n},
                 "problems": [finding, ...],   # fail / unknown / error, worst first
                 "passed": [finding, ...]}]}   # pass / waived
where each finding is the JSON report's finding dict (rule_id, title, status, severity,
resource{type,id,name}, hipaa, message, remediation, ...). Groups are always all present,
in this order, so a reader sees an empty group as "nothing recorded here".
"""

from __future__ import annotations

GROUPS = (
    ("vendors", "Vendors and business associate agreements"),
    ("risk_analysis", "Security risk analysis"),
    ("training", "Workforce training"),
    ("contingency", "Contingency plan: restore tests"),
    ("disposal", "Retention and media disposal"),
    ("access", "Key rotation and access reviews"),
)
_BY_TYPE = {
    "attestation.vendor": "vendors",
    "attestation.external_party": "vendors",
    "attestation.training_record": "training",
    "attestation.restore_test": "contingency",
    "attestation.disposal_record": "disposal",
}
# register-level findings are grouped by the paragraph they cite first
_BY_CITATION = {"164.308(a)(1)(ii)(A)": "risk_analysis", "164.316(b)(1)": "disposal", "164.310(d)(1)": "disposal"}
PROBLEMS = ("fail", "error", "unknown")
STATUSES = ("fail", "error", "unknown", "waived", "pass")


def group_of(finding: dict) -> str:
    rtype = finding["resource"]["type"]
    if rtype in _BY_TYPE:
        return _BY_TYPE[rtype]
    return next((_BY_CITATION[c] for c in finding["hipaa"] if c in _BY_CITATION), "access")


def admin_safeguards(report: dict) -> dict:
    groups = {
        key: {"key": key, "title": title, "counts": {s: 0 for s in STATUSES}, "problems": [], "passed": []}
        for key, title in GROUPS
    }
    totals = {s: 0 for s in STATUSES}
    assessed = False
    for f in report["findings"]:
        if not f["resource"]["type"].startswith("attestation."):
            continue
        assessed = True
        if f["status"] not in STATUSES:  # skip: out of scope, not worth a line
            continue
        g = groups[group_of(f)]
        g["counts"][f["status"]] += 1
        totals[f["status"]] += 1
        (g["problems"] if f["status"] in PROBLEMS else g["passed"]).append(f)
    return {"assessed": assessed, "counts": totals, "groups": list(groups.values())}
