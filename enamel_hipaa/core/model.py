"""The contracts: Resource, Rule, Finding, statuses and severities (plain, frozen data)."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCES = ("plan", "state", "live", "file", "probe", "attestation")
STATUSES = ("pass", "fail", "unknown", "error", "waived", "skip")
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info=0 .. critical=4

# A property value the source could not know (Pulumi's unknown, a secret, a denied call)
# is written in `properties` as {"$unknown": "why"}; one whose read failed as {"$error": "why"}.
UNKNOWN_KEY = "$unknown"
ERROR_KEY = "$error"


def unknown(reason: str) -> dict:
    return {UNKNOWN_KEY: reason}


def error_value(reason: str) -> dict:
    return {ERROR_KEY: reason}


@dataclass(frozen=True, slots=True)
class Resource:
    type: str
    id: str
    name: str
    source: str
    properties: dict
    account: str | None = None
    region: str | None = None
    # set when the source failed for this resource as a whole: every rule on it is `error`
    error: str | None = None
    # where the resource is declared, for file-backed sources: {"path": str, "line": int}
    origin: dict | None = None

    def ref(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "account": self.account,
            "region": self.region,
        }

    def to_dict(self) -> dict:
        d = self.ref()
        d["properties"] = self.properties
        if self.error:
            d["error"] = self.error
        if self.origin:
            d["origin"] = self.origin
        return d


@dataclass(frozen=True, slots=True)
class CollectionError:
    """A source that failed (AccessDenied, timeout, ...). When `resource_type` is known,
    every rule on that type yields an `error` finding for the affected scope."""

    source: str
    service: str
    message: str
    region: str | None = None
    account: str | None = None
    resource_type: str | None = None

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "service": self.service,
            "region": self.region,
            "account": self.account,
            "resource_type": self.resource_type,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: str
    resource: str
    hipaa: tuple[str, ...]
    assertion: dict
    message: str
    remediation: str
    path: str
    description: str = ""
    seed: str = ""
    references: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    where: dict | None = None
    provider: str = ""


WAIVER_SOURCES = ("file", "inline")


@dataclass(frozen=True, slots=True)
class Waiver:
    """A waivers-file entry (`source` "file": an expiry is required), or a suppression written
    in the scanned code itself (`source` "inline", e.g. `#checkov:skip=ID:reason`: no expiry,
    it lives and dies with the line that carries it)."""

    rule: str
    resource: str
    reason: str
    owner: str
    expires: str | None  # ISO date; None only for inline suppressions
    expired: bool = False
    source: str = "file"

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "resource": self.resource,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires,
            "expired": self.expired,
            "source": self.source,
        }


class Finding:
    """One rule applied to one resource; immutable (`replace` returns a changed copy).
    `message`, `evidence` (the observed values) and `expected` are either given (findings
    mapped from another tool) or worked out on first read by `explainer` (the compiled rule),
    which keeps evaluation cheap when a report never reads them."""

    __slots__ = (
        "rule",
        "resource",
        "status",
        "waiver",
        "detail",
        "explainer",
        "_message",
        "_evidence",
        "_expected",
        "_observed",
        "location",
    )

    def __init__(
        self,
        rule: Rule,
        resource: "Resource | dict",
        status: str,
        *,
        detail: str | None = None,
        explainer=None,
        message: str | None = None,
        evidence: dict | None = None,
        waiver: "Waiver | None" = None,
        location: dict | None = None,
        expected: list | None = None,
    ):
        if location is None and isinstance(resource, Resource) and resource.origin:
            origin = resource.origin  # a resource read from a file points its findings at it (SARIF)
            if isinstance(origin.get("path"), str) and isinstance(origin.get("line"), int):
                location = {"path": origin["path"], "start_line": max(1, origin["line"])}
                if isinstance(origin.get("end_line"), int) and origin["end_line"] >= location["start_line"]:
                    location["end_line"] = origin["end_line"]
        init = object.__setattr__
        init(self, "rule", rule)
        init(self, "resource", resource)  # a dict for scope-level errors (no single resource)
        init(self, "status", status)
        init(self, "detail", detail)
        init(self, "explainer", explainer)
        init(self, "waiver", waiver)
        init(self, "_message", message)
        init(self, "_evidence", evidence)
        init(self, "_expected", expected)
        init(self, "_observed", None)
        init(self, "location", location)  # {"path", "start_line", "end_line"} for file-backed findings

    def __setattr__(self, name, value):
        raise AttributeError(f"Finding is immutable: use replace({name}=...)")

    def replace(self, **changes) -> "Finding":
        """A copy with some fields changed. The explanation is worked out first, so a waived
        finding still explains its real outcome."""
        kw = dict(
            detail=self.detail,
            explainer=self.explainer,
            waiver=self.waiver,
            location=self.location,
            message=self.message,
            evidence=self.evidence,
            expected=self.expected,
        )
        kw.update(changes)
        return Finding(
            self.rule,
            changes.pop("resource", self.resource),
            changes.pop("status", self.status),
            **{k: v for k, v in kw.items() if k not in ("resource", "status")},
        )

    @property
    def message(self) -> str:
        if self._message is None:
            object.__setattr__(self, "_message", self.explainer.explain(self) if self.explainer else "")
        return self._message

    @property
    def evidence(self) -> dict:
        """The observed values of the keys the rule reads."""
        if self._evidence is None:
            object.__setattr__(self, "_evidence", self.explainer.evidence(self) if self.explainer else {})
        return self._evidence

    @property
    def observed(self) -> str:
        """What was seen, in the rule's own words (the message without its verdict tail)."""
        if self._observed is None:
            fn = getattr(self.explainer, "observed", None)
            object.__setattr__(self, "_observed", fn(self) if fn else self.message)
        return self._observed

    @property
    def expected(self) -> list:
        """The rule's conditions with parameters bound: [{"key", "op", "value"}, ...]."""
        if self._expected is None:
            object.__setattr__(self, "_expected", self.explainer.expected() if self.explainer else [])
        return self._expected

    @property
    def resource_ref(self) -> dict:
        r = self.resource
        return r.ref() if isinstance(r, Resource) else r

    def to_dict(self) -> dict:
        rule = self.rule
        d = {
            "rule_id": rule.id,
            "title": rule.title,
            "severity": rule.severity,
            "status": self.status,
            "resource": self.resource_ref,
            "hipaa": list(rule.hipaa),
            "message": self.message,
            "evidence": self.evidence,
            "observed": self.observed,
            "expected": self.expected,
            "remediation": rule.remediation,
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }
        if self.location:
            d["location"] = self.location
        return d
