"""Source `iac`: Terraform (HCL and plan JSON), CloudFormation, ARM and Bicep checked by
checkov, restricted to the HIPAA-relevant checks mapped in rules/checkov.yaml.

checkov lives in its own virtualenv (it pins an exact, old boto3): found via --checkov PATH,
else $ENAMEL_CHECKOV, else .venv-checkov/bin/checkov next to the project (or the current
directory), else PATH. It runs as a subprocess (no shell) with `-o json`, a timeout, and its
whole process group is killed on timeout. Anything short of a well-formed JSON report
(crash, non-JSON output, timeout, unparsable file) becomes a CollectionError plus `error`
findings: never a pass. Inline `#checkov:skip=ID:reason` suppressions become `waived`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from enamel_hipaa.core import paths
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import CollectionError, Finding, Waiver
from enamel_hipaa.sources import Collection, iacfiles

FRAMEWORKS = ("terraform", "terraform_plan", "cloudformation", "arm", "bicep")
# which mapped checks can apply to what a framework scans (for `error` findings when it fails)
PROVIDERS = {
    "terraform": ("aws", "azure"),
    "terraform_plan": ("aws", "azure"),
    "cloudformation": ("aws",),
    "arm": ("azure",),
    "bicep": ("azure",),
}
STATUS = (("failed_checks", "fail"), ("passed_checks", "pass"), ("skipped_checks", "waived"))
WORST = ("fail", "waived", "pass")  # several checks feeding one rule: the first present wins
ENV_VAR = "ENAMEL_CHECKOV"
DEFAULT_TIMEOUT = 600.0
# Enamel's own checkov checks (run by checkov, never imported here), e.g. ENAMEL_AWS_1: the
# sensitive ports of ec2-security-group-admin-ports on raw HCL
CUSTOM_CHECKS = Path(__file__).parent / "checkov_checks"
EXISTS = "ENAMEL_EXISTS"  # not a control: reports every resource's rendered count / for_each


class CheckovFailed(Exception):
    """checkov did not produce a report we can trust."""


def find_checkov(setting: str | None = None) -> str | None:
    """--checkov PATH, else $ENAMEL_CHECKOV (both must exist), else the project's
    .venv-checkov, else PATH; None when there is none."""
    for given, what in ((setting, "--checkov"), (os.environ.get(ENV_VAR), ENV_VAR)):
        if given:
            if not (os.path.isfile(given) and os.access(given, os.X_OK)):
                raise InputError(given, f"checkov executable not found or not executable (from {what})")
            return given
    for base in (paths.project_root(), Path.cwd()):
        candidate = base / ".venv-checkov" / "bin" / "checkov"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("checkov")


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.IacSource."""
    from enamel_hipaa.sources.checkov_map import load_map

    ruleset = getattr(ctx, "ruleset", None)
    if ruleset is None:
        from enamel_hipaa.core.ruleset import load_rules

        ruleset = load_rules()
    mapping = load_map(ruleset)
    dirs, files = [], []
    for p in config.paths:
        path = Path(p)
        if path.is_dir():
            dirs.append(path)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(p, "no such file or directory (--iac)")
    exe = find_checkov(config.checkov)
    timeout = config.timeout
    out = Collection()
    routed = {str(Path(r).resolve()) for r in getattr(config, "routed", ())}
    for flag, targets in (("-d", dirs), ("-f", files)):
        if targets:
            out.extend(scan(exe, flag, targets, mapping, timeout, routed))
    return out


