"""Typed configuration of a scan: `ScanConfig` holds the sources (typed configs from
`sources.config`), the rule selection and policy, the outputs and the history.

The command line builds one in `cli/`; a tenants file entry (and a project's `enamel.yaml`,
which has the same schema as one tenant) builds one here, straight from YAML, never
through argv. Nothing writes results back into a config: they are frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from enamel_hipaa.sources import config as sc

SEVERITY_DEFAULT = "high"


@dataclass(frozen=True)
class FailurePolicy:
    fail_on: str = SEVERITY_DEFAULT  # critical|high|medium|low|info|none
    fail_on_error: bool = True  # an incomplete scan exits 3 (fail closed)
    count_unknown: bool = True  # unknown findings count towards fail_on


@dataclass(frozen=True)
class OutputConfig:
    formats: tuple[str, ...] = ("table",)
    output_dir: str | None = None
    quiet: bool = False
    show_pass: bool = False
    ci: bool = False
    color: bool = True
    security_hub: bool = False  # also export findings to AWS Security Hub (ASFF)
    security_hub_region: str | None = None
    webhook_env: str | None = None  # env var NAME holding a Slack/Teams webhook URL


@dataclass(frozen=True)
class HistoryConfig:
    record: bool = False
    path: str | None = None  # None: env ENAMEL_HISTORY, settings file, user state dir
    retention_days: int | None = None
    settings_file: str | None = None


@dataclass(frozen=True)
class RuleSelection:
    ids: tuple[str, ...] = ()  # globs to keep (empty: all)
    skip: tuple[str, ...] = ()  # globs to drop
    severities: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    hipaa: tuple[str, ...] = ()  # paragraphs (and their subparagraphs)

    def apply(self, ruleset):
        from enamel_hipaa.core.ruleset import select_rules

        return select_rules(ruleset, self.ids, self.skip, self.severities, self.providers, self.hipaa)


@dataclass(frozen=True)
class ScanConfig:
    sources: tuple = ()
    rule_dirs: tuple[str, ...] = ()
    selection: RuleSelection = field(default_factory=RuleSelection)
    params_file: str | None = None
    params: Mapping | None = None  # inline overrides (a tenants file entry)
    params_origin: str = "params"
    waivers_file: str | None = None
    tenant: str | None = None
    baseline: str | None = None
    write_baseline: str | None = None
    failure: FailurePolicy = field(default_factory=FailurePolicy)
    outputs: OutputConfig = field(default_factory=OutputConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)


def selection_from_spec(spec: Mapping) -> RuleSelection:
    """A tenant entry's `select:` block (a project file's, too)."""
    sel = spec.get("select") or {}
    return RuleSelection(
        ids=tuple(sel.get("rules", ())),
        skip=tuple(sel.get("skip_rules", ())),
        severities=tuple(sel.get("severities", ())),
        providers=tuple(sel.get("providers", ())),
        hipaa=tuple(sel.get("hipaa", ())),
    )


class TenantSourceError(Exception):
    """A tenant whose sources cannot be set up: that tenant is incomplete, the rest go on."""


def tenant_sources(spec: Mapping, tenants_file: str, tenant: str) -> list[tuple]:
    """A tenant entry's sources as typed configs, one group per collection run (each AWS
    account is its own run, with its own role and session). ExternalIds stay environment
    variable NAMES: they are read when the role is assumed."""
    groups: list[tuple] = []
    for acct in spec.get("aws", []):
        regions = ",".join(acct.get("regions") or spec.get("regions") or ["us-east-1"])
        if "profile" in acct:
            groups.append((sc.AwsSource(profile=acct["profile"], regions=regions),))
            continue
        env = acct.get("external_id_env")
        secret = sc.Secret(env=env) if env else None
        if secret is not None and secret.reveal() is None:
            raise TenantSourceError(f"environment variable {env} (ExternalId for {acct['role_arn']}) is not set")
        groups.append((sc.AwsSource(role_arn=acct["role_arn"], external_id=secret, regions=regions),))
    if "azure" in spec:  # the azure collector reads this tenant's block (env var NAMES only) itself
        groups.append((sc.AzureSource(tenants_file=tenants_file, tenant=tenant),))
    local: list = []
    if spec.get("resources"):
        local.append(sc.ResourcesFileSource(paths=tuple(spec["resources"])))
    if "onprem" in spec:
        local.append(sc.OnpremSource(inventories=(spec["onprem"],)))
    if "attestation" in spec:
        local.append(sc.AttestationSource(path=spec["attestation"]))
    if local:
        groups.append(tuple(local))
    if not groups:
        raise TenantSourceError("no sources (aws, azure, onprem, attestation or resources)")
    return groups
