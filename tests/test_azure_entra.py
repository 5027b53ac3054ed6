"""Entra ID (azure.entra_tenant) read through Microsoft Graph from the HTTPS stand-in
(tests/arm_standin.py, fixtures tests/fixtures/azure/graph/): a real azure-identity
ClientSecretCredential gets its token from the stand-in, and azure-core's pipeline (retry
policy honouring Retry-After, bearer token policy) does the requests. Every Entra rule's
pass and fail verdict, and `error` -- never `pass` -- on 401/403/429."""

import json
from pathlib import Path

import pytest
import yaml

from arm_standin import serving
from conftest import run_enamel, validate_report
from enamel_hipaa.core import schemas
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.sources.azure import arm, graph
from conftest import shipped_rules

FIXTURES = Path(__file__).parent / "fixtures" / "azure"
TENANT = json.loads((FIXTURES / "tenant.json").read_text())
RULES = [r for r in shipped_rules().rules if r.resource == graph.TYPE]
RULE_IDS = sorted(r.id for r in RULES)
MFA_RULES = {"entra-mfa-all-users", "entra-mfa-administrators", "entra-mfa-azure-management"}
SECRET_ENV = "ENAMEL_TEST_ENTRA_SECRET"


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    with serving(FIXTURES, tmp_path_factory.mktemp("graph-ca"), retry_after=1) as server:
        yield server


def settings_for(standin, **kw) -> arm.ArmSettings:
    return arm.ArmSettings(
        endpoint=standin.url, graph_endpoint=standin.url, ca_bundle=str(standin.ca), authority=standin.url, **kw
    )


def collect(standin, fixture: str, **kw):
    from azure.identity import ClientSecretCredential

    standin.graph = fixture
    settings = settings_for(standin, **kw)
    credential = ClientSecretCredential(
        TENANT["tenant_id"], TENANT["client_id"], TENANT["client_secret"], **settings.identity_kwargs()
    )
    try:
        out = graph.collect(credential, "Bright Smile Dental", settings)
    finally:
        standin.graph = "compliant"
    (res,) = out.resources
    return res


def statuses(res) -> dict:
    return {f.rule.id: f for f in evaluate(RULES, [res])}


@pytest.fixture(scope="module")
def compliant(standin):
    return collect(standin, "compliant", max_retries=0)


@pytest.fixture(scope="module")
def failing(standin):
    return collect(standin, "failing", max_retries=0)


def test_entra_rules_cite_the_prowler_checks_they_cover():
    cited = set()
    for r in RULES:
        refs = r.references.get("prowler") or ()
        cited.update([refs] if isinstance(refs, str) else refs)
    assert len(RULES) == 8 and cited == {
        "entra_security_defaults_enabled",
        "entra_conditional_access_policy_require_mfa_for_management_api",
        "entra_privileged_user_has_mfa",
        "entra_non_privileged_user_has_mfa",
        "entra_global_admin_in_less_than_five_users",
        "entra_user_with_recent_sign_in",
    }


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_compliant_tenant_passes_and_failing_tenant_fails(compliant, failing, rule_id):
    good, bad = statuses(compliant)[rule_id], statuses(failing)[rule_id]
    assert good.status == "pass", good.message
    assert bad.status == "fail", bad.message
    assert "expected:" in bad.message


def test_failing_tenant_properties_name_what_is_wrong(failing):
    p = failing.properties
    uid = "00000000-0000-4000-a000-{:012d}".format
    assert p["global_admins"] == 5
    assert p["privileged_without_mfa"] == [uid(5)]  # a Global Administrator without MFA
    assert p["users_without_mfa"] == [uid(8)]
    assert p["privileged_guests"] == [uid(9)]  # the service principal member is not a user
    stale = {u["id"] for u in p["enabled_users"] if not u["signed_in"]}
    assert stale == {uid(7)}
    # report-only, app-scoped, and "MFA or compliant device" policies do not count
    assert (p["mfa_all_users"], p["mfa_admins"], p["mfa_azure_management"]) == (False, False, False)


def test_collected_properties_follow_the_schema(compliant, failing):
    import jsonschema

    schema = schemas.type_schemas()[graph.TYPE]
    for res in (compliant, failing):
        jsonschema.validate(dict(res.properties), schema)
        assert res.id == f"/tenants/{res.properties['tenant_id']}" and res.source == "live"
    assert compliant.name == "Bright Smile Dental" and compliant.properties["guests"] == 1


