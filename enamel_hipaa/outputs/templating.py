"""Jinja2 environment over reports/templates and the view model the templates share."""

from __future__ import annotations

from collections import Counter, defaultdict

import jinja2

from enamel_hipaa.core import cleantext, paths
from enamel_hipaa.core.model import SEVERITIES
from enamel_hipaa.outputs import citation_title
from enamel_hipaa.outputs.admin import admin_safeguards

_ENV: dict = {}


def env(autoescape: bool | str) -> jinja2.Environment:
    """autoescape True: HTML; False: plain text (email text, YAML); "markdown": values are
    cleaned (one line, no escape sequences) and HTML-escaped, as Markdown renders HTML."""
    if autoescape not in _ENV:
        e = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(paths.templates_dir())),
            autoescape=bool(autoescape),
            finalize=_md_value if autoescape == "markdown" else None,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        e.filters["mdcell"] = lambda s: cleantext.one_line(s).replace("|", "\\|").replace("`", "'")
        _ENV[autoescape] = e
    return _ENV[autoescape]


def _md_value(v):
    return cleantext.one_line(v) if isinstance(v, str) else v


def template(name: str, autoescape: bool = False) -> jinja2.Template:
    """A template from the environment its kind needs (*.md.j2: the Markdown one)."""
    return env("markdown" if name.endswith(".md.j2") else autoescape).get_template(name)


def view(report: dict, ctx) -> dict:
    findings = report["findings"]
    problems = [f for f in findings if f["status"] in ("fail", "unknown", "error")]
    families: dict[str, Counter] = defaultdict(Counter)
    cited = set()
    for f in findings:
        for c in f["hipaa"]:
            cited.add(c)
            fam = (ctx.catalogue.get(c) or {}).get("family", c)
            families[fam][f["status"]] += 1
    return {
        "report": report,
        "scan": report["scan"],
        "summary": report["summary"],
        "severities": SEVERITIES,
        "problems": problems,
        "waived": [f for f in findings if f["status"] == "waived"],
        "passed": [f for f in findings if f["status"] == "pass"],
        "expired_waivers": [w for w in report.get("waivers", []) if w["expired"]],
        "errors": report["errors"],
        "families": sorted(families.items()),
        "citations": sorted((c, citation_title(ctx, c)) for c in cited),
        "cite": lambda c: citation_title(ctx, c),
        "admin": admin_safeguards(report),
    }


def render_template(name: str, report: dict, ctx, autoescape: bool, extra: dict | None = None) -> str:
    return template(name, autoescape).render(**view(report, ctx), **(extra or {}))
