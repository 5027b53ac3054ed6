"""Azure and Microsoft Graph answers of the wrong shape (issue 20, deliverable 1): the ARM and
Graph stand-in (tests/arm_standin.py) answers one operation family with a 200 whose body is
empty (`{}`), garbled (not JSON), truncated, or lacks a required key. The real azure SDK and
Graph pipeline read it; for every family, nothing whose true verdict is `fail` may `pass`, and
the scan is incomplete (a collection error, or `error` findings)."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from arm_standin import serving
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.sources import azure
from enamel_hipaa.sources.azure import arm

FIXTURES = Path(__file__).parent / "fixtures" / "azure"
TENANT = json.loads((FIXTURES / "tenant.json").read_text())
SUB_OK = TENANT["subscriptions"][0]["subscriptionId"]
RULES = [r for r in load_rules().rules if r.resource.startswith("azure.")]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    with serving(FIXTURES, tmp_path_factory.mktemp("shape-ca"), retry_after=1) as server:
        yield server


def _settings(standin) -> arm.ArmSettings:
    return arm.ArmSettings(
        endpoint=standin.url,
        graph_endpoint=standin.url,
        ca_bundle=str(standin.ca),
        authority=standin.url,
        max_retries=0,
        workers=1,
    )


def _scan(standin, malformed: dict, graph_fixture: str = "failing", subscriptions=(SUB_OK,)):
    """(verdicts {(rule, resource id): status}, collection errors) of one tenant scan."""
    from azure.identity import ClientSecretCredential

    settings = _settings(standin)

    def make():
        return ClientSecretCredential(
            TENANT["tenant_id"], TENANT["client_id"], TENANT["client_secret"], **settings.identity_kwargs()
        )

    standin.malformed, standin.graph = malformed, graph_fixture
    standin.requests.clear()
    try:
        target = azure.auth.Target("t", "ClientSecretCredential", make, subscriptions)
        out = azure.collect_targets([target], settings)
    finally:
        standin.malformed, standin.graph = {}, "compliant"
    findings = evaluate(RULES, out.resources)
    return {(f.rule.id, f.resource.id): f.status for f in findings}, out.errors


@pytest.fixture(scope="module")
def truth(standin):
    verdicts, errors = _scan(standin, {})
    assert Counter(verdicts.values())["fail"] > 20 and not [e for e in errors if e.account == SUB_OK]
    return verdicts


# operation family -> request path pattern (searched, case-insensitive)
ARM_FAMILIES = {
    "subscription listing": r"^/subscriptions/?$",
    "storage account listing": r"/Microsoft\.Storage/storageAccounts$",
    "blob service": r"/blobServices/default$",
    "storage diagnostic settings": r"/storageAccounts/[^/]+/blobServices/default/providers/Microsoft\.Insights/diagnosticSettings$",
    "key vault listing": r"/Microsoft\.KeyVault/vaults$",
    "key vault keys": r"/vaults/[^/]+/keys$",
    "network security group listing": r"/Microsoft\.Network/networkSecurityGroups$",
    "SQL server listing": r"/Microsoft\.Sql/servers$",
    "SQL auditing settings": r"/auditingSettings/default$",
    "SQL transparent data encryption": r"/transparentDataEncryption/current$",
    "managed disk listing": r"/Microsoft\.Compute/disks$",
    "PostgreSQL configurations": r"/flexibleServers/[^/]+/configurations$",
    "Defender pricings": r"/Microsoft\.Security/pricings$",
}
GRAPH_FAMILIES = {
    "Graph organization": r"/v1\.0/organization$",
    "Graph security defaults": r"/identitySecurityDefaultsEnforcementPolicy$",
    "Graph conditional access": r"/conditionalAccess/policies$",
    "Graph directory roles": r"/v1\.0/directoryRoles$",
    "Graph role members": r"/directoryRoles/[^/]+/members$",
    "Graph MFA registrations": r"/userRegistrationDetails$",
    "Graph users": r"/v1\.0/users$",
}
REQUIRED_KEY = {  # the key a `drop:` fault removes (what the collector relies on)
    **{
        f: "value"
        for f in ARM_FAMILIES
        if "listing" in f or f.endswith(("keys", "settings", "configurations", "pricings"))
    },
    "blob service": "id",
    "SQL auditing settings": "id",
    "SQL transparent data encryption": "id",
    "Graph organization": "value",
    "Graph security defaults": "isEnabled",
    "Graph conditional access": "state",
    "Graph directory roles": "roleTemplateId",
    "Graph role members": "id",
    "Graph MFA registrations": "value",
    "Graph users": "id",
}
FAULTS = ["empty", "garbled", "truncated", "drop"]
CASES = [(fam, fault) for fam in [*ARM_FAMILIES, *GRAPH_FAMILIES] for fault in FAULTS]


@pytest.mark.parametrize("family,fault", CASES, ids=[f"{f}-{x}".replace(" ", "_") for f, x in CASES])
def test_malformed_answer_never_turns_a_fail_into_a_pass_and_the_scan_is_incomplete(standin, truth, family, fault):
    rx = {**ARM_FAMILIES, **GRAPH_FAMILIES}[family]
    spec = f"drop:{REQUIRED_KEY[family]}" if fault == "drop" else fault
    verdicts, errors = _scan(standin, {rx: spec}, subscriptions=None if family == "subscription listing" else (SUB_OK,))
    hit = [r for r in standin.requests if r[3] == 200 and re.search(rx, r[2], re.I)]
    assert hit, f"the scan never asked for {family}"
    turned = sorted(k for k, status in truth.items() if status == "fail" and verdicts.get(k) == "pass")
    assert not turned, f"{family} ({spec}): fail became pass for {turned[:5]}"
    incomplete = bool(errors) or "error" in verdicts.values()
    assert incomplete, f"{family} ({spec}): the scan reads as complete"
