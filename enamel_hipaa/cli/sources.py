"""The sources' command-line options (`enamel scan/collect/drift/report weekly/attest init`)
and their one translation into typed source configs (`sources.config`)."""

from __future__ import annotations

import argparse

from enamel_hipaa.sources import config as sc
from enamel_hipaa.sources.azure.arm import CLOUDS
from enamel_hipaa.sources import iacfiles
from enamel_hipaa.sources.checkov import DEFAULT_TIMEOUT, ENV_VAR


def _plans_arguments(group) -> None:
    group.add_argument(
        "--terraform-plan",
        metavar="FILE",
        action="append",
        default=[],
        help="JSON of `terraform show -json plan.tfplan` (OpenTofu alike), judged by Enamel's rules; repeatable",
    )
    group.add_argument(
        "--cloudformation",
        metavar="FILE",
        action="append",
        default=[],
        help="a CloudFormation template (YAML or JSON), judged by Enamel's rules; repeatable",
    )


def _resources_arguments(group) -> None:
    group.add_argument(
        "--resources",
        metavar="FILE",
        action="append",
        default=[],
        help="a resources file (JSON or YAML, normalised shape); repeatable",
    )


# --- attestation
def _attestation_arguments(group) -> None:
    group.add_argument(
        "--attest",
        metavar="FILE",
        help="attestation register (YAML: vendors and BAAs, risk analysis, training, restore tests, "
        "disposal log; see docs/attestation.md); also enables the vendor cross-check",
    )
    group.add_argument(
        "--attest-history",
        metavar="DB",
        help="Enamel's own history database (enamel scan --record), or any SQLite database with an "
        "infrastructure_changes(changed_at) table or view: the risk analysis must postdate "
        "the last recorded change",
    )


# --- iac
def _iac_arguments(group) -> None:
    group.add_argument(
        "--iac",
        metavar="PATH",
        nargs="+",
        action="extend",
        default=[],
        help="Terraform (.tf, plan JSON), CloudFormation, ARM or Bicep: directories or files, "
        "checked with checkov (HIPAA-mapped checks only)",
    )
    group.add_argument(
        "--checkov",
        metavar="PATH",
        help=f"checkov executable (default: ${ENV_VAR}, else .venv-checkov/bin/checkov, else PATH)",
    )
    group.add_argument(
        "--checkov-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"stop checkov after this long and report 'error' (default {DEFAULT_TIMEOUT:.0f})",
    )


# --- onprem
def _onprem_arguments(group) -> None:
    group.add_argument(
        "--onprem",
        metavar="INVENTORY",
        action="append",
        default=[],
        help="on-prem inventory (YAML: Orthanc/nginx configs, probes, workstations, "
        "DICOM folders; see docs/onprem.md); repeatable",
    )


# --- aws
def _aws_arguments(group) -> None:
    group.add_argument("--aws", action="store_true", help="scan a live AWS account (read-only; needs the aws extra)")
    group.add_argument("--profile", metavar="P", help="AWS profile (default: the standard credential chain)")
    group.add_argument("--role-arn", metavar="ARN", help="assume this audit role first (cross-account scan)")
    group.add_argument(
        "--external-id",
        metavar="ID",
        help="ExternalId the audit role's trust policy requires "
        "(prefer --external-id-env: a value on the command line is visible to other local users)",
    )
    group.add_argument(
        "--external-id-env",
        metavar="NAME",
        help="name of the environment variable holding the ExternalId (read when the role is assumed)",
    )
    group.add_argument(
        "--regions", metavar="R1,R2|all", help="regions to scan (default: the profile's region, else us-east-1)"
    )


# --- pulumi
def _pulumi_arguments(group) -> None:
    group.add_argument(
        "--pulumi",
        metavar="DIR",
        action="append",
        default=[],
        help="a Pulumi Python program (its folder, or the project folder with Pulumi.yaml) "
        "to plan under mocks; repeatable",
    )
    group.add_argument(
        "--pulumi-stack",
        metavar="NAME",
        default=None,
        help="stack whose Pulumi.<NAME>.yaml config --pulumi uses "
        "(default: the only stack file, else dev, else the first by name)",
    )
    group.add_argument(
        "--pulumi-preview",
        metavar="FILE",
        action="append",
        default=[],
        help="JSON written by `pulumi preview --json`; repeatable",
    )
    group.add_argument(
        "--pulumi-state",
        metavar="FILE",
        action="append",
        default=[],
        help="JSON written by `pulumi stack export`; repeatable",
    )