def test_collections_are_paged_through_odata_next_link(standin, compliant):
    standin.requests.clear()
    collect(standin, "compliant", max_retries=0)
    graph_paths = [r[2] for r in standin.requests if r[4] == "graph"]
    # 8 users at 2 a page, 3 Global Administrators at 2 a page
    assert graph_paths.count("/v1.0/users") == 4
    assert len(compliant.properties["enabled_users"]) == 7  # the disabled account is left out
    assert compliant.properties["global_admins"] == 3


def test_security_defaults_require_mfa_when_conditional_access_is_not_licensed(standin):
    res = collect(standin, "defaults", max_retries=0)
    got = statuses(res)
    assert {r: got[r].status for r in MFA_RULES} == {r: "pass" for r in MFA_RULES}
    assert "403" in res.properties["conditional_access_policies"]["$error"]


def test_conditional_access_403_without_security_defaults_is_error_not_pass(standin):
    res = collect(standin, "no_p1", max_retries=0)
    got = statuses(res)
    assert {r: got[r].status for r in MFA_RULES} == {r: "error" for r in MFA_RULES}
    reason = res.properties["mfa_all_users"]["$error"]
    assert "HTTP 403" in reason and "Policy.Read.All" in reason and "/identity/conditionalAccess/policies" in reason


def test_denied_throttled_and_unauthorised_reads_make_every_rule_error(standin):
    standin.requests.clear()
    res = collect(standin, "denied", max_retries=1, max_retry_after=5)
    got = statuses(res)
    assert {r: f.status for r, f in got.items()} == {r: "error" for r in RULE_IDS}
    # the 429 on /directoryRoles was retried once after Retry-After, then reported
    assert [r[3] for r in standin.requests if r[2] == "/v1.0/directoryRoles"] == [429, 429]
    assert "HTTP 429" in res.properties["global_admins"]["$error"]
    assert "HTTP 401" in res.properties["enabled_users"]["$error"]
    assert res.name == "Bright Smile Dental"  # /organization denied: the tenant keeps its configured name


def test_graph_requests_carry_the_stand_in_token_and_are_only_gets(standin):
    standin.requests.clear()
    collect(standin, "compliant", max_retries=0)
    graph_requests = [r for r in standin.requests if r[4] == "graph"]
    assert graph_requests and all(r[1] == "GET" and r[3] == 200 for r in graph_requests)


def test_unreachable_graph_is_an_error_not_a_pass(standin):
    import socket
    from azure.identity import ClientSecretCredential

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{s.getsockname()[1]}"
    settings = arm.ArmSettings(
        endpoint=standin.url, graph_endpoint=closed, ca_bundle=str(standin.ca), authority=standin.url, max_retries=0
    )
    credential = ClientSecretCredential(
        TENANT["tenant_id"], TENANT["client_id"], TENANT["client_secret"], **settings.identity_kwargs()
    )
    (res,) = graph.collect(credential, "t", settings).resources
    got = statuses(res)
    assert set(f.status for f in got.values()) == {"error"}
    assert "could not read Graph" in res.properties["security_defaults"]["$error"]


def test_cli_scan_reports_entra_findings_for_the_tenant(standin, tmp_path):
    """Through `enamel scan --azure-tenants`: the tenant's Entra ID is scanned with its ARM."""
    standin.graph = "failing"
    p = tmp_path / "tenants.yaml"
    block = {
        "tenant_id": TENANT["tenant_id"],
        "client_id": TENANT["client_id"],
        "client_secret_env": SECRET_ENV,
        "subscriptions": [TENANT["subscriptions"][0]["subscriptionId"]],
    }
    p.write_text(yaml.safe_dump({"tenants": [{"name": "Bright Smile Dental", "azure": block}]}))
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ENAMEL_AZURE"))}
    env.update({SECRET_ENV: TENANT["client_secret"], "ENAMEL_AZURE_GRAPH_ENDPOINT": standin.url})
    try:
        r = run_enamel(
            "scan",
            "--azure-tenants",
            p,
            "--azure-endpoint",
            standin.url,
            "--azure-ca-bundle",
            standin.ca,
            "--azure-authority",
            standin.url,
            "--azure-max-retries",
            "0",
            "--format",
            "json",
            "--fail-on",
            "none",
            env=env,
        )
    finally:
        standin.graph = "compliant"
    assert "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    entra = {f["rule_id"]: f["status"] for f in report["findings"] if f["rule_id"].startswith("entra-")}
    assert entra == {rid: "fail" for rid in RULE_IDS}
