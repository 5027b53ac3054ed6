"""Which files are infrastructure as code, and of what kind: `--iac` sends Terraform plan JSON
and CloudFormation templates to Enamel's own sources (--terraform-plan, --cloudformation) and
the rest to checkov; a file checkov cannot parse that is none of these (an application's
JSON-with-comments config, such as an Orthanc credentials.json) is skipped with a notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

IAC_SUFFIXES = (".tf", ".tf.json", ".hcl", ".tfvars", ".bicep")
DATA_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_CFN_MARK = re.compile(r"^(AWSTemplateFormatVersion\s*:|\s+Type\s*:\s*['\"]?AWS::)", re.M)
_ARM = re.compile(r"deploymentTemplate\.json|deploymentParameters\.json", re.I)
HEAD = 1 << 20


def _head(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.read(HEAD)
    except OSError:
        return None


def kind(path) -> str | None:
    """ "plan" (terraform show -json), "cfn" (a CloudFormation template), or None."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in DATA_SUFFIXES:
        return None
    head = _head(path)
    if head is None:
        return None
    if head.lstrip().startswith("{"):
        try:
            doc = json.loads(head)
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        if "format_version" in doc and ("planned_values" in doc or "resource_changes" in doc):
            return "plan"
        res = doc.get("Resources")
        if isinstance(res, dict) and (
            "AWSTemplateFormatVersion" in doc
            or any(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::") for r in res.values())
        ):
            return "cfn"
        return None
    if _CFN_MARK.search(head) and re.search(r"^Resources\s*:", head, re.M):
        return "cfn"
    return None


def looks_like_iac(path) -> bool:
    """A file checkov could not parse: IaC (an error: it was meant to be checked) or not (skipped
    with a notice). A file Enamel cannot read stays an error (fail closed)."""
    p = Path(path)
    if p.name.lower().endswith(IAC_SUFFIXES):
        return True
    head = _head(p) if p.is_file() else None
    if head is None or kind(p) is not None:
        return True
    return bool(_ARM.search(head)) or any(
        m in head for m in ("AWSTemplateFormatVersion", '"planned_values"', '"resource_changes"')
    )


def split(paths) -> tuple[list[str], list[str], list[str]]:
    """`--iac` paths -> (Terraform plan JSON files, CloudFormation templates, the rest for
    checkov). Directories are walked: their plans and templates are routed too, and checkov
    is told to skip them (see skipped())."""
    plans, templates, rest = [], [], []
    for p in map(str, paths):
        k = kind(p)
        (plans if k == "plan" else templates if k == "cfn" else rest).append(p)
        if Path(p).is_dir():
            for f in sorted(Path(p).rglob("*")):
                if any(
                    part.startswith(".") or part in ("node_modules", ".terraform")
                    for part in f.parts[len(Path(p).parts) :]
                ):
                    continue
                k = kind(f)
                if k == "plan":
                    plans.append(str(f))
                elif k == "cfn":
                    templates.append(str(f))
    return plans, templates, rest
