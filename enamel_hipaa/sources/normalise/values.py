"""Value helpers every normaliser shares: markers ({"$unknown": why} / {"$error": why}),
the "not configured" answer, and nested reads that stop at a marker.

A normaliser's input is the provider API's own response shape. Any value in it, at any
depth, may be a marker instead (a read that failed, a value a plan cannot know before
deploy); a property that needs such a value becomes that marker (`need` + `prop`), never a
guess. `NOT_FOUND` stands for the API's "this configuration does not exist" answer
(NoSuchLifecycleConfiguration, ...), which has a documented meaning; a response that is
missing altogether was not read."""

from __future__ import annotations

from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, error_value

NOT_FOUND = None  # the API answered "not configured" (NoSuch*, *NotFound*)


class Unknown(Exception):
    """A value needed to build a property is a marker: the property becomes that marker."""

    def __init__(self, marker: dict):
        super().__init__(marker)
        self.marker = marker


def is_marker(v) -> bool:
    return type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v)


def need(v):
    if is_marker(v):
        raise Unknown(v)
    return v


def g(d, *path, default=None):
    """Nested get; a marker met on the way is returned as is."""
    for p in path:
        if is_marker(d):
            return d
        if isinstance(d, dict):
            d = d.get(p)
        elif isinstance(d, list) and isinstance(p, int):
            d = d[p] if len(d) > p else None
        else:
            return default
        if d is None:
            return default
    return d


def prop(build, *args, **kwargs):
    """build(...), or the marker it needed."""
    try:
        return build(*args, **kwargs)
    except Unknown as u:
        return u.marker


def flag(v):
    """A boolean setting: the marker itself when it is one (bool(marker) would be True)."""
    return v if is_marker(v) else bool(v)


def parsed(facts, doc, *args):
    """facts(doc, ...) of a policy document (JSON text or dict); an unreadable document is
    an $error, never an empty policy."""
    need(doc)
    try:
        return facts(doc, *args)
    except (ValueError, TypeError, AttributeError) as e:
        return error_value(f"policy could not be read: {e}")


def not_read(operation: str) -> dict:
    return error_value(f"{operation} was not read")
