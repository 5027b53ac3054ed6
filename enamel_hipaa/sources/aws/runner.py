"""Runs the AWS collectors: one session, a bounded pool of (service, region) tasks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from enamel_hipaa.sources.apilimit import attach_botocore
from enamel_hipaa.core.model import CollectionError
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.aws.registry import MAX_WORKERS, modules
from enamel_hipaa.sources.aws.s3_moot import Plan
from enamel_hipaa.sources.aws.base import SOURCE, Aws, CallFailed, Out, describe_failure, make_client, source_deadline

DEFAULT_REGION = "us-east-1"


def session_for(profile=None, role_arn=None, external_id=None, credentials=None, endpoint_url=None, api_slots=None):
    """(boto3 session, home region). AssumeRole passes the ExternalId the client set on its
    role. `credentials` ({aws_access_key_id, aws_secret_access_key}) is for the demo's local
    moto server only; real scans use the standard chain."""
    import boto3

    base = boto3.Session(profile_name=profile, botocore_session=_botocore_session(), **(credentials or {}))
    attach_botocore(base, api_slots)
    region = base.region_name or DEFAULT_REGION
    if role_arn:
        kwargs = {"RoleArn": role_arn, "RoleSessionName": "enamel-audit", "DurationSeconds": 3600}
        if external_id:
            kwargs["ExternalId"] = external_id
        creds = make_client(base, "sts", region, endpoint_url).assume_role(**kwargs)["Credentials"]
        base = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
            botocore_session=_botocore_session(),
        )
        attach_botocore(base, api_slots)
    return base, region


_MODELS = []  # one botocore data loader (service models only, never credentials) for every session


def _botocore_session():
    """A new botocore session (its own credentials, config and events) that reuses the
    process's parsed service models: an MSP run makes two sessions per tenant, and parsing
    13 services' models again for each cost ~0.3 s CPU (10x the cost with the cache)."""
    import botocore.loaders
    import botocore.session

    if not _MODELS:
        _MODELS.append(botocore.loaders.create_loader())
    session = botocore.session.Session()
    session.register_component("data_loader", _MODELS[0])
    return session


def resolve_regions(aws: Aws, spec: str | None) -> list[str]:
    if not spec:
        return [aws.home_region]
    if spec.strip().lower() == "all":
        return sorted(r["RegionName"] for r in aws.client("ec2").describe_regions()["Regions"])
    return [r.strip() for r in spec.split(",") if r.strip()]


def scan(
    profile=None,
    role_arn=None,
    external_id=None,
    regions=None,
    credentials=None,
    endpoint_url=None,
    api_slots=None,
    s3_plan=None,
):
    """-> (Collection, Aws or None). `api_slots`: a semaphore capping in-flight calls (MSP runs).
    `s3_plan`: an s3_moot.Plan (default: skip only the reads another answer makes moot)."""
    out = Collection(sources=["aws"])
    try:
        session, home = session_for(profile, role_arn, external_id, credentials, endpoint_url, api_slots)
        aws = Aws(session=session, account="", home_region=home, endpoint_url=endpoint_url, s3_plan=s3_plan or Plan())
        session.events.register("before-call", aws.record)
        aws.account = aws.client("sts").get_caller_identity()["Account"]
        region_list = resolve_regions(aws, regions)
    except Exception as exc:  # noqa: BLE001 - no session: every AWS rule is `error`, never pass
        msg = describe_failure(exc)
        for m in modules():
            for t in m.TYPES:
                out.errors.append(CollectionError(source=SOURCE, service="sts", message=msg, resource_type=t))
        return out, None
    out.sources = [f"aws:{aws.account}"]
    limit_malloc_arenas()
    tasks = []
    for m in modules():
        for region in [home] if m.GLOBAL else region_list:
            tasks.append((m, region))
    pool = ThreadPoolExecutor(max_workers=MAX_WORKERS)
    try:
        futures = [(m, r, pool.submit(_run, m, aws, r, region_list)) for m, r in tasks]
        wait([f for _, _, f in futures], timeout=source_deadline())
        for m, r, fut in futures:
            if not fut.done():  # the source's total deadline passed: this part is an error
                fut.cancel()
                late = Out()
                late.fail(
                    m.SERVICE,
                    None if m.GLOBAL else r,
                    aws.account,
                    m.TYPES,
                    CallFailed(
                        f"{m.SERVICE}: no answer within the source deadline "
                        f"({source_deadline():g}s, ENAMEL_AWS_SOURCE_DEADLINE)"
                    ),
                )
                res = late
            else:
                res = fut.result()
            out.resources.extend(res.resources)
            out.errors.extend(res.errors)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    skipped = aws.s3_plan.report()
    if skipped:
        out.skipped_reads[f"aws:{aws.account}"] = skipped
    return out, aws


def limit_malloc_arenas(n: int = 1) -> None:
    """glibc gives each busy thread its own malloc arena; for an I/O-bound scan that only
    inflates memory (about 20 MB at 50 buckets). Same effect as MALLOC_ARENA_MAX=1;
    a no-op where glibc's mallopt is missing."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, n)  # M_ARENA_MAX
    except (OSError, AttributeError):
        return


def _run(mod, aws, region, regions):
    from enamel_hipaa.sources.aws.base import Out

    try:
        return mod.collect(aws, region, regions)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still fails closed
        out = Out()
        out.fail(mod.SERVICE, None if mod.GLOBAL else region, aws.account, mod.TYPES, exc)
        return out
