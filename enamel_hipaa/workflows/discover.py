"""Tenant discovery (read-only): an MSP's practices from AWS Organizations accounts and from
the Azure subscriptions its identity sees through Lighthouse, as tenant entries of a tenants
file; and `merge_tenants`, which adds them to an existing file without touching hand edits
and shows the change as a unified diff before anything is written.

Grouping: a practice is an OU (the account's parent OU) or the value of a tag on the account
(`tag:<key>`); in Azure a tag on the subscription or its management group. Accounts and
subscriptions that fall in no group are returned in `unassigned` (never silently dropped).

Patterns (str.format fields): {tenant} the tenant name, {TENANT} the same upper-cased with
`_` for `-` (for environment variable names), {account} the AWS account id, {group} the group
name as found. The role name and the ExternalId *variable name* come from patterns; no
secret value is ever read or written."""

from __future__ import annotations

import difflib
import re

import yaml

from enamel_hipaa.core import schemas
from enamel_hipaa.core.errors import InputError

_SLUG = re.compile(r"[^a-z0-9]+")


def tenant_name(group: str) -> str:
    name = _SLUG.sub("-", group.lower()).strip("-")[:63]
    if not name or not name[0].isalnum():
        raise InputError("discovery", f"group {group!r} gives no usable tenant name")
    return name


def _fields(group: str, **extra) -> dict:
    name = tenant_name(group)
    return {"tenant": name, "TENANT": name.upper().replace("-", "_"), "group": group, **extra}


def _group_key(group_by: str) -> str | None:
    if group_by.startswith("tag:") and len(group_by) > 4:
        return group_by[4:]
    return None


def _by_name(groups: dict[str, list]) -> list[tuple[str, str, list]]:
    """(tenant name, group, members) sorted; two groups with one tenant name are an error."""
    seen: dict[str, str] = {}
    out = []
    for group in sorted(groups):
        name = tenant_name(group)
        if name in seen:
            raise InputError("discovery", f"groups {seen[name]!r} and {group!r} both give tenant name {name!r}")
        seen[name] = group
        out.append((name, group, groups[group]))
    return out


# --- AWS Organizations ---------------------------------------------------------------------


def _pages(client, op: str, key: str, **kw) -> list:
    return [item for page in client.get_paginator(op).paginate(**kw) for item in page[key]]


def discover_aws_organization(
    session,
    group_by: str = "ou",
    role_name_pattern: str = "EnamelAudit",
    external_id_env_pattern: str = "ENAMEL_EXTID_{TENANT}",
    regions: list[str] | None = None,
    unassigned: list | None = None,
) -> list[dict]:
    """Tenant entries from the organization `session` can read (organizations:List*/Describe*).
    One tenant per group; one `aws` entry per ACTIVE account in it."""
    tag = _group_key(group_by)
    if group_by != "ou" and tag is None:
        raise InputError("command line", f"--group-by {group_by!r}: expected ou or tag:<key>")
    org = session.client("organizations")
    ou_names: dict[str, str] = {}
    groups: dict[str, list[dict]] = {}
    for acct in _pages(org, "list_accounts", "Accounts"):
        if acct.get("Status", "ACTIVE") != "ACTIVE":
            continue
        group = None
        if tag is None:
            parent = org.list_parents(ChildId=acct["Id"])["Parents"][0]
            if parent["Type"] == "ORGANIZATIONAL_UNIT":
                if parent["Id"] not in ou_names:
                    ou_names[parent["Id"]] = org.describe_organizational_unit(OrganizationalUnitId=parent["Id"])[
                        "OrganizationalUnit"
                    ]["Name"]
                group = ou_names[parent["Id"]]
        else:
            tags = {t["Key"]: t["Value"] for t in _pages(org, "list_tags_for_resource", "Tags", ResourceId=acct["Id"])}
            group = tags.get(tag) or None
        if group is None:
            if unassigned is not None:
                unassigned.append({"account": acct["Id"], "name": acct.get("Name", "")})
            continue
        groups.setdefault(group, []).append(acct)
    tenants = []
    for name, group, accts in _by_name(groups):
        entries = []
        for acct in sorted(accts, key=lambda a: a["Id"]):
            f = _fields(group, account=acct["Id"])
            entry = {
                "role_arn": f"arn:aws:iam::{acct['Id']}:role/{role_name_pattern.format(**f)}",
                "external_id_env": external_id_env_pattern.format(**f),
            }
            if regions:
                entry["regions"] = list(regions)
            entries.append(entry)
        tenants.append({"name": name, "display_name": group, "aws": entries})
    return _checked(tenants)


