"""Webhook notifier: new critical/high problems (fail, unknown, error) as one JSON POST that
Slack incoming webhooks and Microsoft Teams (Workflows "post to a channel when a webhook
request is received") both accept: Slack reads `text` and `blocks`; Teams reads the
Adaptive Card in `attachments`. Names rules and resources only: no evidence, no secrets.
The URL is a secret: it never appears in messages or errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from enamel_hipaa.core.errors import InputError

NOTIFY = ("critical", "high")
PROBLEMS = ("fail", "unknown", "error")
LISTED = 10


def new_problems(findings: list[dict], severities=NOTIFY) -> list[dict]:
    """Critical/high problems, less those a baseline marks as already known (`baseline:
    unchanged`). Pass a drift's `new_failures` to notify only what appeared since last time."""
    return [
        f
        for f in findings
        if f["status"] in PROBLEMS and f["severity"] in severities and f.get("baseline") != "unchanged"
    ]


def payload(items: list[dict], tenant: str | None, report_url: str | None = None) -> dict:
    who = f" for {tenant}" if tenant else ""
    head = f"Enamel: {len(items)} new critical/high HIPAA finding{'s' if len(items) != 1 else ''}{who}"
    lines = [
        f"• {f['severity'].upper()} {f['status']}: {f['title']} ({f['rule_id']}) on "
        f"{f['resource'].get('name') or f['resource'].get('id')} [HIPAA {', '.join(f['hipaa'])}]"
        for f in items[:LISTED]
    ]
    if len(items) > LISTED:
        lines.append(f"… and {len(items) - LISTED} more")
    if report_url:
        lines.append(f"Report: {report_url}")
    text = head + "\n" + "\n".join(lines)
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": True},
            *({"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in lines),
        ],
    }
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
        ],
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def notify(
    url: str, findings: list[dict], tenant: str | None = None, report_url: str | None = None, timeout: float = 15
) -> int:
    """POST the new critical/high problems to `url`; returns how many were sent (0: no request).
    An http(s) URL only; a failed delivery raises InputError without the URL (it is a secret)."""
    items = new_problems(findings)
    if not items:
        return 0
    if not url.startswith(("https://", "http://")):
        raise InputError("webhook", "the webhook URL must start with https:// (or http:// for a local relay)")
    body = json.dumps(payload(items, tenant, report_url)).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        raise InputError("webhook", f"delivery failed: HTTP {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise InputError("webhook", f"delivery failed: {type(reason).__name__}") from None
    return len(items)
