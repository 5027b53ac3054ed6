"""Many tenants (dental practices) in one run: load and validate the tenants file, shard it,
scan tenants in parallel, each with its own sources, credentials, params and waivers, and
write one directory per tenant. The roll-up (enamel_hipaa/outputs/rollup.py) is built from those
directories, so a sharded run merges to exactly the unsharded roll-up."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import RenderContext, atomic_write, write_reports
from enamel_hipaa.core.report import EXIT_OK, exit_code, now_iso
from enamel_hipaa.core.ruleset import RuleSet
from enamel_hipaa.workflows.config import TenantSourceError, selection_from_spec, tenant_sources

STATUS_FILE = "tenant.json"
REPORT_FILE = "enamel-report.json"


@dataclass(frozen=True)
class Tenant:
    name: str
    display_name: str
    spec: dict  # the tenant's entry, defaults merged in, paths absolute
    fail_on: str = "high"
    recipients: tuple[str, ...] = ()
    source: str = ""  # the tenants file (its azure block is read from there)


@dataclass
class TenantResult:
    tenant: Tenant
    complete: bool
    error: str | None = None
    exit_code: int = EXIT_OK
    report: dict | None = field(default=None, repr=False)


def load_tenants(path: str) -> list[Tenant]:
    from enamel_hipaa.sources.azure.auth import refuse_secrets

    data, lines = yamlsrc.load(path)
    if not isinstance(data, dict):
        raise InputError(path, "expected a mapping with 'tenants:'", line=1)
    refuse_secrets(path, data, lines)
    for name in ("tenants", "azure_tenants"):  # azure blocks: the same schema as --azure-tenants
        err = next(iter(schemas.validator(name).iter_errors(data)), None)
        if err is not None:
            raise yamlsrc.schema_error(path, lines, err)
    base = Path(path).resolve().parent
    defaults = data.get("defaults", {})
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(data["tenants"]):
        if t["name"] in seen:
            raise InputError(
                path,
                f"tenant {t['name']!r} is listed twice (first at item {seen[t['name']]})",
                line=lines.get(("tenants", i, "name")),
                where=f"tenants/{i}/name",
            )
        seen[t["name"]] = i
        spec = {**defaults, **t}
        for key in ("onprem", "attestation", "waivers"):
            if key in spec:
                spec[key] = str(base / spec[key])
        if "resources" in spec:
            spec["resources"] = [str(base / p) for p in spec["resources"]]
        out.append(
            Tenant(
                name=t["name"],
                display_name=t.get("display_name", t["name"]),
                spec=spec,
                fail_on=spec.get("fail_on", "high"),
                recipients=tuple(spec.get("recipients", ())),
                source=str(Path(path).resolve()),
            )
        )
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' with 0 <= I < N (I is 0-based, like Kubernetes' JOB_COMPLETION_INDEX)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise InputError("command line", f"--shard {text!r}: expected I/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise InputError("command line", f"--shard {text!r}: need 0 <= I < N")
    return i, n


def shard_of(name: str, count: int) -> int:
    """Stable across runs, machines and Python versions (unlike hash())."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % count


def select(tenants: list[Tenant], only: list[str] | None = None, shard: tuple[int, int] | None = None) -> list[Tenant]:
    if only:
        known = {t.name for t in tenants}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise InputError("command line", f"--only names unknown tenant(s): {', '.join(unknown)}")
        tenants = [t for t in tenants if t.name in only]
    if shard:
        i, n = shard
        tenants = [t for t in tenants if shard_of(t.name, n) == i]
    return tenants


@dataclass
class RunOptions:
    """What every tenant's scan of one run shares: output, formats, the global API call cap
    (a semaphore, the only object shared between tenants) and the history database."""

    out_dir: Path
    formats: list[str]
    fail_on_error: bool = False
    api_slots: object = None
    history: str | None = None
    retention_days: int | None = None


def make_run_options(
    out_dir: Path, formats, fail_on_error: bool = False, max_api_calls: int | None = None, history=None
) -> RunOptions:
    """`history`: a workflows.config.HistoryConfig, or None not to record."""
    from enamel_hipaa.outputs import history as store
    from enamel_hipaa.sources import apilimit

    if max_api_calls is not None and max_api_calls < 1:
        raise InputError("command line", "--max-api-calls must be at least 1")
    db, days = None, None
    if history is not None:
        path, days = store.resolve(history.path, history.retention_days, history.settings_file)
        store.connect(path).close()  # create and migrate once, before tenants write in parallel
        db = str(path)
    return RunOptions(
        out_dir=out_dir,
        formats=list(formats),
        fail_on_error=fail_on_error,
        api_slots=apilimit.semaphore(max_api_calls),
        history=db,
        retention_days=days,
    )


