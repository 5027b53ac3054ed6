"""Optional extras: which modules each needs, and the one-line error (exit 2) that names the
extra and the pip command when one is missing, instead of an internal ModuleNotFoundError.
The CLI calls `require_extra` before it starts a command that needs an extra."""

from __future__ import annotations

import importlib.util
from typing import Iterable

from enamel_hipaa.core.errors import InputError

DISTRIBUTION = "enamel-hipaa"
# extra -> the modules it brings (checked without importing them)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "onprem": ("json5", "crossplane", "pynetdicom", "pydicom", "cryptography"),
    "pulumi": ("pulumi", "pulumi_aws"),
    "azure": ("azure.identity", "azure.mgmt.storage", "azure.mgmt.keyvault", "azure.mgmt.monitor"),
    "aws": ("boto3",),
    "demo": ("boto3", "moto"),
}
# what needs which extra: the CLI's wording of the command or flag
NEEDS = {
    "enamel demo": "demo",
    "scan --pulumi": "pulumi",
    "scan --onprem": "onprem",
    "scan --aws": "aws",
    "scan --azure": "azure",
}


def missing_modules(modules: Iterable[str]) -> list[str]:
    out = []
    for m in modules:
        try:
            found = importlib.util.find_spec(m) is not None
        except (ImportError, ValueError):  # a parent package is missing, or a broken install
            found = False
        if not found:
            out.append(m)
    return out


def install_command(name: str) -> str:
    return f"pip install '{DISTRIBUTION}[{name}]'"


def require_extra(name: str, modules: Iterable[str] | None = None, what: str | None = None) -> None:
    """Raise InputError (exit 2) naming the extra and the pip command when any module is missing."""
    if modules is None:
        modules = EXTRA_MODULES[name]
    missing = missing_modules(modules)
    if missing:
        raise InputError(
            "command line",
            f"{what or 'this command'} needs the '{name}' extra "
            f"(missing: {', '.join(missing)}); install it with: {install_command(name)}",
        )
