"""Find a Pulumi project for a program directory and read its stack config."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from enamel_hipaa.core.errors import InputError


@dataclass
class Project:
    name: str
    root: Path  # the folder with Pulumi.yaml (or the program folder if none)
    program: Path  # the folder with __main__.py
    stack: str
    config: dict = field(default_factory=dict)  # "ns:key" -> string value (Pulumi's form)
    secret_keys: list = field(default_factory=list)  # encrypted values we cannot read


def _read_yaml(path: Path) -> dict:
    from enamel_hipaa.core import yamlsrc  # bounded: no alias bombs, no FIFOs

    data = yamlsrc.load(path)[0] or {}
    if not isinstance(data, dict):
        raise InputError(str(path), "expected a mapping", line=1)
    return data


def _main_dir(root: Path, doc: dict) -> Path:
    return (root / str(doc.get("main") or ".")).resolve()


def find(directory: str, stack: str | None = None) -> Project:
    d = Path(directory).resolve()
    if not d.is_dir():
        raise InputError(directory, "not a directory (expected a Pulumi program folder)")
    root, doc = d, {}
    for cand in (d, *d.parents):
        f = cand / "Pulumi.yaml"
        if f.is_file():
            cdoc = _read_yaml(f)
            if cand == d or _main_dir(cand, cdoc) == d:
                root, doc = cand, cdoc
                break
    program = _main_dir(root, doc) if doc else d
    if not (program / "__main__.py").is_file():
        raise InputError(str(program), "no __main__.py: only Pulumi Python programs can be run under mocks")
    name = str(doc.get("name") or program.name)
    stacks_dir = (root / str(doc.get("stackConfigDir") or ".")).resolve()
    if stack and not (stacks_dir / f"Pulumi.{stack}.yaml").is_file():
        known = ", ".join(_stacks(stacks_dir)) or "none"
        raise InputError(
            str(stacks_dir / f"Pulumi.{stack}.yaml"),
            f"no such stack config (--pulumi-stack {stack}; stacks here: {known})",
        )
    stack = stack or _pick_stack(stacks_dir)
    config, secrets = {}, []
    for key, spec in (doc.get("config") or {}).items():  # project-level defaults
        value = spec.get("default") if isinstance(spec, dict) else spec
        if value is not None:
            config[_qualify(name, key)] = _as_config_string(value)
    stack_file = stacks_dir / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        for key, value in (_read_yaml(stack_file).get("config") or {}).items():
            if isinstance(value, dict) and "secure" in value:  # encrypted: we cannot read it
                secrets.append(_qualify(name, key))
                config[_qualify(name, key)] = "[secret]"  # a secret Output in the program -> unknown
                continue
            config[_qualify(name, key)] = _as_config_string(value)
    return Project(name=name, root=root, program=program, stack=stack, config=config, secret_keys=secrets)


def _stacks(directory: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))


def _pick_stack(directory: Path) -> str:
    stacks = _stacks(directory)
    if len(stacks) == 1:
        return stacks[0]
    return "dev" if "dev" in stacks or not stacks else stacks[0]


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
