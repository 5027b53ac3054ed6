"""Read a CloudFormation template (YAML with short-form intrinsics, or JSON; loader.py keeps
the line of each resource) and resolve its intrinsic functions.

Resolution (the conventions of tests/fixtures/iac-expected.yaml):
- a Parameter takes its Default; one without a Default is `$unknown`;
- AWS::NoValue removes the property; AWS::Partition is "aws", AWS::URLSuffix "amazonaws.com";
  the other pseudo parameters (AccountId, Region, StackName, ...) are `$unknown` as a whole
  value and stay as `${AWS::AccountId}` text inside a Fn::Sub;
- Ref / Fn::GetAtt of a resource of the template is a value that will exist at deploy: it is
  written as `${Logical}` / `${Logical.Attr}` text (an S3 bucket's and a KMS key's ARN keep the
  ARN's shape), so presence checks hold and policies still parse; the join attributes
  (a policy's Bucket, an ingress's GroupId, ...) are joined on the logical id instead;
- Conditions are evaluated; one that depends on an unknown value is unresolved: a resource with
  it is judged as if created (fail closed), an Fn::If on it is the common value of both branches
  or `$unknown`;
- Fn::ImportValue, and what cannot be evaluated, is `$unknown`.
"""

from __future__ import annotations

import re
from pathlib import Path

from enamel_hipaa.core import inputs
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.cloudformation import loader

NOVALUE = object()
# bucket and key policies: a pseudo parameter or a parameter without default stays ${Name} text,
# so the document still parses (no rule reads the accounts these policies name; trust policies,
# whose accounts iam-role-external-id reads, keep `$unknown`)
TEXT_KEYS = ("PolicyDocument", "KeyPolicy")
_KNOWN_PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


def is_marker(v) -> bool:
    return isinstance(v, dict) and "$unknown" in v


def decode(path: str) -> tuple[dict, dict[str, tuple[int, int]]]:
    """The template and the lines of each resource (logical id -> (first, last))."""
    p = Path(path)
    text = inputs.read_text(p)  # a regular file (no FIFO or device), size-limited, UTF-8
    tpl, lines = loader.load(text, str(p))
    if not isinstance(tpl, dict) or not isinstance(tpl.get("Resources"), dict):
        raise InputError(str(p), "not a CloudFormation template: no Resources mapping", line=1)
    for section in ("Parameters", "Conditions", "Mappings"):  # read as mappings by the resolver
        if tpl.get(section) is not None and not isinstance(tpl[section], dict):
            raise InputError(str(p), f"{section} must be a mapping, not {type(tpl[section]).__name__}")
    return tpl, lines


