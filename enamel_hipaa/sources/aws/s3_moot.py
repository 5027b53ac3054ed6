"""Which per-bucket S3 reads cannot change any verdict, and the tally of reads skipped.

Three kinds of skip, each provable from an answer already in hand:
- GetBucketAcl when object ownership is BucketOwnerEnforced: ACLs are disabled, AWS
  ignores every grant (a failed ownership read proves nothing: the ACL is read);
- GetObjectLockConfiguration and GetBucketReplication when versioning was never enabled
  (GetBucketVersioning answers no Status): both require versioning (a failed versioning
  read makes both properties that read's $error);
- for a bucket whose tags (the bulk Resource Groups Tagging read) declare it NOT to hold
  PHI: the reads of properties that only PHI-scoped rules of the loaded rule set use
  (`where: data_scope ne not_phi`), and that no workflow reads (crosscheck reads policy and
  replication, which are never skipped). The property is written as $unknown naming why,
  so a rule added later that does read it on such a bucket yields `unknown`, never a pass.
  Unreadable tags, or a rule set that reads the property elsewhere: the read is made."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

from enamel_hipaa.core.datascope import data_scope, settings

# property -> the one S3 read it comes from (only properties no workflow consumes)
SCOPED_READS = (
    ("object_lock", "GetObjectLockConfiguration"),
    ("lifecycle", "GetBucketLifecycleConfiguration"),
    ("logging", "GetBucketLogging"),
)
PHI_ONLY = {"key": "data_scope", "op": "ne", "value": "not_phi"}
WHY_OWNER_ENFORCED = "object ownership is BucketOwnerEnforced: ACLs are disabled"
WHY_NEVER_VERSIONED = "versioning never enabled: Object Lock and replication require it"
WHY_NOT_PHI = "bucket tagged as not holding PHI: only PHI-scoped rules read this"


def _reads(rule, prop: str) -> bool:
    """Whether a rule may read `prop` (over-approximated: any mention counts)."""
    text = json.dumps([rule.assertion, rule.where, rule.message, rule.params], default=str)
    return re.search(rf"(?<![\w.]){re.escape(prop)}\b", text) is not None


def moot_when_not_phi(ruleset) -> frozenset[str]:
    """S3 operations whose property every loaded aws.s3_bucket rule reads only under the PHI
    scope (none without a rule set: nothing is skipped)."""
    if ruleset is None:
        return frozenset()
    rules = [r for r in ruleset.rules if r.resource == "aws.s3_bucket"]
    return frozenset(op for prop, op in SCOPED_READS if all(r.where == PHI_ONLY for r in rules if _reads(r, prop)))


class Plan:
    """One scan's skip plan and tally (shared by the bucket threads)."""

    def __init__(self, moot_not_phi=frozenset(), params: dict | None = None):
        self.moot_not_phi = frozenset(moot_not_phi)
        self.settings = settings(params)
        self.skipped: Counter = Counter()
        self._lock = threading.Lock()

    def moot_for(self, tags) -> frozenset[str]:
        """Reads moot for a bucket with these tags (a {"$error"} when the tag read failed)."""
        if not self.moot_not_phi or data_scope({"tags": tags}, self.settings) != "not_phi":
            return frozenset()
        return self.moot_not_phi

    def skip(self, operation: str, why: str) -> None:
        with self._lock:
            self.skipped[(f"s3:{operation}", why)] += 1

    def report(self) -> list[dict]:
        """[{"call", "reason", "count"}] for the report's `skipped_reads`."""
        return [{"call": c, "reason": w, "count": n} for (c, w), n in sorted(self.skipped.items())]
