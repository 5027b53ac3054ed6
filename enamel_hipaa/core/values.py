"""Reading values out of resource properties: dotted keys, the four truth values, the
unknown/error markers, and how values print in messages."""

from __future__ import annotations


from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY

ERROR = "error"  # the fourth truth value (a string so it prints well; compared by identity)
MISSING = object()


def _getter(key: str):
    """A fast getter for a dotted key. Markers ({"$unknown"|"$error": ...}) hold no ordinary
    keys, so a lookup that misses is the only place we need to look for one."""
    if key == "@":
        return lambda obj: obj
    parts = tuple(key.split("."))

    def step(obj, p):
        v = obj.get(p, MISSING)
        if v is MISSING and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
            return obj
        return v

    if len(parts) == 1:
        (k,) = parts

        def get1(obj):
            if type(obj) is not dict:
                return MISSING
            return step(obj, k)

        return get1
    if len(parts) == 2:
        a, b = parts

        def get2(obj):
            if type(obj) is not dict:
                return MISSING
            v = obj.get(a, MISSING)
            if type(v) is not dict:
                if v is MISSING and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
                    return obj
                return MISSING
            w = v.get(b, MISSING)
            if w is MISSING and (UNKNOWN_KEY in v or ERROR_KEY in v):
                return v
            return w

        return get2

    def get(obj):
        for p in parts:
            if type(obj) is not dict:
                return MISSING
            obj = step(obj, p)
            if obj is MISSING:
                return MISSING
            if type(obj) is dict and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
                return obj
        return obj

    return get


def lookup(props, key: str):
    """Public helper: the value at dotted `key`, or MISSING."""
    return _getter(key)(props)


def _marker(v):
    """None if v is a plain value; else the truth value its marker stands for."""
    if type(v) is dict:
        if ERROR_KEY in v:
            return ERROR
        if UNKNOWN_KEY in v:
            return None
    return True


def format_value(v) -> str:
    if v is MISSING or v is None:
        return "(not set)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        if UNKNOWN_KEY in v:
            return f"(unknown: {v[UNKNOWN_KEY]})"
        if ERROR_KEY in v:
            return f"(error: {v[ERROR_KEY]})"
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) + "}"
    return str(v)


# ---------------------------------------------------------------------------------------
