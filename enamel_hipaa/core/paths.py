"""Where the shipped data lives: inside the wheel (enamel_hipaa/_data) or, in a source
checkout, at the repository root (rules/, reports/templates/)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent  # the enamel_hipaa package
_ROOT = _PKG.parent


def _pick(packaged: Path, source: Path) -> Path:
    return packaged if packaged.is_dir() else source


def project_root() -> Path:
    """The source checkout (or the directory holding the installed package)."""
    return _ROOT


def rules_dir() -> Path:
    return _pick(_PKG / "_data" / "rules", _ROOT / "rules")


def schema_dir() -> Path:
    return rules_dir() / "schema"


def templates_dir() -> Path:
    return _pick(_PKG / "_data" / "templates", _ROOT / "reports" / "templates")


def demo_dir() -> Path:
    return _PKG / "workflows" / "demo"


def infra_dir() -> Path:
    """The Pulumi program of the hardened archive (source checkouts only)."""
    return _ROOT / "infra"