def scan(
    exe: str | None,
    flag: str,
    targets: list[Path],
    mapping: dict,
    timeout: float,
    routed: set | frozenset = frozenset(),
) -> Collection:
    """`routed`: resolved paths of the plans and templates Enamel's own sources judge: there only
    the checks of controls Enamel has no rule for (rules/checkov.yaml `rules:`) are kept."""
    label = " ".join(str(t) for t in targets)
    out = Collection(sources=[f"iac:{label}"])
    if exe is None:
        _failed(out, targets, mapping, f"checkov not found: run `make checkov`, pass --checkov PATH or set {ENV_VAR}")
        return out
    cmd = [
        exe,
        "-o",
        "json",
        "--skip-download",
        "--soft-fail",
        "--framework",
        *FRAMEWORKS,
        "--check",
        ",".join(sorted(mapping) + [EXISTS]),
    ]
    cmd += ["--external-checks-dir", str(CUSTOM_CHECKS)]
    for t in targets:
        cmd += [flag, str(t)]
    try:
        reports = parse(run(cmd, timeout, custom_check_env(mapping)))
    except CheckovFailed as exc:
        _failed(out, targets, mapping, str(exc))
        return out
    groups: dict[tuple, list] = {}  # (rule id, resource id) -> [(mapping, status, result, ref)]
    unrendered: set[str] = set()
    exists = {
        (_abs(r), r.get("resource")): will_exist(r)
        for report in reports
        for r in report["results"].get("failed_checks", [])
        if r.get("check_id") == EXISTS
    }
    for report in reports:
        framework = report["check_type"]
        version = report.get("summary", {}).get("checkov_version")
        if version:
            out.sources[0] = f"iac:{label} (checkov {version})"
        for key, status in STATUS:
            for result in report["results"].get(key, []):
                m = mapping.get(result.get("check_id"))
                if m is None or (m.rule.provider != "iac" and _abs(result) in routed):
                    continue
                existence = exists.get((_abs(result), result.get("resource")), will_exist(result))
                if existence is False:
                    continue  # count = 0, an empty for_each, a false create_* switch: never created
                if existence is None:
                    unrendered.add(result.get("resource") or "?")
                ref = resource_ref(framework, _result_path(result), result.get("resource") or "?")
                groups.setdefault((m.rule.id, ref["id"]), []).append((m, status, result, ref))
        for bad in report["results"].get("parsing_errors", []):
            if iacfiles.looks_like_iac(bad):
                _failed(out, [Path(bad)], mapping, "checkov could not parse this file", framework)
            else:
                out.notices.append(
                    {"source": "iac", "message": f"{relpath(bad)}: not infrastructure as code (skipped)"}
                )
    if unrendered:
        names = ", ".join(sorted(unrendered)[:5]) + (" ..." if len(unrendered) > 5 else "")
        out.notices.append(
            {
                "source": "iac",
                "message": f"checkov could not render the inputs deciding whether {len(unrendered)} resource(s) "
                f"exist ({names}); they were judged as if created. For exact module inputs, variables and "
                "counts, scan the plan: terraform show -json plan.tfplan > plan.json; enamel scan --terraform-plan plan.json",
            }
        )
    out.findings.extend(to_finding(items) for items in groups.values())
    return out


def will_exist(result: dict) -> bool | None:
    """Whether the resource checkov judged will be created, from its rendered `count` /
    `for_each`: False for 0 or an empty collection (a literal, or a variable such as a false
    create_* switch that checkov rendered), None when checkov left the expression unrendered."""
    entity = ((result.get("check_result") or {}).get("entity")) or {}
    conf = next((c for t in entity.values() if isinstance(t, dict) for c in t.values() if isinstance(c, dict)), None)
    if conf is None:
        conf = entity
    for key in ("count", "for_each"):
        if key not in conf:
            continue
        v = conf[key]
        v = v[0] if isinstance(v, list) and len(v) == 1 else v
        if v in (0, "0", False, "false") or v == {} or v == []:
            return False
        if isinstance(v, str) and not v.strip().isdigit():
            return None
    return True


def custom_check_env(mapping: dict) -> dict:
    """The environment of checkov's run: Enamel's own checks (checkov_checks/) read their
    parameters from the Enamel rule they report under, so HCL and every other source judge the
    same ports."""
    env = dict(os.environ)
    m = mapping.get("ENAMEL_AWS_1")
    if m is not None:
        env["ENAMEL_SENSITIVE_PORTS"] = json.dumps(m.rule.params.get("sensitive_ports") or [])
    return env


