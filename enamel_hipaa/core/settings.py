"""The settings file (history and SMTP): `--config FILE`, else env ENAMEL_CONFIG, else
<user config dir>/enamel/config.yaml when it exists. Validated by
rules/schema/config.schema.json. Secrets (the SMTP password) are never read from it."""

from __future__ import annotations

import os
from pathlib import Path

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("enamel")) / "config.yaml"


def load_settings(path: str | None = None) -> dict:
    explicit = path or os.environ.get("ENAMEL_CONFIG")
    p = Path(explicit) if explicit else default_path()
    if not p.exists():
        if explicit:
            raise InputError(str(p), "settings file not found")
        return {}
    data, lines = yamlsrc.load(p)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(str(p), "expected a mapping (history:, smtp:)", line=1)
    err = next(iter(schemas.validator("config").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(str(p), lines, err)
    return data
