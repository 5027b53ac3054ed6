"""Who to scan as: azure-identity's DefaultAzureCredential (environment, workload or
managed identity, Azure CLI, ...) or, for an MSP, one service principal per tenant
(client secret or certificate) named in a tenants file. Secrets come only from the
environment variables that file names, never from the file itself."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.sources.azure.arm import ArmSettings

# keys someone might write a secret under, and where the secret belongs instead
SECRET_KEYS = {
    "client_secret": "client_secret_env",
    "secret": "client_secret_env",
    "password": "certificate_password_env",
    "certificate_password": "certificate_password_env",
    "certificate_data": "certificate_env",
    "private_key": "certificate_env",
}
ALL = None  # subscriptions: every one the identity can see


@dataclass(frozen=True)
class Target:
    """One identity to scan with, and the subscriptions it should cover (None: all it sees)."""

    name: str
    describe: str
    make: Callable[[], object]
    subscriptions: tuple[str, ...] | None


def default_target(settings: ArmSettings, subscriptions: tuple[str, ...] | None) -> Target:
    def make():
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(**settings.identity_kwargs())

    return Target("default", "DefaultAzureCredential", make, subscriptions)


def load_tenants(
    path: str, settings: ArmSettings, only: str | None = None, cli_subscriptions: tuple[str, ...] | None | bool = False
) -> list[Target]:
    """`cli_subscriptions`: False when the command line named none (the file decides),
    else what it named (None for all), which overrides the file."""
    data, lines = yamlsrc.load(path)
    refuse_secrets(path, data, lines)
    err = next(iter(schemas.validator("azure_tenants").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(path, lines, err)
    targets = []
    for i, tenant in enumerate(data["tenants"]):
        if "azure" not in tenant or (only and tenant["name"] != only):
            continue
        block = tenant["azure"]
        where = ("tenants", i, "azure")
        subs = cli_subscriptions
        if subs is False:
            listed = block.get("subscriptions")
            subs = tuple(listed) if isinstance(listed, list) else ALL
        targets.append(_service_principal(path, lines, where, tenant["name"], block, settings, subs))
    if not targets:
        raise InputError(path, f"no tenant with an azure block{f' named {only!r}' if only else ''}")
    return targets


def refuse_secrets(path, data, lines) -> None:
    """A secret written in the file is an error naming its line (before the schema, whose
    message would only say 'additional property')."""
    tenants = data.get("tenants") if isinstance(data, dict) else None
    for i, tenant in enumerate(tenants if isinstance(tenants, list) else []):
        block = tenant.get("azure") if isinstance(tenant, dict) else None
        for key in block if isinstance(block, dict) else ():
            if key in SECRET_KEYS:
                raise InputError(
                    path,
                    f"secrets are never read from a config file: remove {key!r} and put the "
                    f"environment variable that holds it in {SECRET_KEYS[key]}",
                    line=yamlsrc.line_of(lines, ("tenants", i, "azure", key)),
                    where=f"tenants/{i}/azure/{key}",
                )


def _env(path, lines, where, key, name) -> str:
    value = os.environ.get(name)
    if not value:
        raise InputError(
            path,
            f"environment variable {name} (named by {key}) is not set",
            line=yamlsrc.line_of(lines, where + (key,)),
            where="/".join(map(str, where + (key,))),
        )
    return value


def _service_principal(path, lines, where, name, block, settings, subs) -> Target:
    tenant_id, client_id = block["tenant_id"], block["client_id"]
    kw = settings.identity_kwargs()
    if "client_secret_env" in block:
        secret = _env(path, lines, where, "client_secret_env", block["client_secret_env"])

        def make():
            from azure.identity import ClientSecretCredential

            return ClientSecretCredential(tenant_id, client_id, secret, **kw)

        return Target(name, f"ClientSecretCredential (tenant {tenant_id})", make, subs)
    password = None
    if "certificate_password_env" in block:
        password = _env(path, lines, where, "certificate_password_env", block["certificate_password_env"])
    if "certificate_env" in block:
        cert = {"certificate_data": _env(path, lines, where, "certificate_env", block["certificate_env"]).encode()}
    else:
        # relative to the tenants file, like every other path in it
        cert_path = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(block["certificate_path"]))
        if not os.path.isfile(cert_path):
            raise InputError(
                path,
                f"certificate file {cert_path} not found",
                line=yamlsrc.line_of(lines, where + ("certificate_path",)),
            )
        cert = {"certificate_path": cert_path}

    def make():
        from azure.identity import CertificateCredential

        return CertificateCredential(tenant_id, client_id, password=password, **cert, **kw)

    return Target(name, f"CertificateCredential (tenant {tenant_id})", make, subs)
