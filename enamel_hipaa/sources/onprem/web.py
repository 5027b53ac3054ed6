"""Live PACS web/REST probe: is the API reachable without credentials, and does it take a
vendor default user/password? Only against inventory targets; passwords never printed."""

from __future__ import annotations

from urllib.parse import urlsplit

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.onprem import httpget


def _pairs(entry: dict) -> list[tuple[str, str]]:
    """The inventory's default_credentials, else the shipped vendor/sample list
    (rules/data/weak-credentials.yaml), at most its max_attempts pairs."""
    from enamel_hipaa.sources.onprem import weakcreds

    weak = weakcreds.load()
    if entry.get("default_credentials"):
        return [tuple(p.partition(":")[::2]) for p in entry["default_credentials"]][: weak.max_attempts]
    return weak.to_try()


def collect(entry: dict, timeout: float) -> Resource:
    name = entry["name"]
    url = entry["url"].rstrip("/") + entry.get("path", "/system")
    props = {"url": url, "https": urlsplit(url).scheme == "https"}

    def res(error=None):
        return Resource(
            type="onprem.pacs_web", id=f"web:{url}", name=name, source="probe", properties=props, error=error
        )

    try:
        status, _ = httpget.get(url, timeout)
    except OSError as exc:
        return res(error=f"{url}: {httpget.reason(exc)}")
    props["status_without_credentials"] = status
    if 200 <= status < 300:
        props["anonymous_access"] = True
        props["default_credentials_accepted"] = unknown("the API needs no credentials at all")
        return res()
    if status not in (401, 403):
        props["anonymous_access"] = unknown(f"HTTP {status} without credentials (expected 2xx, 401 or 403)")
        props["default_credentials_accepted"] = unknown(f"HTTP {status} without credentials")
        return res()
    props["anonymous_access"] = False
    accepted = False
    pairs = _pairs(entry)
    props["credentials_tried"] = len(pairs)
    for user, password in pairs:
        try:
            s, _ = httpget.get(url, timeout, user, password)
        except OSError as exc:
            props["default_credentials_accepted"] = unknown(f"retry with credentials failed: {httpget.reason(exc)}")
            return res()
        if 200 <= s < 300:
            accepted = True
            props["accepted_user"] = user  # the user name only; the password is never kept
            break
        if s not in (401, 403):  # only a refusal says "not accepted"; a 5xx or redirect says nothing
            props["default_credentials_accepted"] = unknown(f"HTTP {s} with credentials (expected 2xx, 401 or 403)")
            return res()
    props["default_credentials_accepted"] = accepted
    return res()
