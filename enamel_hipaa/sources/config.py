"""Typed configuration of each source: one small frozen dataclass per source kind.

The command line, a project configuration file (`enamel.yaml`) and a tenants file all
build these objects; collectors receive them and never see an argparse Namespace. Secrets
are never stored in them: a `Secret` names the environment variable that holds the value
and reads it at the moment of use (a value typed on the command line is kept out of every
repr)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar


class Secret:
    """A secret read at the moment of use: from the environment variable `env`, or (the
    command line's `--external-id VALUE`) a literal. Its repr and str never show the value."""

    __slots__ = ("env", "_literal")

    def __init__(self, env: str | None = None, literal: str | None = None):
        if (env is None) == (literal is None):
            raise ValueError("a Secret needs exactly one of env or literal")
        self.env = env
        self._literal = literal

    def reveal(self) -> str | None:
        """The value, or None when the environment variable is unset or empty."""
        value = os.environ.get(self.env) if self.env else self._literal
        return value or None

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})" if self.env else "Secret(<given on the command line>)"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and (self.env, self._literal) == (other.env, other._literal)

    def __hash__(self) -> int:
        return hash((self.env, self._literal))


@dataclass(frozen=True)
class ResourcesFileSource:
    kind: ClassVar[str] = "file"
    paths: tuple[str, ...]


@dataclass(frozen=True)
class AttestationSource:
    kind: ClassVar[str] = "attestation"
    path: str
    history: str | None = None  # a database with infrastructure changes (or Enamel's own history)


@dataclass(frozen=True)
class IacSource:
    kind: ClassVar[str] = "iac"
    paths: tuple[str, ...]
    checkov: str | None = None
    timeout: float = 600.0
    # plans and templates `--iac` routed to Enamel's own sources: checkov keeps only the checks
    # of controls Enamel has no rule for there (no second finding for one resource and control)
    routed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TerraformPlanSource:
    kind: ClassVar[str] = "terraform"
    paths: tuple[str, ...]  # `terraform show -json` outputs (OpenTofu alike)


@dataclass(frozen=True)
class CloudFormationSource:
    kind: ClassVar[str] = "cloudformation"
    paths: tuple[str, ...]  # templates, YAML or JSON


@dataclass(frozen=True)
class OnpremSource:
    kind: ClassVar[str] = "onprem"
    inventories: tuple[str, ...]


@dataclass(frozen=True)
class AwsSource:
    kind: ClassVar[str] = "aws"
    profile: str | None = None
    role_arn: str | None = None
    external_id: Secret | None = None
    regions: str | None = None  # "r1,r2" or "all"; None: the profile's region, else us-east-1


@dataclass(frozen=True)
class PulumiSource:
    kind: ClassVar[str] = "pulumi"
    programs: tuple[str, ...] = ()
    stack: str | None = None
    previews: tuple[str, ...] = ()
    states: tuple[str, ...] = ()


@dataclass(frozen=True)
class AzureSource:
    kind: ClassVar[str] = "azure"
    subscriptions: tuple[str, ...] = ()  # empty: every subscription the identity sees
    tenants_file: str | None = None  # service principal per tenant (env var NAMES only)
    tenant: str | None = None  # with tenants_file: only this tenant
    cloud: str | None = None
    endpoint: str | None = None
    authority: str | None = None
    ca_bundle: str | None = None
    max_retries: int = 3
    max_retry_after: float = 60.0
    workers: int = 8
    subscriptions_given: bool = field(default=False)  # the command line named subscriptions


SOURCE_TYPES = (
    ResourcesFileSource,
    AttestationSource,
    IacSource,
    TerraformPlanSource,
    CloudFormationSource,
    OnpremSource,
    AwsSource,
    PulumiSource,
    AzureSource,
)