# --- azure
def _azure_arguments(group) -> None:
    group.add_argument(
        "--azure", action="store_true", help="scan live Azure storage accounts and key vaults (DefaultAzureCredential)"
    )
    group.add_argument(
        "--subscription",
        metavar="ID",
        action="append",
        default=[],
        help="Azure subscription to scan; repeatable; 'all' (default) = every one the identity sees",
    )
    group.add_argument(
        "--azure-tenants",
        metavar="FILE",
        help="tenants file (YAML): one service principal per tenant, secrets from the environment "
        "variables it names (with --tenant NAME, only that tenant)",
    )
    group.add_argument(
        "--azure-cloud",
        choices=sorted(CLOUDS),
        default=None,
        help="Azure cloud (default public; env ENAMEL_AZURE_CLOUD)",
    )
    group.add_argument(
        "--azure-endpoint",
        metavar="URL",
        help="ARM base URL, e.g. a proxy or a test stand-in; the token scope follows --azure-cloud "
        "(env ENAMEL_AZURE_ENDPOINT)",
    )
    group.add_argument(
        "--azure-authority",
        metavar="URL",
        help="Entra ID authority host for tenant credentials (env AZURE_AUTHORITY_HOST)",
    )
    group.add_argument(
        "--azure-ca-bundle",
        metavar="PEM",
        help="CA bundle to verify ARM and token endpoints (env ENAMEL_AZURE_CA_BUNDLE)",
    )
    group.add_argument(
        "--azure-max-retries",
        metavar="N",
        type=int,
        default=3,
        help="retries of a throttled or failed ARM call before it is an error (default 3)",
    )
    group.add_argument(
        "--azure-max-retry-after",
        metavar="SECONDS",
        type=float,
        default=60.0,
        help="longest Retry-After to wait for; longer is an error (default 60)",
    )
    group.add_argument(
        "--azure-workers",
        metavar="N",
        type=int,
        default=8,
        help="subscriptions, and resources within one, read in parallel (default 8)",
    )


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("sources")
    for add in (
        _resources_arguments,
        _attestation_arguments,
        _iac_arguments,
        _plans_arguments,
        _onprem_arguments,
        _aws_arguments,
        _pulumi_arguments,
        _azure_arguments,
    ):
        add(g)


def sources_from_args(ns: argparse.Namespace) -> tuple:
    """The typed source configs the command line asked for, in registry order."""
    out: list = []
    if ns.resources:
        out.append(sc.ResourcesFileSource(paths=tuple(ns.resources)))
    if ns.attest:
        out.append(sc.AttestationSource(path=ns.attest, history=ns.attest_history))
    plans, templates, _ = iacfiles.split(ns.iac) if ns.iac else ([], [], [])
    if ns.iac:
        out.append(
            sc.IacSource(
                paths=tuple(ns.iac),
                checkov=ns.checkov,
                timeout=ns.checkov_timeout,
                routed=tuple(plans + templates),
            )
        )
    if ns.terraform_plan or plans:
        out.append(sc.TerraformPlanSource(paths=tuple(dict.fromkeys(tuple(ns.terraform_plan or ()) + tuple(plans)))))
    if ns.cloudformation or templates:
        out.append(
            sc.CloudFormationSource(paths=tuple(dict.fromkeys(tuple(ns.cloudformation or ()) + tuple(templates))))
        )
    if ns.onprem:
        out.append(sc.OnpremSource(inventories=tuple(ns.onprem)))
    if ns.aws:
        secret = None
        if ns.external_id_env:
            secret = sc.Secret(env=ns.external_id_env)
        elif ns.external_id is not None:
            secret = sc.Secret(literal=ns.external_id)
        out.append(sc.AwsSource(profile=ns.profile, role_arn=ns.role_arn, external_id=secret, regions=ns.regions))
    if ns.pulumi or ns.pulumi_preview or ns.pulumi_state:
        out.append(
            sc.PulumiSource(
                programs=tuple(ns.pulumi),
                stack=ns.pulumi_stack,
                previews=tuple(ns.pulumi_preview),
                states=tuple(ns.pulumi_state),
            )
        )
    if ns.azure or ns.azure_tenants:
        out.append(
            sc.AzureSource(
                subscriptions=tuple(ns.subscription),
                subscriptions_given=bool(ns.subscription),
                tenants_file=ns.azure_tenants,
                tenant=getattr(ns, "tenant", None),
                cloud=ns.azure_cloud,
                endpoint=ns.azure_endpoint,
                authority=ns.azure_authority,
                ca_bundle=ns.azure_ca_bundle,
                max_retries=ns.azure_max_retries,
                max_retry_after=ns.azure_max_retry_after,
                workers=ns.azure_workers,
            )
        )
    return tuple(out)