# --- Azure Lighthouse ----------------------------------------------------------------------

MG_API = "2020-05-01"


def discover_azure_lighthouse(
    credential, settings, identity: dict, group_by: str = "tag:practice", unassigned: list | None = None
) -> list[dict]:
    """Tenant entries from the subscriptions `credential` sees (delegated through Lighthouse),
    grouped by a subscription tag (`tag:<key>`) or by management group (`management-group`).
    `identity` is the azure block's credential part every tenant shares: tenant_id, client_id
    and client_secret_env (or certificate_env / certificate_path) - variable names only."""
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    tag = _group_key(group_by)
    if group_by != "management-group" and tag is None:
        raise InputError("command line", f"--group-by {group_by!r}: expected management-group or tag:<key>")
    client = SubscriptionClient(credential, **settings.client_kwargs())
    subs = [s for s in client.subscriptions.list() if (s.state or "Enabled") == "Enabled"]
    parent = _management_groups(client, settings) if tag is None else {}
    groups: dict[str, list[str]] = {}
    for s in subs:
        group = (s.tags or {}).get(tag) if tag else parent.get(s.subscription_id)
        if not group:
            if unassigned is not None:
                unassigned.append({"subscription": s.subscription_id, "name": s.display_name or ""})
            continue
        groups.setdefault(group, []).append(s.subscription_id)
    return _checked(
        [
            {"name": name, "display_name": group, "azure": {**identity, "subscriptions": sorted(ids)}}
            for name, group, ids in _by_name(groups)
        ]
    )


def _management_groups(client, settings) -> dict[str, str]:
    """subscription id -> display name of its parent management group."""
    base = settings.base_url
    mgs = _get(client, f"{base}/providers/Microsoft.Management/managementGroups?api-version={MG_API}")
    names = {m["id"].lower(): m.get("properties", {}).get("displayName") or m["name"] for m in mgs}
    out: dict[str, str] = {}
    for mg in mgs:
        url = f"{base}/providers/Microsoft.Management/managementGroups/{mg['name']}/descendants?api-version={MG_API}"
        for d in _get(client, url):
            if d.get("type", "").lower().endswith("/subscriptions"):
                par = (d.get("properties", {}).get("parent") or {}).get("id", "").lower()
                if par in names:
                    out[d["name"]] = names[par]
    return out


def _get(client, url: str) -> list[dict]:
    from azure.core.rest import HttpRequest

    items = []
    while url:
        resp = client.send_request(HttpRequest("GET", url))
        resp.raise_for_status()
        body = resp.json()
        items += body.get("value", [])
        url = body.get("nextLink")
    return items


# --- merging into a tenants file ------------------------------------------------------------


def _checked(tenants: list[dict]) -> list[dict]:
    err = next(iter(schemas.validator("tenants").iter_errors({"version": 1, "tenants": tenants})), None)
    if err is not None:
        where = "/".join(map(str, err.absolute_path))
        raise InputError(
            "discovery",
            f"a discovered entry is not a valid tenant ({where}): {err.message} "
            "(check the role name and ExternalId variable patterns)",
        )
    return tenants


