"""The core of normalising planned-resource records: value helpers (unknown markers,
nested gets, Pulumi type tokens) and `Plan`, the records of one plan indexed for joins.
The per-type builders live in s3.py, network.py and services.py."""

from __future__ import annotations

import re
from collections import defaultdict

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.core.model import UNKNOWN_KEY, Resource, error_value, unknown
from enamel_hipaa.sources.normalise.values import Unknown, is_marker, need, prop
from enamel_hipaa.sources.pulumi import UNKNOWN_SENTINEL

_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


_Unknown = Unknown  # the normalisers' own helpers (sources/normalise/values.py)


def canonical(token: str) -> str:
    parts = token.split(":")
    if len(parts) != 3:
        return token
    pkg, mod, cls = parts
    if mod.endswith("V2"):
        mod = mod[:-2]
    if cls.endswith("V2"):
        cls = cls[:-2]
    return f"{pkg}:{mod}:{cls}"


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _num(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_num(x) for x in v]
    return v


def _secret(v) -> bool:
    return type(v) is dict and v.get(UNKNOWN_KEY) == "secret"


def merged(rec: dict) -> dict:
    """Outputs over inputs, except where the output is computed-unknown (a preview of a
    create) but the input is known. A secret on either side stays a secret."""
    out = dict(rec["inputs"])
    for k, v in rec["outputs"].items():
        if _secret(v) or not (is_marker(v) and k in out and not is_marker(out[k])):
            out[k] = v
    return _num(out)


_prop = prop


def contains_sentinel(doc) -> bool:
    if isinstance(doc, str):
        return UNKNOWN_SENTINEL in doc
    if isinstance(doc, dict):
        return any(contains_sentinel(v) for v in doc.values())
    if isinstance(doc, list):
        return any(contains_sentinel(v) for v in doc)
    return False


def policy_facts(doc, facts, *args) -> dict:
    need(doc)
    try:
        parsed = awspolicy.load_document(doc)
    except ValueError as e:
        return error_value(str(e))
    if contains_sentinel(parsed):
        return unknown("policy contains values computed at deploy time")
    try:
        return facts(parsed, *args)
    except (ValueError, TypeError, AttributeError) as e:
        return error_value(f"policy could not be read: {e}")


class Plan:
    """The records of one plan, indexed for joins."""

    def __init__(self, records: list[dict], source: str, account: str | None, region: str | None):
        self.source = source
        self.records = [dict(r, ctype=canonical(r["type"]), props=merged(r)) for r in records]
        self.by_urn = {r["urn"]: r for r in self.records}
        self.by_type: dict[str, list[dict]] = defaultdict(list)
        for r in self.records:
            self.by_type[r["ctype"]].append(r)
        providers = {}
        for r in self.records:
            if r["ctype"].startswith("pulumi:providers:aws"):
                reg = r["props"].get("region")
                providers[f"{r['urn']}::{r['id']}"] = reg if isinstance(reg, str) else None
                if region is None and r["name"].startswith("default") and isinstance(reg, str):
                    region = reg
        self.region = region or "us-east-1"
        self.providers = providers
        self.urns: dict[tuple[str, str], str] = {}  # (type, id) -> URN of the record it came from
        self.account = account or self._account_from_arns()

    def _account_from_arns(self) -> str | None:
        for r in self.records:
            m = _ARN_ACCOUNT.match(str(r["props"].get("arn") or ""))
            if m:
                return m.group(1)
        return None

    def region_of(self, rec: dict) -> str:
        if rec.get("region"):
            return rec["region"]
        reg = rec["props"].get("region")
        if isinstance(reg, str):
            return reg
        return self.providers.get(rec.get("provider") or "") or self.region

    def ref(self, rec: dict, prop: str, index: dict):
        """The record `rec.prop` points at through `index` (value -> record), by value or
        by property dependency. None when it points at nothing in the plan; a marker when
        the value is unknown and no dependency says where it points."""
        v = rec["props"].get(prop)
        if isinstance(v, str) and v in index:
            return index[v]
        for urn in rec.get("deps", {}).get(prop, []):
            if urn in index:
                return index[urn]
        if is_marker(v):
            return v
        return None

    def named(self, rtype: str, rec: dict, props: dict) -> Resource:
        """A resource identified by its ARN and named by its `name` (Pulumi's when unset)."""
        p = rec["props"]
        return self.resource(rtype, rec, p.get("arn") or rec["id"], p.get("name") or rec["name"], props)

    def resource(self, rtype: str, rec: dict, rid: str, name: str, props: dict, global_: bool = False) -> Resource:
        self.urns[(rtype, str(rid))] = rec["urn"]
        return Resource(
            type=rtype,
            id=str(rid),
            name=str(name),
            source=self.source,
            properties=props,
            account=self.account,
            region=None if global_ else self.region_of(rec),
        )


def _index(recs: list[dict], *props: str) -> dict:
    idx = {}
    for r in recs:
        idx[r["urn"]] = r
        if r.get("id"):
            idx[r["id"]] = r
        for p in props:
            v = r["props"].get(p)
            if isinstance(v, str):
                idx[v] = r
    return idx


def _tags(p: dict):
    tags = p.get("tags")
    if is_marker(tags):
        return tags
    return {k: v for k, v in (tags or {}).items() if isinstance(v, str)}
