"""A practice with N S3 buckets (resources file), for the report-size and print tests and the
engine benchmark (bench/engine.py), and the headless Chromium helpers the tests share (screenshots, print to PDF, DOM measurements).

Buckets start from a compliant PHI bucket and get 0-3 random (seeded) defects, some of them
unknown values, so every status shows up and groups hold hundreds of resources."""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
from pathlib import Path

BASE = {
    "arn": "arn:aws:s3:::b",
    "tags": {"data_class": "phi"},
    "encryption": {
        "sse_algorithm": "aws:kms",
        "kms_key_id": "k",
        "kms_key_managed_by": "customer",
        "bucket_key_enabled": True,
    },
    "versioning": {"status": "Enabled", "mfa_delete": False},
    "object_lock": {"enabled": True, "mode": "COMPLIANCE", "retention_days": 2555},
    "public_access_block": {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    },
    "ownership": {"object_ownership": "BucketOwnerEnforced"},
    "acl": {"public_grants": []},
    "policy": {
        "present": True,
        "denies_insecure_transport": True,
        "min_tls_version": "1.2",
        "allows_public": False,
        "cross_account_principals": [],
    },
    "logging": {"enabled": True, "target_bucket": "logs"},
    "lifecycle": {"enabled": True, "archive_transition": True, "rules": 1},
    "replication": {
        "enabled": True,
        "destinations": [
            {"bucket": "r", "account": "1", "region": "us-west-2", "kms_key_id": "k2", "storage_class": None}
        ],
    },
}
DEFECTS = [
    ("encryption", "sse_algorithm", "AES256"),
    ("versioning", "status", "Suspended"),
    ("object_lock", "retention_days", 30),
    ("public_access_block", "block_public_policy", False),
    ("policy", "min_tls_version", "1.0"),
    ("logging", "enabled", False),
    ("policy", "denies_insecure_transport", {"$unknown": "AccessDenied"}),
]


def bucket_records(
    n: int, seed: int = 7, prefix: str = "dental-xray-archive-bucket", defects: list = DEFECTS
) -> list[dict]:
    """N resources-file records of S3 buckets: the compliant BASE with 0-3 seeded `defects`
    each. Shared with bench/engine.py (one synthetic-practice generator)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        props = copy.deepcopy(BASE)
        props["arn"] = f"arn:aws:s3:::{prefix}-{i:04d}"
        for group, key, value in rnd.sample(defects, rnd.randint(0, 3)):
            props[group][key] = value
        out.append(
            {
                "type": "aws.s3_bucket",
                "id": props["arn"],
                "name": f"{prefix}-{i:04d}",
                "source": "file",
                "account": "111122223333",
                "region": "us-east-1",
                "properties": props,
            }
        )
    return out


def write_resources(path: Path, n: int, seed: int = 7, prefix: str = "dental-xray-archive-bucket") -> Path:
    path.write_text(json.dumps({"resources": bucket_records(n, seed, prefix)}))
    return path


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args: list[str], profile: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    exe = chromium()
    return subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, timeout=timeout, check=True
    )


def screenshot(page: Path, png: Path, size: tuple[int, int], profile: Path) -> Path:
    _run([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.as_uri()], profile)
    return png


def print_pdf(page: Path, pdf: Path, profile: Path) -> Path:
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], profile, timeout=300)
    return pdf


# Moves the document's @media print rules to the top level (so the screen layout becomes the
# print layout), then reports every element whose box or content sticks out to the right of
# the page or of its own clipping box. The result is written into the DOM for --dump-dom.
MEASURE = """<script>
addEventListener("load", function () {
  for (const sheet of document.styleSheets) {
    const rules = Array.from(sheet.cssRules);
    rules.forEach(function (r) {
      if (r.media && r.media.mediaText.indexOf("print") >= 0) {
        Array.from(r.cssRules).forEach(function (inner) { sheet.insertRule(inner.cssText, sheet.cssRules.length); });
      }
    });
  }
  const page = document.documentElement.clientWidth, bad = [];
  document.querySelectorAll("body *").forEach(function (el) {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) return;
    const st = getComputedStyle(el);
    if (box.right > page + 1) bad.push("right " + el.tagName + " " + Math.round(box.right) + ">" + page + " " + (el.className.baseVal === undefined ? el.className : ""));
    if (st.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1 && el.tagName !== "svg")
      bad.push("clip " + el.tagName + " " + el.scrollWidth + ">" + el.clientWidth);
  });
  const out = document.createElement("pre");
  out.id = "enamel-measure";
  out.textContent = JSON.stringify({page: page, scroll: document.documentElement.scrollWidth, bad: bad.slice(0, 50), count: bad.length});
  document.body.appendChild(out);
});
</script>"""


def measure_print_layout(html: str, width_px: int, tmp: Path) -> dict:
    """Lay the page out at a printable width with its print styles, in Chromium; return
    {page, scroll, bad: [...], count} where `bad` lists elements wider than the page."""
    page = tmp / f"measure-{width_px}.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    r = _run(
        ["--dump-dom", "--virtual-time-budget=5000", f"--window-size={width_px},1200", page.as_uri()],
        tmp / "profile-measure",
    )
    dom = r.stdout.decode("utf-8", "replace")
    start = dom.index('<pre id="enamel-measure">') + len('<pre id="enamel-measure">')
    text = dom[start : dom.index("</pre>", start)]
    import html as html_mod

    return json.loads(html_mod.unescape(text))