def _last_line(node) -> int:
    """0-based line of the last character of a YAML node (block collections: of their last leaf)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1])
    end = node.end_mark
    return end.line - 1 if end.column == 0 else end.line


def _block(items, indent: int) -> list[str]:
    text = yaml.safe_dump(items, sort_keys=False, default_flow_style=False, width=1000)
    return [" " * indent + line for line in text.splitlines()]


def _key(mapping, name):
    return next(((k, v) for k, v in mapping.value if k.value == name), (None, None))


def merge_tenants(
    existing_yaml_text: str | None, discovered: list[dict], filename: str = "tenants.yaml"
) -> tuple[str, str]:
    """(new text, unified diff). New tenants are appended to `tenants:`; an existing tenant
    only gains the AWS accounts / Azure subscriptions it does not list yet. Nothing else in
    the file changes: hand edits, comments and order stay as they are."""
    if not (existing_yaml_text or "").strip():
        new = yaml.safe_dump({"version": 1, "tenants": discovered}, sort_keys=False, width=1000)
        return new, "".join(difflib.unified_diff([], new.splitlines(True), filename, filename + " (discovered)"))
    try:
        root = yaml.compose(existing_yaml_text)
        data = yaml.safe_load(existing_yaml_text)
    except yaml.YAMLError as exc:
        raise InputError(filename, f"not YAML: {exc}") from None
    _, tnode = _key(root, "tenants") if isinstance(root, yaml.MappingNode) else (None, None)
    if not isinstance(tnode, yaml.SequenceNode) or (tnode.flow_style and tnode.value):
        raise InputError(filename, "expected a block list under 'tenants:' to add discovered tenants to")
    lines = existing_yaml_text.splitlines(True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    inserts: list[tuple[int, list[str]]] = []  # (after 0-based line, new lines)
    known = {t.get("name"): (t, node) for t, node in zip(data.get("tenants") or [], tnode.value)}
    for t in discovered:
        if t["name"] not in known:
            continue
        mine, node = known[t["name"]]
        inserts += _extend(mine, node, t, "aws", lambda e: e.get("role_arn"), filename)
        if "azure" in t:
            inserts += _extend_azure(mine, node, t, filename)
    fresh = [t for t in discovered if t["name"] not in known]
    if fresh:
        if tnode.value:
            indent = tnode.value[0].start_mark.column
            inserts.append((_last_line(tnode), _block(fresh, indent - 2)))
        else:  # `tenants: []`
            start = tnode.start_mark
            lines[start.line] = lines[start.line][: start.column].rstrip() + "\n"
            inserts.append((start.line, _block(fresh, 2)))
    for after, block in sorted(inserts, key=lambda x: x[0], reverse=True):
        lines[after + 1 : after + 1] = [ln + "\n" for ln in block]
    new = "".join(lines)
    _checked(yaml.safe_load(new).get("tenants") or [])
    diff = "".join(
        difflib.unified_diff(existing_yaml_text.splitlines(True), lines, filename, filename + " (discovered)")
    )
    return new, diff


def _extend(mine: dict, node, found: dict, key: str, ident, filename: str) -> list[tuple[int, list[str]]]:
    have = {ident(e) for e in mine.get(key) or []}
    missing = [e for e in found.get(key) or [] if ident(e) not in have]
    if not missing:
        return []
    knode, vnode = _key(node, key)
    if vnode is None:  # the tenant has no such key yet: add it after the entry's last line
        indent = node.value[0][0].start_mark.column
        return [(_last_line(node), _block({key: missing}, indent))]
    if not isinstance(vnode, yaml.SequenceNode) or vnode.flow_style:
        raise InputError(
            filename,
            f"tenant {mine.get('name')!r}: {key} is not a block list; add "
            f"{', '.join(map(str, (ident(e) for e in missing)))} by hand",
            line=knode.start_mark.line + 1,
        )
    indent = vnode.value[0].start_mark.column - 2
    return [(_last_line(vnode), _block(missing, indent))]


def _extend_azure(mine: dict, node, found: dict, filename: str) -> list[tuple[int, list[str]]]:
    have = (mine.get("azure") or {}).get("subscriptions")
    if have == "all":
        return []
    missing = [s for s in found["azure"]["subscriptions"] if s not in (have or [])]
    if not missing:
        return []
    if "azure" not in mine:
        indent = node.value[0][0].start_mark.column
        return [(_last_line(node), _block({"azure": found["azure"]}, indent))]
    _, anode = _key(node, "azure")
    knode, snode = _key(anode, "subscriptions")
    if not isinstance(snode, yaml.SequenceNode) or snode.flow_style or not snode.value:
        raise InputError(
            filename,
            f"tenant {mine.get('name')!r}: azure.subscriptions is not a block list; add {', '.join(missing)} by hand",
            line=(knode or anode).start_mark.line + 1,
        )
    indent = snode.value[0].start_mark.column - 2
    return [(_last_line(snode), _block(missing, indent))]