class Resolver:
    def __init__(self, tpl: dict):
        self.tpl = tpl
        self.resources = tpl.get("Resources") or {}
        self.params = {}
        for name, spec in (tpl.get("Parameters") or {}).items():
            if isinstance(spec, dict) and "Default" in spec:
                d = spec["Default"]
                self.params[name] = str(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else d
                if isinstance(d, (int, float)) and not isinstance(d, bool):
                    self.params[name] = d
            else:
                self.params[name] = unknown(f"parameter {name} has no default")
        self.mappings = tpl.get("Mappings") or {}
        self._conds: dict[str, object] = {}
        self.text = False  # inside a bucket or key policy: unknown values stay as ${Name} text

    # -------------------------------------------------------------- conditions
    def condition(self, name: str):
        """True, False, or None (depends on an unknown value)."""
        if name not in self._conds:
            self._conds[name] = None  # guards a cycle
            spec = (self.tpl.get("Conditions") or {}).get(name)
            self._conds[name] = self._truth(spec) if spec is not None else None
        return self._conds[name]

    def _truth(self, node):
        if isinstance(node, dict) and len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a, b = self.value(arg[0]), self.value(arg[1])
                if is_marker(a) or is_marker(b) or _has_placeholder(a) or _has_placeholder(b):
                    return None
                return str(a) == str(b) if not isinstance(a, (list, dict)) else a == b
            if fn == "Fn::Not" and isinstance(arg, list) and arg:
                t = self._truth(arg[0])
                return None if t is None else not t
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                ts = [self._truth(x) for x in arg]
                if fn == "Fn::And":
                    return False if False in ts else (None if None in ts else True)
                return True if True in ts else (None if None in ts else False)
        v = self.value(node)
        if isinstance(v, bool):
            return v
        return None

    # -------------------------------------------------------------- values
    def value(self, node):
        """The resolved value of a template node (NOVALUE for AWS::NoValue)."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((fn, arg),) = node.items()
                if fn == "Ref":
                    return self.ref(arg)
                if fn.startswith("Fn::") or fn == "Condition":
                    return self.function(fn, arg)
            out = {}
            for k, v in node.items():
                r = self._text_value(v) if k in TEXT_KEYS and not self.text else self.value(v)
                if r is not NOVALUE:
                    out[str(k)] = r
            return out
        if isinstance(node, list):
            return [r for r in (self.value(x) for x in node) if r is not NOVALUE]
        if isinstance(node, str):
            return str(node)
        return node

    def _text_value(self, node):
        self.text = True
        try:
            return self.value(node)
        finally:
            self.text = False

    def ref(self, name):
        if name == "AWS::NoValue":
            return NOVALUE
        if name in _KNOWN_PSEUDO:
            return _KNOWN_PSEUDO[name]
        if self.text and (str(name).startswith("AWS::") or is_marker(self.params.get(name))):
            return "${%s}" % name
        if isinstance(name, str) and name.startswith("AWS::"):
            return unknown(f"{name} is known at deploy time")
        if name in self.params:
            return self.params[name]
        if name in self.resources:
            return self.placeholder(name, None)
        return unknown(f"Ref to {name}, not in the template")

    def placeholder(self, logical: str, attr: str | None) -> str:
        rtype = (self.resources.get(logical) or {}).get("Type")
        if rtype == "AWS::S3::Bucket" and attr in (None, "Arn"):
            name = "${%s}" % logical
            return name if attr is None else f"arn:aws:s3:::{name}"
        if rtype == "AWS::KMS::Key" and attr == "Arn":
            return "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${%s}" % logical
        return "${%s}" % (logical if attr is None else f"{logical}.{attr}")

    def function(self, fn: str, arg):
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else list(arg) if isinstance(arg, list) else []
            if len(parts) == 2 and parts[0] in self.resources:
                return self.placeholder(str(parts[0]), str(self.value(parts[1])))
            return unknown(f"Fn::GetAtt {arg} not resolvable")
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            t = self.condition(arg[0])
            if t is True:
                return self.value(arg[1])
            if t is False:
                return self.value(arg[2])
            a, b = self.value(arg[1]), self.value(arg[2])
            return a if a == b else unknown(f"depends on condition {arg[0]}, not resolvable before deploy")
        if fn == "Fn::Sub":
            return self._sub(arg)
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            items = self.value(arg[1])
            if is_marker(items) or not isinstance(items, list):
                return items if is_marker(items) else unknown("Fn::Join of a non-list")
            if any(is_marker(i) for i in items):
                return next(i for i in items if is_marker(i))
            return str(self.value(arg[0])).join(str(i) for i in items)
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            idx, items = self.value(arg[0]), self.value(arg[1])
            if is_marker(items) or is_marker(idx):
                return items if is_marker(items) else idx
            try:
                return items[int(idx)]
            except (ValueError, TypeError, IndexError, KeyError):
                return unknown("Fn::Select out of range")
        if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            s = self.value(arg[1])
            return s if is_marker(s) else str(s).split(str(self.value(arg[0])))
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            keys = [self.value(a) for a in arg[:3]]
            if any(is_marker(k) for k in keys):
                return unknown("Fn::FindInMap on a value known at deploy")
            try:
                return self.value(self.mappings[keys[0]][keys[1]][keys[2]])
            except (KeyError, TypeError):
                return unknown(f"Fn::FindInMap {keys} not in Mappings")
        if fn == "Fn::ToJsonString":
            return self.value(arg)
        if fn in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            t = self._truth({fn: arg})
            return unknown(f"{fn} not resolvable") if t is None else t
        return unknown(f"{fn} is resolved at deploy time")

    def _sub(self, arg):
        if isinstance(arg, list) and len(arg) == 2:
            text, local = arg[0], {k: self.value(v) for k, v in (arg[1] or {}).items()}
        else:
            text, local = arg, {}
        if not isinstance(text, str):
            return unknown("Fn::Sub of a non-string")

        def one(m):
            name = m.group(1)
            if name in local:
                v = local[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                v = self.placeholder(*name.split(".", 1))
            else:
                v = self.ref(name)
            if is_marker(v) or v is NOVALUE:
                return "${%s}" % name
            return str(v)

        return _SUB.sub(one, str(text)).replace("${!", "${")


def _has_placeholder(v) -> bool:
    return isinstance(v, str) and "${" in v
