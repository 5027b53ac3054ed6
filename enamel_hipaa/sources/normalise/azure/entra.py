"""An Entra ID tenant's sign-in protection as Enamel sees it, from Microsoft Graph v1.0 JSON
(security defaults, conditional access policies, directory roles and their members, MFA
registration details, users): the one derivation of `azure.entra_tenant`.

Every input is either Graph's JSON or an `$error` value (a read that failed). A property
that depends on a failed read is itself `$error`, so its rules say `error`, never `pass`:
e.g. a tenant without an Entra ID P1 licence answers 403 on conditional access policies;
unless security defaults are on, the MFA rules then report `error`."""

from __future__ import annotations

from enamel_hipaa.core.model import ERROR_KEY

AZURE_MANAGEMENT_APP = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def is_error(value) -> bool:
    return isinstance(value, dict) and ERROR_KEY in value


def _first_error(*values):
    return next((v for v in values if is_error(v)), None)


def _requires_mfa(policy: dict) -> bool:
    grant = policy.get("grantControls") or {}
    controls = [str(c).lower() for c in grant.get("builtInControls") or ()]
    strength = grant.get("authenticationStrength")
    if not ("mfa" in controls or strength):
        return False
    # "mfa OR compliant device" lets a password alone through from a compliant device
    return str(grant.get("operator") or "OR").upper() == "AND" or len(controls) <= 1


def _enabled_mfa_policies(policies: list[dict]) -> list[dict]:
    return [p for p in policies if p.get("state") == "enabled" and _requires_mfa(p)]


def _users(policy: dict) -> dict:
    return ((policy.get("conditions") or {}).get("users")) or {}


def _apps(policy: dict) -> list[str]:
    apps = ((policy.get("conditions") or {}).get("applications")) or {}
    return [str(a) for a in apps.get("includeApplications") or ()]


def _all_users(policy: dict) -> bool:
    return "All" in (_users(policy).get("includeUsers") or ())


def _all_apps(policy: dict) -> bool:
    return "All" in _apps(policy)


def ca_mfa_all_users(policies: list[dict]) -> bool:
    """An enabled policy requires MFA for all users on all cloud apps."""
    return any(_all_users(p) and _all_apps(p) for p in _enabled_mfa_policies(policies))


def ca_mfa_admins(policies: list[dict]) -> bool:
    """Enabled policies require MFA on all apps for all users, or for at least the Global
    Administrator role and every other built-in admin role they name."""
    roles: set[str] = set()
    for p in _enabled_mfa_policies(policies):
        if not _all_apps(p):
            continue
        if _all_users(p):
            return True
        roles.update(str(r) for r in _users(p).get("includeRoles") or ())
    return GLOBAL_ADMIN in roles


def ca_mfa_azure_management(policies: list[dict]) -> bool:
    """An enabled policy requires MFA for all users on the Azure management app (or all apps)."""
    return any(
        _all_users(p) and (_all_apps(p) or AZURE_MANAGEMENT_APP in _apps(p)) for p in _enabled_mfa_policies(policies)
    )


def _or_defaults(defaults, ca, derive):
    """Security defaults on, or a conditional access policy doing it: true/false, or `$error`
    when the answer depends on a read that failed."""
    if defaults is True:
        return True
    if is_error(ca):
        return ca if defaults is False else _first_error(defaults, ca)
    if derive(ca):
        return True
    return defaults if is_error(defaults) else False


def role_members(roles) -> dict:
    """{user id: [role names]} of the directory roles' user members (`roles`: Graph
    directoryRole objects, each with a `members` list added by the collector)."""
    out: dict[str, list[str]] = {}
    for role in roles:
        name = role.get("displayName") or role.get("roleTemplateId")
        for m in role.get("members") or ():
            if str(m.get("@odata.type", "#microsoft.graph.user")).endswith(".user"):
                out.setdefault(m["id"], []).append(str(name))
    return out


def _sign_in(user: dict) -> dict:
    last = (user.get("signInActivity") or {}).get("lastSignInDateTime")
    return {
        "id": user["id"],
        "user_type": user.get("userType") or "Member",
        "signed_in": bool(last),
        "last_sign_in": last,
    }


def tenant_properties(tenant_id: str, defaults, policies, roles, registrations, users) -> dict:
    """The `azure.entra_tenant` properties. `defaults`: the identitySecurityDefaultsEnforcementPolicy
    object; `policies`, `roles`, `registrations`, `users`: lists; any of them may be `$error`."""
    sd = defaults if is_error(defaults) else bool(defaults.get("isEnabled"))
    out: dict = {"id": tenant_id, "tenant_id": tenant_id, "security_defaults": sd}
    out["mfa_all_users"] = _or_defaults(sd, policies, ca_mfa_all_users)
    out["mfa_admins"] = _or_defaults(sd, policies, ca_mfa_admins)
    out["mfa_azure_management"] = _or_defaults(sd, policies, ca_mfa_azure_management)
    out["conditional_access_policies"] = policies if is_error(policies) else len(policies)

    members = roles if is_error(roles) else role_members(roles)
    if is_error(members):
        out["global_admins"] = members
        out["privileged_users"] = members
    else:
        globals_ = {
            uid
            for r in roles
            if r.get("roleTemplateId") == GLOBAL_ADMIN
            for uid in (
                m["id"]
                for m in r.get("members") or ()
                if str(m.get("@odata.type", "#microsoft.graph.user")).endswith(".user")
            )
        }
        out["global_admins"] = len(globals_)
        out["privileged_users"] = len(members)

    registered = (
        registrations
        if is_error(registrations)
        else {r.get("id"): bool(r.get("isMfaRegistered")) for r in registrations}
    )
    err = _first_error(registered, members)
    if err:
        out["privileged_without_mfa"] = err
        out["users_without_mfa"] = err
    else:
        out["privileged_without_mfa"] = sorted(u for u in members if not registered.get(u, False))
    if not err:
        enabled = None if is_error(users) else {u["id"] for u in users if u.get("accountEnabled", True)}
        if enabled is None:
            out["users_without_mfa"] = users
        else:
            out["users_without_mfa"] = sorted(u for u in enabled if u not in members and not registered.get(u, False))

    if is_error(users):
        out["enabled_users"] = users
        out["guests"] = users
    else:
        out["enabled_users"] = [_sign_in(u) for u in users if u.get("accountEnabled", True)]
        out["guests"] = sum(1 for u in users if u.get("userType") == "Guest")
    guests = users if is_error(users) else {u["id"] for u in users if u.get("userType") == "Guest"}
    err = _first_error(guests, members)
    out["privileged_guests"] = err if err else sorted(u for u in members if u in guests)
    return out
