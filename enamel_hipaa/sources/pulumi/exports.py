"""Records from the JSON the Pulumi CLI writes:

- `pulumi preview --json`: {"config", "steps": [{"op", "urn", "provider", "oldState",
  "newState": {urn, custom, id, type, inputs, outputs, parent, provider,
  propertyDependencies, ...}}], "changeSummary", ...}. Deleted resources (op "delete",
  "discard", ...) are left out; a step without newState uses oldState (op "same" may).
- `pulumi stack export`: {"version": 3, "deployment": {"manifest", "resources": [...]}}.

Pulumi's unknown marker ("04da6b54-...") and blinded secrets ("[secret]", or the
{"4dabf...": "1b47...", "ciphertext": ...} object of an export) become unknown markers."""

from __future__ import annotations


from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.pulumi import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_SENTINEL

_GONE = {"delete", "discard", "delete-replaced", "discard-replaced", "remove-pending-replace", "read-discard"}


def plain(value):
    if isinstance(value, str):
        if value == UNKNOWN_SENTINEL:
            return unknown("computed at deploy time")
        if value == "[secret]":
            return unknown("secret")
        return value
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return unknown("secret")
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_TEXT = ("urn", "type", "provider", "parent")


def _checked(path: str, where: str, state: dict) -> dict:
    """The record of one resource state; a value of the wrong type is bad input naming the
    file and the step/resource (exit 2), not an internal error."""
    for key in _TEXT:
        if state.get(key) is not None and not isinstance(state[key], str):
            raise InputError(path, f"'{key}' must be a string", where=f"{where}/{key}")
    for key in ("inputs", "outputs", "propertyDependencies"):
        if state.get(key) is not None and not isinstance(state[key], dict):
            raise InputError(path, f"'{key}' must be an object", where=f"{where}/{key}")
    for k, v in (state.get("propertyDependencies") or {}).items():
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise InputError(
                path, "a property's dependencies must be a list of URNs", where=f"{where}/propertyDependencies/{k}"
            )
    urn = state.get("urn") or ""
    if not state.get("type") and len(urn.split("::")) < 3:
        raise InputError(path, "neither 'type' nor a URN with a type", where=f"{where}/urn")
    return _record(state)


def _record(state: dict) -> dict:
    urn = state.get("urn") or ""
    return {
        "type": state.get("type") or urn.split("::")[-2].split("$")[-1],
        "urn": urn,
        "name": urn.rsplit("::", 1)[-1],
        "id": state.get("id") or None,
        "custom": bool(state.get("custom")),
        "inputs": plain(state.get("inputs") or {}),
        "outputs": plain(state.get("outputs") or {}),
        "provider": state.get("provider") or None,
        "parent": state.get("parent") or None,
        "region": None,
        # Pulumi writes null for a property without dependencies
        "deps": {k: list(v or []) for k, v in (state.get("propertyDependencies") or {}).items()},
    }


def _load(path: str) -> dict:
    from enamel_hipaa.core import inputs  # regular files only, size/depth-limited, UTF-8, strict JSON

    data = inputs.load_json(path)
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object")
    return data


def read_preview(path: str) -> list[dict]:
    data = _load(path)
    steps = data.get("steps")
    if not isinstance(steps, list):
        raise InputError(path, "no 'steps' list: expected the output of `pulumi preview --json`")
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or "urn" not in step:
            raise InputError(path, "a step without 'urn'", where=f"steps/{i}")
        if not isinstance(step.get("op", ""), str):
            raise InputError(path, "'op' must be a string", where=f"steps/{i}/op")
        if step.get("op") in _GONE:
            continue
        state = step.get("newState") or step.get("oldState")
        if not isinstance(state, dict):
            raise InputError(path, f"step {step['urn']} has neither newState nor oldState", where=f"steps/{i}")
        out.append(_checked(path, f"steps/{i}/{'newState' if step.get('newState') else 'oldState'}", state))
    return out


def read_state(path: str) -> list[dict]:
    data = _load(path)
    dep = data.get("deployment")
    if not isinstance(dep, dict) or not isinstance(dep.get("resources", []), list):
        raise InputError(path, "no 'deployment.resources': expected the output of `pulumi stack export`")
    out = []
    for i, res in enumerate(dep.get("resources") or []):
        if not isinstance(res, dict) or "urn" not in res:
            raise InputError(path, "a resource without 'urn'", where=f"deployment/resources/{i}")
        if res.get("delete"):  # pending deletion: no longer part of the stack
            continue
        out.append(_checked(path, f"deployment/resources/{i}", res))
    return out
