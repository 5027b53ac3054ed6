"""JUnit XML: one testsuite per rule, one testcase per rule x resource."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from enamel_hipaa.core import cleantext


def render(report: dict, ctx) -> str:
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in report["findings"]:
        by_rule[f["rule_id"]].append(f)
    root = ET.Element("testsuites", name="enamel", tests=str(len(report["findings"])))
    totals = defaultdict(int)
    for rule_id in sorted(by_rule):
        items = by_rule[rule_id]
        counts = defaultdict(int)
        suite = ET.SubElement(root, "testsuite", name=rule_id)
        for f in items:
            r = f["resource"]
            case = ET.SubElement(suite, "testcase", classname=rule_id, name=f"{r['type']} {r['id']}")
            st = f["status"]
            text = f"{f['message']}\nHIPAA: {', '.join(f['hipaa'])}\nRemediation: {f['remediation']}"
            if st == "fail":
                el = ET.SubElement(case, "failure", message=f["message"], type=f["severity"])
                el.text = text
                counts["failures"] += 1
            elif st in ("error", "unknown"):
                el = ET.SubElement(case, "error", message=f["message"], type=st)
                el.text = text
                counts["errors"] += 1
            elif st in ("skip", "waived"):
                reason = f["message"] if st == "skip" else f"waived: {(f.get('waiver') or {}).get('reason', '')}"
                ET.SubElement(case, "skipped", message=reason)
                counts["skipped"] += 1
        suite.set("tests", str(len(items)))
        for k in ("failures", "errors", "skipped"):
            suite.set(k, str(counts[k]))
            totals[k] += counts[k]
    for k in ("failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    ET.indent(root)
    # characters XML 1.0 forbids (control characters in a resource name) become '?'
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + cleantext.xml(ET.tostring(root, encoding="unicode")) + "\n"
