"""Read `terraform show -json` (OpenTofu alike): the resource instances that will exist after
apply, each with its values, `after_unknown` and `sensitive` values turned into `$unknown`
markers, and the addresses its attributes reference (from the `configuration` section).

Terraform has already resolved variables, tfvars, module inputs, `count` and `for_each`:
`planned_values` holds one entry per instance that will exist (`count = 0` gives none).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import unknown

_PREFIX = re.compile(r'^((?:module\.[A-Za-z0-9_-]+(?:\["(?:[^"\\]|\\.)*"\]|\[\d+\])?\.)*)(.+)$')
_RES = re.compile(r'^(data\.)?([A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)(\["(?:[^"\\]|\\.)*"\]|\[\d+\])?')
_MOD_NAME = re.compile(r"module\.([A-Za-z0-9_-]+)")
SENSITIVE = unknown("sensitive value (never printed)")
AFTER_APPLY = unknown("known after apply")


# resource types whose destruction leaves a state Enamel judges: destroying an aws_kms_key
# schedules its deletion (PendingDeletion for the key's deletion window)
DESTROY_MATTERS = {"aws_kms_key"}


@dataclass
class Instance:
    address: str
    type: str
    values: dict  # with $unknown markers
    refs: dict = field(default_factory=dict)  # attribute -> [addresses of managed instances]
    configured: set | None = None  # attributes with an expression; None: no configuration section
    unknown_top: set = field(default_factory=set)  # top-level attributes that are after_unknown
    actions: tuple = ()  # resource_changes actions ("create", "update", "delete", "no-op", ...)


def split(address: str) -> tuple[str, str, str | None]:
    """'module.a["k"].aws_x.y[0]' -> ('module.a["k"].', 'aws_x.y', '[0]')."""
    m = _PREFIX.match(address)
    prefix, rest = m.group(1), m.group(2)
    r = _RES.match(rest)
    if not r:
        return prefix, rest, None
    return prefix, f"{r.group(1) or ''}{r.group(2)}.{r.group(3)}", r.group(4)


def load(path: str) -> dict:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(str(p), f"cannot read the plan: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(
            str(p),
            f"not JSON ({getattr(e, 'msg', e)}); expected `terraform show -json` output",
            line=getattr(e, "lineno", None),
        ) from None
    if not isinstance(data, dict) or not ("planned_values" in data or "values" in data or "format_version" in data):
        raise InputError(
            str(p),
            "not a Terraform plan: expected `terraform show -json plan.tfplan` output "
            "(planned_values, resource_changes, configuration)",
        )
    return data


def _walk_modules(module: dict | None):
    if not isinstance(module, dict):
        return
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _walk_modules(child)


def _config_index(conf: dict | None) -> dict:
    """(module names tuple, 'type.name') -> the configuration resource."""
    out: dict = {}

    def walk(mod, path):
        if not isinstance(mod, dict):
            return
        for r in mod.get("resources") or []:
            out[(path, f"{'data.' if r.get('mode') == 'data' else ''}{r.get('type')}.{r.get('name')}")] = r
        for name, call in (mod.get("module_calls") or {}).items():
            walk(call.get("module"), path + (name,))

    if isinstance(conf, dict):
        walk(conf.get("root_module"), ())
    return out


def _overlay(values, unk, sens):
    """values with the True leaves of `unk` (after_unknown) and `sens` made markers."""
    if sens is True:
        return SENSITIVE
    if unk is True:
        return AFTER_APPLY
    if isinstance(values, dict) or isinstance(unk, dict) or isinstance(sens, dict):
        values = values if isinstance(values, dict) else {}
        unk = unk if isinstance(unk, dict) else {}
        sens = sens if isinstance(sens, dict) else {}
        keys = list(values) + [
            k for k in list(unk) + list(sens) if k not in values and (unk.get(k) is True or sens.get(k) is True)
        ]
        return {k: _overlay(values.get(k), unk.get(k), sens.get(k)) for k in keys}
    if isinstance(values, list) or isinstance(unk, list) or isinstance(sens, list):
        values = values if isinstance(values, list) else []
        unk = unk if isinstance(unk, list) else []
        sens = sens if isinstance(sens, list) else []
        n = max(len(values), len(unk))
        return [
            _overlay(
                values[i] if i < len(values) else None,
                unk[i] if i < len(unk) else None,
                sens[i] if i < len(sens) else None,
            )
            for i in range(n)
        ]
    return values


def _block_refs(ex) -> list[str]:
    """The references inside a nested block's expressions (a list of blocks, each attribute
    -> expression), e.g. private_service_connection.private_connection_resource_id."""
    out: list[str] = []
    for block in ex if isinstance(ex, list) else []:
        for sub in (block or {}).values() if isinstance(block, dict) else []:
            out += sub.get("references") or [] if isinstance(sub, dict) else _block_refs(sub)
    return out


def _merge_sens(a, b):
    if a is True or b is True:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge_sens(a.get(k), b.get(k)) for k in set(a) | set(b)}
    if isinstance(a, list) and isinstance(b, list):
        return [
            _merge_sens(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(max(len(a), len(b)))
        ]
    return a if a not in (None, False) else b


def instances(data: dict) -> tuple[list[Instance], dict]:
    """The managed instances that will exist after apply, and the plan's facts
    ({account, region}) read from prior_state and the provider configuration."""
    planned = data.get("planned_values") or data.get("values") or {}
    changes = {
        c.get("address"): c.get("change") or {} for c in data.get("resource_changes") or [] if isinstance(c, dict)
    }
    conf = data.get("configuration")
    cindex = _config_index(conf)
    raw = [r for r in _walk_modules(planned.get("root_module")) if r.get("mode", "managed") == "managed"]
    addresses = {r["address"] for r in raw}
    by_base: dict[str, list[str]] = {}
    for a in addresses:
        prefix, base, _ = split(a)
        by_base.setdefault(prefix + base, []).append(a)
    out = []
    for r in raw:
        addr = r["address"]
        change = changes.get(addr) or {}
        unk = change.get("after_unknown") if change else None
        sens = _merge_sens(r.get("sensitive_values"), change.get("after_sensitive"))
        values = _overlay(r.get("values") or {}, unk or {}, sens or {})
        prefix, base, key = split(addr)
        mod_path = tuple(_MOD_NAME.findall(prefix))
        cres = cindex.get((mod_path, base)) if conf else None
        inst = Instance(address=addr, type=r.get("type", ""), values=values)
        if cres is not None:
            exprs = cres.get("expressions") or {}
            inst.configured = set(exprs)
            for attr, ex in exprs.items():
                refs = ex.get("references") if isinstance(ex, dict) else _block_refs(ex)
                found = _resolve(refs or [], prefix, key, addresses, by_base)
                if found:
                    inst.refs[attr] = found
        inst.unknown_top = {k for k, v in (unk or {}).items() if v is True}
        inst.actions = tuple(change.get("actions") or ())
        out.append(inst)
    for rc in data.get("resource_changes") or []:  # destroyed: only what the destroy itself decides
        if not isinstance(rc, dict) or rc.get("mode", "managed") != "managed" or rc.get("type") not in DESTROY_MATTERS:
            continue
        change = rc.get("change") or {}
        if rc.get("address") not in addresses and tuple(change.get("actions") or ()) == ("delete",):
            before = change.get("before") if isinstance(change.get("before"), dict) else {}
            values = _overlay(before, {}, _merge_sens(change.get("before_sensitive"), None) or {})
            out.append(Instance(address=str(rc["address"]), type=rc["type"], values=values, actions=("delete",)))
    facts = _facts(data, conf)
    facts["timestamp"] = data.get("timestamp") if isinstance(data.get("timestamp"), str) else None
    return out, facts


def _resolve(refs: list[str], prefix: str, key: str | None, addresses: set, by_base: dict) -> list[str]:
    found: list[str] = []
    for ref in refs:
        if ref.startswith(("var.", "local.", "module.", "data.", "each.", "count.", "path.", "self.")):
            continue
        m = _RES.match(ref)
        if not m:
            continue
        base = f"{prefix}{m.group(2)}.{m.group(3)}"
        idx = m.group(4)
        if idx:
            cand = [base + idx] if base + idx in addresses else []
        elif base in addresses:
            cand = [base]
        else:
            insts = by_base.get(base, [])
            same = [a for a in insts if key and a == base + key]
            cand = same or (insts if len(insts) == 1 else [])
        for c in cand:
            if c not in found:
                found.append(c)
    return found


def _facts(data: dict, conf) -> dict:
    account = region = None
    for r in _walk_modules((data.get("prior_state") or {}).get("values", {}).get("root_module")):
        if r.get("type") == "aws_caller_identity" and isinstance((r.get("values") or {}).get("account_id"), str):
            account = r["values"]["account_id"]
    pc = ((conf or {}).get("provider_config") or {}).get("aws") or {}
    reg = (pc.get("expressions") or {}).get("region") or {}
    if isinstance(reg.get("constant_value"), str):
        region = reg["constant_value"]
    else:
        for ref in reg.get("references") or []:
            if ref.startswith("var."):
                v = ((data.get("variables") or {}).get(ref[4:]) or {}).get("value")
                if isinstance(v, str):
                    region = v
    return {"account": account, "region": region}