def run(cmd: list[str], timeout: float, env: dict | None = None) -> str:
    """Run checkov in its own process group; return its stdout or raise CheckovFailed."""
    try:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise CheckovFailed(f"cannot start checkov: {exc}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise CheckovFailed(f"checkov timed out after {timeout:g}s") from None
    if proc.returncode != 0:  # --soft-fail: failed checks exit 0, anything else is a crash
        tail = (stderr or stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise CheckovFailed(f"checkov exited with status {proc.returncode}: {tail[0][:300]}")
    return stdout


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def parse(stdout: str) -> list[dict]:
    """checkov's three JSON shapes: one framework -> a report object, several -> a list of
    them, nothing scanned -> a bare summary {passed, failed, ..., resource_count}."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CheckovFailed(
            f"checkov printed no JSON report ({exc.msg} at line {exc.lineno}): {stdout.strip()[:120]!r}"
        ) from None
    if isinstance(data, dict) and "check_type" not in data and "resource_count" in data and "failed" in data:
        return []
    reports = data if isinstance(data, list) else [data]
    for r in reports:
        if not (isinstance(r, dict) and isinstance(r.get("check_type"), str) and isinstance(r.get("results"), dict)):
            raise CheckovFailed("checkov printed JSON of an unexpected shape")
    return reports


def relpath(p: str) -> str:
    """A path relative to the working directory when inside it (what SARIF viewers expect)."""
    path = Path(p).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def resource_ref(framework: str, path: str, resource: str) -> dict:
    # identity = file + resource address: stable when lines move (baselines key on it)
    return {
        "type": f"iac.{framework}",
        "id": f"{path}::{resource}",
        "name": resource,
        "source": "plan" if framework == "terraform_plan" else "file",
        "account": None,
        "region": None,
    }


def _abs(result: dict) -> str:
    return str(Path(result.get("file_abs_path") or result["file_path"]).resolve())


def _result_path(result: dict) -> str:
    return relpath(result.get("file_abs_path") or result["file_path"])


def to_finding(items: list) -> Finding:
    """One finding per Enamel rule and resource: several checkov checks can feed one rule (the
    four public-access-block flags), and the worst of them decides: fail, then waived, then pass."""
    items = sorted(items, key=lambda i: (WORST.index(i[1]), i[0].check_id))
    m, status, result, ref = items[0]
    location = {"path": ref["id"].split("::", 1)[0]}
    starts = [r["file_line_range"][0] for _, _, r, _ in items if _line_range(r)]
    ends = [r["file_line_range"][1] for _, _, r, _ in items if _line_range(r)]
    if starts:
        location.update(start_line=min(starts), end_line=max(max(ends), min(starts)))
    same = [i for i in items if i[1] == status]
    verb = {"fail": "fails", "pass": "passes", "waived": "is suppressed for"}[status]
    message = f"{ref['name']} {verb} " + "; ".join(f"{i[0].check_id} ({i[2].get('check_name', '')})" for i in same)
    evidence = {
        "framework": ref["type"].split(".", 1)[1],
        "checkov": {i[0].check_id: i[1] for i in items},
        "evaluated_keys": sorted(
            {k for i in same for k in (i[2].get("check_result") or {}).get("evaluated_keys") or []}
        ),
    }
    waiver = None
    if status == "waived":
        reasons = [(i[2].get("check_result") or {}).get("suppress_comment") for i in same]
        reason = "; ".join(dict.fromkeys(r or "suppressed inline without a reason" for r in reasons))
        waiver = Waiver(
            rule=m.rule.id,
            resource=ref["id"],
            reason=reason,
            owner="inline #checkov:skip",
            expires=None,
            source="inline",
        )
        message += f" - #checkov:skip: {reason}"
    return Finding(m.rule, ref, status, message=message, evidence=evidence, waiver=waiver, location=location)


def _line_range(result: dict) -> bool:
    r = result.get("file_line_range") or []
    return len(r) == 2 and isinstance(r[0], int) and r[0] >= 1


def _failed(out: Collection, targets: list[Path], mapping: dict, message: str, framework: str | None = None) -> None:
    """checkov could not check `targets`: a CollectionError and one `error` finding per mapped
    rule that could have applied (by the framework's providers when known)."""
    providers = PROVIDERS.get(framework, ("aws", "azure"))
    kind = framework or "checkov"
    for t in targets:
        path = relpath(str(t))
        out.errors.append(CollectionError(source="iac", service=f"checkov:{kind}", message=f"{path}: {message}"))
        rules = {m.rule.id: m.rule for m in mapping.values() if m.provider in providers}
        ref = resource_ref(kind, path, "*")
        for rule in rules.values():
            out.findings.append(
                Finding(
                    rule,
                    ref,
                    "error",
                    message=f"{path} was not checked: {message}",
                    evidence={"error": message},
                    location={"path": path},
                )
            )