def scan_tenant(t: Tenant, ruleset: RuleSet, opts: RunOptions) -> TenantResult:
    from enamel_hipaa.sources.apilimit import KEY
    from enamel_hipaa.sources import Collection
    from enamel_hipaa.core.params import check_params
    from enamel_hipaa.workflows.scan import collect, make_report

    started = now_iso()
    tdir = opts.out_dir / t.name
    trend = None
    fail_code = 3 if opts.fail_on_error else EXIT_OK
    try:
        ruleset = selection_from_spec(t.spec).apply(ruleset)
        total = Collection()
        params = t.spec.get("params")
        params = check_params(params, ruleset.rules, f"tenant {t.name} params") if params else None
        for group in tenant_sources(t.spec, t.source, t.name):  # each run: a fresh ScanContext
            total.extend(collect(group, ruleset, extra={KEY: opts.api_slots, "params": params}, tenant=t.name))
        report = make_report(
            total,
            ruleset,
            tenant=t.name,
            started_at=started,
            fail_on=t.fail_on,
            params=t.spec.get("params"),
            params_origin=f"tenant {t.name} params",
            waivers_file=t.spec.get("waivers"),
        )
        if opts.history:
            trend = record_and_trend(opts.history, opts.retention_days, report, total.resources)
    except (TenantSourceError, InputError) as exc:
        result = TenantResult(t, complete=False, error=str(exc), exit_code=fail_code)
    except Exception as exc:  # a source crashed for this tenant only: the others go on
        result = TenantResult(t, complete=False, error=f"{type(exc).__name__}: {exc}", exit_code=fail_code)
    else:
        ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)
        write_reports(report, list(dict.fromkeys(["json", *opts.formats])), tdir, ctx)
        result = TenantResult(
            t,
            complete=report["scan"]["complete"],
            report=report,
            exit_code=exit_code(report, t.fail_on, opts.fail_on_error),
        )
    status = {
        "name": t.name,
        "display_name": t.display_name,
        "complete": result.complete,
        "error": result.error,
        "exit_code": result.exit_code,
        "started_at": started,
        "finished_at": now_iso(),
        "report": REPORT_FILE if result.report else None,
        "recipients": list(t.recipients),
        "trend": trend,
    }
    atomic_write(tdir / STATUS_FILE, json.dumps(status, indent=2) + "\n")
    return result


TREND_STATUSES = ("fail", "unknown", "error", "pass")


def record_and_trend(db: str, retention_days: int | None, report: dict, resources) -> dict:
    """Record the tenant's scan in the history and compare its counts with the tenant's
    previous recorded scan: {"previous": {id, started_at} | None, "<status>": delta | None}."""
    from enamel_hipaa.outputs import history

    conn = history.connect(db)
    try:  # a retried shard (same ENAMEL_RUN_ID) gets the scan its first attempt recorded
        scan_id = history.record(conn, report, resources, retention_days or history.DEFAULT_RETENTION_DAYS)
        earlier = history.up_to(history.scans(conn, report["scan"]["tenant"]), scan_id)
    finally:
        conn.close()
    prev = earlier[-1] if earlier else None
    now = report["summary"]["by_status"]
    out: dict = {"previous": {"id": prev["id"], "started_at": prev["started_at"]} if prev else None}
    for st in TREND_STATUSES:
        out[st] = now.get(st, 0) - prev["summary"]["by_status"].get(st, 0) if prev else None
    return out


def scan_all(tenants: list[Tenant], ruleset: RuleSet, opts: RunOptions, jobs: int, on_done=None) -> list[TenantResult]:
    """Tenants in parallel (bounded pool); each tenant's collectors keep their own concurrency."""
    results: list[TenantResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="tenant") as pool:
        futures = [pool.submit(scan_tenant, t, ruleset, opts) for t in tenants]
        for fut in futures:
            r = fut.result()
            results.append(r)
            if on_done:
                on_done(r)
    return results


def read_status_dirs(dirs: list[str], names: set[str] | None = None) -> list[tuple[dict, dict | None]]:
    """(status, report) of every tenant directory under the given output directories (only
    `names` if given). A tenant present in two directories is an error (shards must not overlap)."""
    found: dict[str, str] = {}
    out = []
    for d in dirs:
        base = Path(d)
        if not base.is_dir():
            raise InputError(d, "not a directory")
        for status_path in sorted(base.glob(f"*/{STATUS_FILE}")):
            status = yamlsrc.load_data(status_path)
            name = status.get("name") if isinstance(status, dict) else None
            if not name:
                raise InputError(str(status_path), "not an enamel tenant status file")
            if names is not None and name not in names:
                continue
            if name in found:
                raise InputError(str(status_path), f"tenant {name!r} also appears in {found[name]}")
            found[name] = str(status_path)
            report = None
            if status.get("report"):
                report = yamlsrc.load_data(status_path.parent / status["report"])
            out.append((status, report))
    return out
