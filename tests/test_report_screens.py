"""The report surfaces at scale, looked at through headless Chromium: a 1,000-bucket scan's
HTML report (laid out at A4 and Letter printable widths with its print styles: no element
sticks out), its printed PDF pages (pdftoppm), the MSP roll-up, and the weekly email of
1,000 buckets (HTML body under 100 KB, the trend chart an inline PNG, the report attached).

With ENAMEL_UPDATE_SCREENSHOT=1 the screenshots are copied to docs/screenshots/."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import big_scan
from conftest import ROOT, run_enamel, shipped_rules

BUCKETS = 1000
A4_PX, LETTER_PX = 703, 725  # printable width at 96 px/in with the report's 12 mm margins
DOCS = ROOT / "docs" / "screenshots"
EMAIL_BODY_LIMIT = 100 * 1024

needs_chromium = pytest.mark.skipif(
    big_scan.chromium() is None, reason="Debian chromium not installed (make test installs it)"
)


def keep(png: Path, name: str) -> None:
    if os.environ.get("ENAMEL_UPDATE_SCREENSHOT"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, DOCS / name)


def not_blank(png: Path, min_colours: int = 20) -> None:
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 22)
    assert colours is not None and len(colours) > min_colours
    background = max(colours)[1]
    assert sum(n for n, c in colours if c != background) > 0.03 * img.size[0] * img.size[1]


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    res = big_scan.write_resources(d / "buckets.json", BUCKETS)
    r = run_enamel("scan", "--resources", res, "--format", "html,json", "--output-dir", d / "out", "-q", timeout=600)
    assert r.returncode == 1, r.stderr  # the generated practice has failing buckets
    return d


def test_pass_1000_bucket_report_groups_findings_by_rule_and_stays_small(big):
    html = (big / "out" / "enamel-report.html").read_text()
    report = json.loads((big / "out" / "enamel-report.json").read_text())
    problems = sum(report["summary"]["by_status"][s] for s in ("fail", "unknown", "error"))
    groups = html.count('<section class="group')
    assert problems > 1000 and 0 < groups < 20  # one block per rule, not one row per finding
    assert html.count("<details>") == groups  # each rule's resources collapsed
    assert " eq " not in html and "expected:" not in html  # plain words, no rule syntax
    assert len(html.encode()) < 2_000_000, len(html.encode())


@needs_chromium
@pytest.mark.parametrize("width", [A4_PX, LETTER_PX], ids=["A4", "Letter"])
def test_pass_1000_bucket_report_prints_with_nothing_clipped(big, tmp_path, width):
    html = (big / "out" / "enamel-report.html").read_text()
    m = big_scan.measure_print_layout(html, width, tmp_path)
    assert m["page"] == width and m["scroll"] <= width, m
    assert m["bad"] == [], m


@needs_chromium
def test_fail_clip_measurement_catches_an_overflowing_cell(tmp_path):
    """The measurement above is not vacuous: a no-wrap cell in print is reported."""
    page = (
        "<html><head><style>@media print { td { white-space: nowrap } }</style></head><body>"
        f"<table><tr><td>{'x' * 400}</td></tr></table></body></html>"
    )
    m = big_scan.measure_print_layout(page, A4_PX, tmp_path)
    assert m["count"] > 0 and any(b.startswith("right TD") for b in m["bad"])


@needs_chromium
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed (make test installs it)")
def test_pass_1000_bucket_report_screenshots_and_printed_pages(big, tmp_path):
    page = big / "out" / "enamel-report.html"
    png = big_scan.screenshot(page, tmp_path / "report-1000.png", (1280, 1600), tmp_path / "p1")
    not_blank(png)
    keep(png, "report-1000-buckets.png")
    pdf = big_scan.print_pdf(page, tmp_path / "report.pdf", tmp_path / "p2")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 1 < pages < 40, pages  # 1,000 buckets on a handful of pages, not hundreds
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    shots = sorted(tmp_path.glob("page-*.png"))
    assert len(shots) == 3
    for i, shot in enumerate(shots, 1):
        not_blank(shot)
        keep(shot, f"report-print-page{i}.png")


def _rollup_world(d: Path) -> list[tuple[dict, dict]]:
    """Twelve tenants of various sizes and health, as `tenants scan` leaves them."""
    from enamel_hipaa.core.engine import evaluate
    from enamel_hipaa.core.model import Resource
    from enamel_hipaa.core.report import build

    rs = shipped_rules()
    s3 = [r for r in rs.rules if r.resource == "aws.s3_bucket"]
    names = [
        "Bright Smile Dental",
        "Cedar Kids Dentistry",
        "Acme Dental Group",
        "Harbor Orthodontics",
        "Maple Family Dental",
        "Summit Oral Surgery",
        "Lakeside Endodontics",
        "Pine Street Dental",
        "Riverbend Pediatric Dentistry",
        "Oakwood Periodontics",
        "Sunrise Dental Care",
        "Valley Implant Center",
    ]
    entries = []
    for i, name in enumerate(names):
        path = big_scan.write_resources(d / f"t{i}.json", 5 + 7 * i, seed=i, prefix=f"t{i}-archive")
        res = [Resource(**{k: v for k, v in r.items()}) for r in json.loads(path.read_text())["resources"]]
        report = build(
            evaluate(s3, res),
            [],
            started_at="2026-11-28T06:00:00Z",
            tenant=name,
            sources=["file"],
            rules_digest=rs.digest,
            fail_on="high",
        )
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
        status = {
            "name": slug,
            "display_name": name,
            "complete": i != 3,
            "report": "enamel-report.json",
            "finished_at": "2026-11-28T06:01:00Z",
            "error": None if i != 3 else "AccessDenied on s3:ListBuckets",
            "trend": None,
        }
        entries.append((status, report))
    return entries


@needs_chromium
def test_pass_rollup_fits_a_laptop_screen_with_a_risk_chart_per_tenant(tmp_path):
    from enamel_hipaa.outputs import rollup

    roll = rollup.build_rollup(_rollup_world(tmp_path), shipped_rules().catalogue)
    html = rollup.render("html", roll)
    assert html.count('<svg class="chart"') == 1 + len(roll["tenants"])  # the overview + one per tenant
    page = tmp_path / "rollup.html"
    page.write_text(html)
    m = big_scan.measure_print_layout(html.replace("@media print", "@media not-used"), 1366, tmp_path)
    assert m["scroll"] <= 1366 and m["bad"] == [], m  # no horizontal scrolling on a 1366 px laptop
    png = big_scan.screenshot(page, tmp_path / "rollup.png", (1366, 900), tmp_path / "p")
    not_blank(png)
    keep(png, "rollup.png")


@pytest.fixture(scope="module")
def weekly_1000(tmp_path_factory):
    """Two weekly runs over 1,000 buckets (the second changes some buckets): the .eml."""
    d = tmp_path_factory.mktemp("weekly")
    db = d / "history.sqlite3"
    config = d / "empty-config.yaml"
    config.write_text("")
    env = dict(os.environ, ENAMEL_CONFIG=str(config))
    for k in ("ENAMEL_SMTP_HOST", "ENAMEL_SMTP_PORT", "ENAMEL_SMTP_USER", "ENAMEL_SMTP_FROM", "ENAMEL_SMTP_PASSWORD"):
        env.pop(k, None)
    for week, seed in ((1, 7), (2, 8)):
        res = big_scan.write_resources(d / f"week{week}.json", BUCKETS, seed=seed)
        r = run_enamel(
            "report",
            "weekly",
            "--resources",
            res,
            "--tenant",
            "Bright Smile Dental",
            "--history",
            db,
            "-q",
            "--email",
            "officer@bsd.example",
            "--smtp-from",
            "enamel@bsd.example",
            "--out",
            d / f"out{week}",
            env=env,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr
    [eml] = list((d / "out2").iterdir())
    return email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)


def test_pass_weekly_email_of_1000_buckets_has_html_body_under_100_kb(weekly_1000):
    msg = weekly_1000
    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    assert len(html.encode("utf-8")) < EMAIL_BODY_LIMIT, len(html.encode("utf-8"))
    assert len(html_part.as_bytes()) < EMAIL_BODY_LIMIT  # as sent (quoted-printable)
    assert "cid:trend@enamel" in html
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    png = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert png.get_content()[:8] == b"\x89PNG\r\n\x1a\n" and png["Content-ID"] == "<trend@enamel>"
    attachments = {p.get_filename(): p for p in msg.iter_attachments()}
    full = next(p for name, p in attachments.items() if name.endswith(".html")).get_content()
    assert len(full.encode()) > len(html.encode())  # the full report is attached, not squeezed in
    assert "more" in html  # long lists end in "... and N more"
    zipped = next(p for name, p in attachments.items() if name.endswith(".csv.zip"))
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zipped.get_content())) as z:
        [name] = z.namelist()
        assert z.read(name).decode().startswith("status,severity,rule_id")
    assert len(msg.as_bytes()) < 3_000_000  # the whole message, attachments included


@needs_chromium
def test_pass_weekly_email_of_1000_buckets_renders_in_chromium(weekly_1000, tmp_path):
    msg = weekly_1000
    html = msg.get_body(("html",)).get_content()
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    png = next(p for p in related.iter_parts() if p.get_content_type() == "image/png").get_content()
    # a browser cannot resolve cid: links; inline the same PNG as a data URI for the screenshot
    page = tmp_path / "email.html"
    page.write_text(html.replace("cid:trend@enamel", "data:image/png;base64," + base64.b64encode(png).decode()))
    shot = big_scan.screenshot(page, tmp_path / "email.png", (760, 1800), tmp_path / "p")
    not_blank(shot)
    keep(shot, "weekly-email-1000-buckets.png")
