"""aws.macie_region and aws.macie_bucket from Macie's GetMacieSession and
ListClassificationJobs shapes.

A bucket counts as covered by a job when the job is SCHEDULED (a one-time job looked once)
and RUNNING or IDLE (not paused, cancelled or complete), and the job names the bucket in
`bucketDefinitions` or its `bucketCriteria` select it. Criteria Enamel does not model (e.g.
effective-permission or shared-access keys) make that job cover nothing here: a job is never
assumed to cover a bucket (the message lists the jobs that were not modelled)."""

from __future__ import annotations

ACTIVE = ("RUNNING", "IDLE")


def session_props(session) -> dict:
    """`session`: GetMacieSession's answer, None (Macie not enabled) or an $error."""
    if isinstance(session, dict) and "$error" in session:
        return {"enabled": session, "status": session}
    status = (session or {}).get("status") or "DISABLED"
    return {"enabled": status == "ENABLED", "status": status}


def bucket_coverage(name: str, account: str, tags, enabled, jobs) -> dict:
    """`enabled`: bool or $error; `jobs`: ListClassificationJobs items or an $error."""
    props = {"bucket": name, "tags": tags, "macie_enabled": enabled}
    if isinstance(enabled, dict):
        props.update(covered=enabled, covering_jobs=[], unmodelled_jobs=[])
        return props
    if isinstance(jobs, dict):
        props.update(covered=jobs, covering_jobs=[], unmodelled_jobs=[])
        return props
    covering, unmodelled = [], []
    if not isinstance(tags, dict) or "$error" in tags:
        tags = None
    for job in jobs if enabled else []:
        if job.get("jobType") != "SCHEDULED" or job.get("jobStatus") not in ACTIVE:
            continue
        verdict = selects(job, name, account, tags)
        if verdict is True:
            covering.append(job.get("name") or job.get("jobId"))
        elif verdict is None:
            unmodelled.append(job.get("name") or job.get("jobId"))
    props.update(covered=bool(covering), covering_jobs=sorted(covering), unmodelled_jobs=sorted(unmodelled))
    return props


def selects(job: dict, bucket: str, account: str, tags: dict | None):
    """True / False, or None when the job's criteria are not modelled (or need tags that
    could not be read)."""
    for d in job.get("bucketDefinitions") or []:
        if d.get("accountId") in (None, account) and bucket in (d.get("buckets") or []):
            return True
    crit = job.get("bucketCriteria")
    if not crit:
        return False
    inc = _block(crit.get("includes"), bucket, account, tags, default=True)
    exc = _block(crit.get("excludes"), bucket, account, tags, default=False)
    if inc is None or exc is None:
        return None
    return inc and not exc


def _block(block, bucket, account, tags, default):
    """A CriteriaBlockForJob: every criterion of `and` must hold."""
    items = (block or {}).get("and")
    if not items:
        return default
    results = [_criterion(c, bucket, account, tags) for c in items]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _criterion(c: dict, bucket, account, tags):
    if "simpleCriterion" in c:
        s = c["simpleCriterion"]
        value = {"S3_BUCKET_NAME": bucket, "ACCOUNT_ID": account}.get(s.get("key"))
        if value is None:
            return None
        return _compare(s.get("comparator"), value, s.get("values") or [])
    if "tagCriterion" in c:
        if tags is None:
            return None
        t = c["tagCriterion"]
        hit = any(
            tv.get("key") in tags and (tv.get("value") in (None, "") or tags[tv["key"]] == tv.get("value"))
            for tv in t.get("tagValues") or []
        )
        op = t.get("comparator")
        return hit if op == "EQ" else (not hit) if op == "NE" else None
    return None


def _compare(op, value: str, values: list):
    if op == "EQ":
        return value in values
    if op == "NE":
        return value not in values
    if op == "STARTS_WITH":
        return any(value.startswith(v) for v in values)
    if op == "CONTAINS":
        return any(v in value for v in values)
    return None
