"""Cross-check the attestation register against what the scan saw (post-collection step).

When the collection holds an attestation register, every external AWS account that a
collected resource lets in (IAM role trust policies, bucket and key policies' cross-account
principals, replication destinations) becomes one `attestation.external_party` resource
naming the vendor that lists the account and that vendor's BAA status; the rule
`attestation-external-party-baa` fails unless the BAA is current. A value the source could
not read yields a party whose status is unknown/error, never a clean pass. PHI buckets
(tags.data_class = phi) that no register system covers become `attestation.restore_test`
resources with no test, so the restore-test rule fails for them. When the scan read AWS
Backup's restore testing (aws.backup_restore_testing), a completed restore job on a resource
a system covers counts as that system's restore test when it is later than the register's
(`evidence: aws-backup`); the register stays the fallback, and restore data AWS could not
read never passes a system the register does not.

Without a register the collection is returned unchanged. `WHERE_ACCOUNTS` is the one table
to extend when a collector emits another list of outside accounts (e.g. Azure guest tenants).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.attestation import DEFAULT_RESTORE_INTERVAL_DAYS, restore_test_resource
from enamel_hipaa.core.values import MISSING, lookup
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, Resource, error_value, unknown

# (resource type, dotted key of a list, item key or None, what it is, kind of party)
WHERE_ACCOUNTS = (
    ("aws.iam_role", "trusted_accounts", None, "trust policy", "aws_account"),
    ("aws.s3_bucket", "policy.cross_account_principals", None, "bucket policy", "aws_account"),
    ("aws.s3_bucket", "replication.destinations", "account", "replication destination", "aws_account"),
    ("aws.kms_key", "policy.cross_account_principals", None, "key policy", "aws_account"),
)
WATCHED_TYPES = {t for t, *_ in WHERE_ACCOUNTS}
LIVE_SYSTEM_PREFIX = "attestation:live/system/"
_ACCOUNT = re.compile(r"(?<![0-9])([0-9]{12})(?![0-9])")


@dataclass
class Party:
    kind: str
    account_id: object  # a string, or a marker when it could not be read
    seen_in: list[str] = field(default_factory=list)
    marker: dict | None = None  # why the party's status cannot be known
    _seen: set = field(default_factory=set, repr=False)

    def add(self, where: str) -> None:
        if where not in self._seen:
            self._seen.add(where)
            self.seen_in.append(where)


def _is_marker(v) -> bool:
    return type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v)


def _normalise(principal: str) -> str:
    m = _ACCOUNT.search(principal)
    return m.group(1) if m else principal


def external_parties(collection: Collection) -> list[Party]:
    """Every outside account the collected resources let in, plus one unreadable-value party
    per value that could not be read (so an unreadable policy never looks clean)."""
    known: dict[tuple, Party] = {}
    unreadable: list[Party] = []

    def blind(kind: str, where: str, marker: dict) -> None:
        unreadable.append(Party(kind, marker, [where], marker))

    for res in collection.resources:
        if res.type not in WATCHED_TYPES:
            continue
        ref = f"{res.type}/{res.id}"
        for rtype, key, item_key, what, kind in WHERE_ACCOUNTS:
            if rtype != res.type:
                continue
            where = f"{ref} {what}"
            if res.error:
                blind(kind, where, error_value(f"{res.name} could not be read: {res.error}"))
                continue
            values = lookup(res.properties, key)
            if values is MISSING or values is None:
                blind(kind, where, unknown(f"{key} of {res.name} was not reported"))
                continue
            if _is_marker(values):
                blind(kind, where, _reason(values, f"{key} of {res.name}"))
                continue
            if type(values) is not list:
                blind(kind, where, unknown(f"{key} of {res.name} is not a list"))
                continue
            for item in values:
                acct = item
                if item_key and not _is_marker(item):
                    if type(item) is not dict:
                        blind(kind, where, unknown(f"{key} of {res.name} holds a non-object"))
                        continue
                    acct = item.get(item_key)
                    if acct is None:  # a replication destination without an account is the owner's own
                        continue
                if _is_marker(acct):
                    blind(kind, where, _reason(acct, f"{key} of {res.name}"))
                    continue
                acct = _normalise(str(acct))
                if acct == res.account:
                    continue
                known.setdefault((kind, acct), Party(kind, acct)).add(where)
    for err in collection.errors:
        if err.resource_type in WATCHED_TYPES:
            where = f"{err.resource_type} in {err.region or 'every region'} ({err.source}/{err.service})"
            kinds = {k for t, _, _, _, k in WHERE_ACCOUNTS if t == err.resource_type}
            for kind in sorted(kinds):
                blind(kind, where, error_value(f"{err.resource_type} could not be collected: {err.message}"))
    return sorted(known.values(), key=lambda p: (p.kind, p.account_id)) + unreadable


def _reason(marker: dict, what: str) -> dict:
    if ERROR_KEY in marker:
        return error_value(f"{what} could not be read: {marker[ERROR_KEY]}")
    return unknown(f"{what} is not known: {marker[UNKNOWN_KEY]}")


def _vendor_index(vendors: list[Resource]) -> dict[tuple, tuple[str, str]]:
    index = {}
    for v in vendors:
        for acct in v.properties.get("aws_accounts", []):
            index.setdefault(("aws_account", acct), (v.name, v.properties["baa"]["status"]))
        for tenant in v.properties.get("azure_tenants", []):
            index.setdefault(("azure_tenant", tenant.lower()), (v.name, v.properties["baa"]["status"]))
    return index


def party_resources(parties: list[Party], vendors: list[Resource]) -> list[Resource]:
    index = _vendor_index(vendors)
    out = []
    for i, p in enumerate(parties):
        if p.marker is not None:
            rid = f"external:{p.kind}:unreadable:{i}"
            name = f"unreadable ({p.seen_in[0]})"
            vendor, status = None, p.marker
        else:
            rid = f"external:{p.kind}:{p.account_id}"
            label = "AWS account" if p.kind == "aws_account" else "Azure tenant"
            name = f"{label} {p.account_id}"
            vendor, status = index.get(
                (p.kind, str(p.account_id).lower() if p.kind == "azure_tenant" else p.account_id), (None, "missing")
            )
        out.append(
            Resource(
                "attestation.external_party",
                rid,
                name,
                "attestation",
                {
                    "kind": p.kind,
                    "account_id": p.account_id,
                    "seen_in": p.seen_in,
                    "vendor": vendor,
                    "baa_status": status,
                },
                account=p.account_id if p.marker is None and p.kind == "aws_account" else None,
            )
        )
    return out


def phi_buckets(collection: Collection) -> dict[str, list[str]]:
    """Bucket name -> where it was seen, for buckets tagged data_class=phi (plan and live merge)."""
    out: dict[str, list[str]] = {}
    for res in collection.resources:
        if res.type == "aws.s3_bucket" and not res.error and lookup(res.properties, "tags.data_class") == "phi":
            out.setdefault(res.name, []).append(f"{res.type}/{res.id}")
    return out


def _untested_phi_systems(collection: Collection, tests: list[Resource], interval: int, today) -> list[Resource]:
    covered = set()
    for t in tests:
        covered.add(t.properties["system"])
        covered.update(t.properties.get("covers", []))
    out = []
    for name, seen in phi_buckets(collection).items():
        if name in covered or any(s.split("/", 1)[1] in covered for s in seen):
            continue
        system = {
            "name": name,
            "holds_phi": True,
            "covers": [name],
            "rto_target_hours": None,
            "rpo_target_hours": None,
            "last_restore_test": None,
        }
        out.append(restore_test_resource(LIVE_SYSTEM_PREFIX + name, system, interval, today, seen))
    return out


def _arn(item: str) -> str:
    return item if item.startswith("arn:") else f"arn:aws:s3:::{item}"


def _plan_covers(plan: dict, arn: str) -> bool:
    service = arn.split(":")[2] if arn.count(":") >= 2 else ""
    for sel in plan.get("selections") or []:
        if arn in sel.get("resource_arns", []):
            return True
        if "*" in sel.get("resource_arns", []) and not sel.get("by_conditions"):
            if sel.get("resource_type", "").lower() == service:
                return True
    return False


def _with_aws_restore_evidence(collection: Collection, tests: list[Resource], today) -> list[Resource]:
    """The restore tests, each with what AWS Backup shows for the resources it covers."""
    sources = [r for r in collection.resources if r.type == "aws.backup_restore_testing" and not r.error]
    if not sources:
        return tests
    jobs = [r.properties.get("restore_jobs") for r in sources]
    plans = [r.properties.get("plans") for r in sources]
    unreadable = next((j for j in jobs + plans if _is_marker(j) or not isinstance(j, list)), None)
    out = []
    for t in tests:
        p = dict(t.properties)
        if "register_last_tested" in p:  # enriched before (a resources file from `enamel collect`)
            reg = p["register_last_tested"]
            p.update(tested=reg is not None, last_tested=reg)
            p["within_policy_interval"] = (
                reg is not None and (today - date.fromisoformat(reg)).days <= p["interval_days"]
            )
        p["register_last_tested"] = p["last_tested"] if p.get("tested") is True else None
        arns = {_arn(c) for c in p.get("covers", [])}
        done = [j["completed"] for js in jobs if isinstance(js, list) for j in js if j.get("source_arn") in arns]
        latest = max(done, default=None)
        p["aws_restore_testing_plans"] = sorted(
            {pl["name"] for ps in plans if isinstance(ps, list) for pl in ps if any(_plan_covers(pl, a) for a in arns)}
        )
        p["aws_restore_job"] = latest if latest or unreadable is None else error_value("AWS Backup restore data unread")
        p["evidence"] = "register" if p.get("tested") is True else None
        if latest and (p.get("tested") is not True or not p.get("last_tested") or latest > p["last_tested"]):
            p.update(tested=True, last_tested=latest, evidence="aws-backup")
            p["within_policy_interval"] = (today - date.fromisoformat(latest)).days <= p["interval_days"]
        out.append(replace(t, properties=p))
    return out


def _derived(r: Resource) -> bool:
    return r.type == "attestation.external_party" or r.id.startswith(LIVE_SYSTEM_PREFIX)


def enrich(collection: Collection) -> Collection:
    """Add cross-check resources when the collection holds an attestation register."""
    registers = [r for r in collection.resources if r.type == "attestation.register"]
    if not registers:
        return collection
    # derived resources from an earlier run (a resources file written by `enamel collect`) are recomputed
    collection.resources[:] = [r for r in collection.resources if not _derived(r)]
    vendors = [r for r in collection.resources if r.type == "attestation.vendor"]
    tests = [r for r in collection.resources if r.type == "attestation.restore_test"]
    interval = registers[0].properties.get("restore_test_interval_days", DEFAULT_RESTORE_INTERVAL_DAYS)
    today = datetime.now(timezone.utc).date()
    collection.resources.extend(party_resources(external_parties(collection), vendors))
    untested = _untested_phi_systems(collection, tests, interval, today)
    ids = {t.id for t in tests}
    updated = {t.id: t for t in _with_aws_restore_evidence(collection, tests + untested, today)}
    collection.resources[:] = [updated.get(r.id, r) if r.id in ids else r for r in collection.resources]
    collection.resources.extend(updated[t.id] for t in untested)
    return collection
