"""Live Azure scan against the local HTTPS ARM stand-in (tests/arm_standin.py).

The real azure-mgmt-storage / -monitor / -keyvault / -resource-subscriptions clients and
real azure-identity credentials (ClientSecretCredential, DefaultAzureCredential's
EnvironmentCredential) talk to the stand-in over TLS verified with a CA made here; the
token comes from the stand-in's token endpoint, never from Entra ID. Every azure rule's
pass and fail verdict is asserted on what the stand-in served."""

import json
import os
from pathlib import Path

import pytest
import yaml

from arm_standin import ACTIONS, action_for, serving
from certs import make_client_certificate
from conftest import run_enamel, validate_report
from enamel_hipaa.core import schemas
from enamel_hipaa.sources import azure

FIXTURES = Path(__file__).parent / "fixtures" / "azure"
TENANT = json.loads((FIXTURES / "tenant.json").read_text())
SUB_OK, SUB_DENIED, SUB_THROTTLED_ONCE, SUB_THROTTLED, SUB_UNREGISTERED, SUB_OTHER_TENANT = (
    s["subscriptionId"] for s in TENANT["subscriptions"]
)
SECRET_ENV = "ENAMEL_TEST_IMAGING_SECRET"
RULES_DIR = Path(__file__).resolve().parent.parent / "rules" / "azure"

# rule -> (an account or vault served by the stand-in that passes it, one that fails it)
VERDICTS = {
    "storage-account-minimum-tls-version": ("pass_tls13_vnet", "fail_legacy_defaults"),
    "storage-account-https-only": ("pass_hardened", "fail_tls11_http"),
    "storage-account-blob-public-access-disabled": ("pass_hardened", "fail_legacy_defaults"),
    "storage-account-shared-key-access-disabled": ("pass_hardened", "fail_legacy_defaults"),
    "storage-account-shared-key-expiry-policy": ("fail_tls11_http", "fail_legacy_defaults"),
    "storage-account-cross-tenant-replication-disabled": ("pass_hardened", "fail_tls11_http"),
    "storage-account-network-default-deny": ("pass_tls13_vnet", "fail_open_network"),
    "storage-account-phi-private-access": ("pass_tls13_vnet", "fail_ip_allowlist"),
    "storage-account-customer-managed-key": ("pass_hardened", "fail_platform_keys"),
    "storage-account-infrastructure-encryption": ("pass_hardened", "fail_platform_keys"),
    "storage-account-blob-soft-delete": ("pass_hardened", "fail_short_retention"),
    "storage-account-container-soft-delete": ("pass_hardened", "fail_legacy_defaults"),
    "storage-account-blob-versioning": ("pass_hardened", "fail_short_retention"),
    "storage-account-immutability": ("pass_hardened", "fail_short_retention"),
    "storage-account-blob-audit-logging": ("pass_tls13_vnet", "fail_read_not_logged"),
    "storage-account-data-class-tagged": ("pass_hardened", "fail_legacy_defaults"),
    "key-vault-soft-delete": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-purge-protection": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-network-default-deny": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-audit-logging": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-rbac-authorization": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-private-endpoint": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-keys-expire": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-secrets-expire": ("pass_phi_keys", "fail_purgeable_keys"),
    "key-vault-key-rotation": ("pass_phi_keys", "fail_purgeable_keys"),
    # network security groups and regions (tests/fixtures/azure/arm/imaging.json)
    "nsg-internet-admin-ports": ("pass_locked_down", "fail_rdp_open"),
    "nsg-internet-dicom-ports": ("pass_deny_first", "fail_dicom_db_open"),
    "nsg-internet-database-ports": ("pass_locked_down", "fail_dicom_db_open"),
    "nsg-internet-any-port": ("pass_deny_first", "fail_any_udp"),
    "nsg-internet-udp": ("pass_locked_down", "fail_any_udp"),
    "nsg-internet-http": ("pass_locked_down", "fail_dicom_db_open"),
    "nsg-flow-logs-retained": ("pass_deny_first", "fail_rdp_open"),
    "network-watcher-enabled": ("eastus2", "westus3"),
    # virtual machines, disks, Recovery Services vaults
    "vm-managed-disks": ("pass_pacs_vm", "fail_vhd_vm"),
    "vm-disks-customer-key-or-host-encryption": ("pass_host_encrypted", "fail_exposed_vm"),
    "vm-no-public-ip": ("pass_pacs_vm", "fail_exposed_vm"),
    "vm-backup-enabled": ("pass_host_encrypted", "fail_exposed_vm"),
    "vm-backup-daily-retention": ("pass_pacs_vm", "fail_vhd_vm"),
    "managed-disk-unattached-customer-key": ("pass_orphan_cmk", "fail_orphan_platform"),
    "recovery-vault-immutable": ("pass_locked_vault", "fail_open_vault"),
    "recovery-vault-soft-delete": ("pass_locked_vault", "fail_open_vault"),
    "recovery-vault-cross-region-restore": ("pass_locked_vault", "fail_open_vault"),
    # SQL servers, PostgreSQL and MySQL flexible servers
    "sql-server-public-network-disabled": ("pass_sql_private", "fail_sql_open"),
    "sql-server-firewall-not-open": ("pass_sql_private", "fail_sql_open"),
    "sql-server-tls-minimum": ("pass_sql_private", "fail_sql_open"),
    "sql-server-auditing-retained": ("pass_sql_private", "fail_sql_open"),
    "sql-server-tde-customer-key": ("pass_sql_private", "fail_sql_open"),
    "sql-database-tde-enabled": ("pass_sql_private", "fail_sql_open"),
    "sql-server-entra-admin": ("pass_sql_private", "fail_sql_open"),
    "postgresql-flexible-public-access-disabled": ("pass_orthanc_index", "fail_pg_public"),
    "postgresql-flexible-geo-redundant-backup": ("pass_orthanc_index", "fail_pg_public"),
    "postgresql-flexible-secure-transport": ("pass_orthanc_index", "fail_pg_public"),
    "postgresql-flexible-tls-minimum": ("pass_orthanc_index", "fail_pg_public"),
    "postgresql-flexible-server-logging": ("pass_orthanc_index", "fail_pg_public"),
    "postgresql-flexible-entra-auth": ("pass_orthanc_index", "fail_pg_public"),
    "mysql-flexible-public-access-disabled": ("pass_mysql_private", "fail_mysql_public"),
    "mysql-flexible-geo-redundant-backup": ("pass_mysql_private", "fail_mysql_public"),
    "mysql-flexible-secure-transport": ("pass_mysql_private", "fail_mysql_public"),
    "mysql-flexible-tls-minimum": ("pass_mysql_private", "fail_mysql_public"),
    "mysql-flexible-audit-log": ("pass_mysql_private", "fail_mysql_public"),
    # subscription monitoring: the branch office's subscription passes, the imaging one fails
    **{
        rule: ("33333333-3333-4333-8333-333333333333", "11111111-1111-4111-8111-111111111111")
        for rule in (
            "defender-plans-enabled",
            "security-contact-notifications",
            "security-contact-notify-owners",
            "activity-log-exported",
            "activity-log-alerts-configured",
            "service-health-alert",
        )
    },
}
SERVICES = {service for service, _ in azure.SERVICES}
TYPES = {rtype for _, rtype in azure.SERVICES}
# more fail verdicts the fixtures were built to show (ARM nulls normalised to failing values)
MORE_FAILS = {
    "storage-account-minimum-tls-version": ["fail_tls11_http"],
    "storage-account-blob-soft-delete": ["fail_legacy_defaults"],
    "storage-account-blob-audit-logging": ["fail_legacy_defaults"],
    "storage-account-container-soft-delete": ["fail_short_retention"],
    "storage-account-network-default-deny": ["fail_legacy_defaults"],
    "nsg-internet-admin-ports": ["fail_any_udp"],
    "nsg-internet-dicom-ports": ["fail_any_udp"],
    "nsg-flow-logs-retained": ["fail_any_udp"],
    "vm-disks-customer-key-or-host-encryption": ["fail_vhd_vm"],
}


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    with serving(FIXTURES, tmp_path_factory.mktemp("arm-ca"), retry_after=1) as server:
        os.environ["ENAMEL_AZURE_GRAPH_ENDPOINT"] = server.url  # Graph (Entra ID) from the stand-in too
        yield server
        os.environ.pop("ENAMEL_AZURE_GRAPH_ENDPOINT", None)


def settings_for(standin, **kw):
    return azure.arm.ArmSettings(
        endpoint=standin.url, ca_bundle=str(standin.ca), authority=standin.url, graph_endpoint=standin.url, **kw
    )


def secret_target(settings, name, subscriptions):
    """A tenant scanned with a real ClientSecretCredential whose token comes from the stand-in."""

    def make():
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            TENANT["tenant_id"], TENANT["client_id"], TENANT["client_secret"], **settings.identity_kwargs()
        )

    return azure.auth.Target(name, "ClientSecretCredential", make, subscriptions)


def clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "ENAMEL_AZURE", "MSI_", "IDENTITY_")) or k == "ENAMEL_AZURE_GRAPH_ENDPOINT"
    }
    env.update(extra)
    return env


def endpoint_args(standin) -> list:
    return [
        "--azure-endpoint",
        standin.url,
        "--azure-ca-bundle",
        standin.ca,
        "--azure-authority",
        standin.url,
        "--azure-max-retries",
        "1",
        "--azure-max-retry-after",
        "5",
    ]


def tenant_block(**extra) -> dict:
    block = {
        "tenant_id": TENANT["tenant_id"],
        "client_id": TENANT["client_id"],
        "client_secret_env": SECRET_ENV,
        "subscriptions": "all",
    }
    block.update(extra)
    return {k: v for k, v in block.items() if v is not None}


def tenants_file(tmp_path, *more, **azure_extra) -> Path:
    p = tmp_path / "tenants.yaml"
    tenants = [{"name": "Bright Smile Dental", "azure": tenant_block(**azure_extra)}, *more]
    p.write_text(yaml.safe_dump({"tenants": tenants}, sort_keys=False))
    return p


@pytest.fixture(scope="module")
def scan(standin, tmp_path_factory):
    """One MSP-style scan of every subscription the service principal sees, through the CLI."""
    tmp = tmp_path_factory.mktemp("azure-scan")
    standin.requests.clear()
    r = run_enamel(
        "scan",
        "--azure-tenants",
        tenants_file(tmp),
        *endpoint_args(standin),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--fail-on-error",
        env=clean_env(**{SECRET_ENV: TENANT["client_secret"]}),
    )
    assert "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    return r, report, list(standin.requests)


def verdicts(report, rule_id: str) -> dict:
    return {f["resource"]["name"]: f["status"] for f in report["findings"] if f["rule_id"] == rule_id}


def test_every_azure_rule_is_checked_against_the_standin():
    # Entra ID rules (one resource per tenant) are checked in tests/test_azure_entra.py
    assert set(VERDICTS) == {p.stem for p in RULES_DIR.glob("*.yaml") if not p.stem.startswith("entra-")}


@pytest.mark.parametrize("rule_id", sorted(VERDICTS))
def test_rule_pass_and_fail_verdicts_from_live_collection(scan, rule_id):
    _, report, _ = scan
    got = verdicts(report, rule_id)
    passing, failing = VERDICTS[rule_id]
    assert got[passing] == "pass", got
    for name in [failing, *MORE_FAILS.get(rule_id, [])]:
        assert got[name] == "fail", (name, got)
    fail = next(f for f in report["findings"] if f["rule_id"] == rule_id and f["resource"]["name"] == failing)
    assert ("expected:" in fail["message"] or "failed:" in fail["message"]) and fail["evidence"]


def test_compliant_accounts_pass_every_rule(scan):
    _, report, _ = scan
    for name in ("pass_hardened", "pass_tls13_vnet", "pass_after_throttle", "pass_phi_keys"):
        statuses = {f["rule_id"]: f["status"] for f in report["findings"] if f["resource"]["name"] == name}
        # shared-key expiry policies only matter where shared keys are allowed: not here
        skipped = {r for r, st in statuses.items() if st == "skip"}
        assert skipped <= {"storage-account-shared-key-expiry-policy"}, (name, statuses)
        assert statuses and set(statuses.values()) - {"skip"} == {"pass"}, (name, statuses)


def test_tls13_minimum_passes_a_tls12_rule_and_unset_minimum_is_tls10(scan):
    _, report, _ = scan
    tls = {
        f["resource"]["name"]: f for f in report["findings"] if f["rule_id"] == "storage-account-minimum-tls-version"
    }
    assert tls["pass_tls13_vnet"]["evidence"] == {"minimum_tls_version": "TLS1_3"}
    assert tls["fail_legacy_defaults"]["evidence"] == {"minimum_tls_version": "TLS1_0"}
    assert tls["fail_tls11_http"]["status"] == "fail"


def test_storage_accounts_are_paged_through_next_link(scan):
    _, report, requests = scan
    listing = [r for r in requests if r[2] == f"/subscriptions/{SUB_OK}/providers/Microsoft.Storage/storageAccounts"]
    accounts = next(s["accounts"] for s in TENANT["subscriptions"] if s["subscriptionId"] == SUB_OK)
    assert len(listing) == -(-len(accounts) // TENANT["page_size"]) > 1
    seen = {
        f["resource"]["name"]
        for f in report["findings"]
        if f["resource"]["type"] == "azure.storage_account" and f["resource"]["account"] == SUB_OK
    }
    assert seen == set(accounts)


def test_denied_subscription_gives_error_findings_never_pass(scan):
    r, report, _ = scan
    assert r.returncode == 3  # incomplete scan with --fail-on-error
    assert report["scan"]["complete"] is False
    denied = [e for e in report["errors"] if e["account"] == SUB_DENIED]
    assert {e["service"] for e in denied} == SERVICES and {e["resource_type"] for e in denied} == TYPES
    assert all("HTTP 403 AuthorizationFailed" in e["message"] for e in denied)
    scoped = [f for f in report["findings"] if f["resource"]["account"] == SUB_DENIED]
    assert {f["rule_id"] for f in scoped} == set(VERDICTS)
    assert {f["status"] for f in scoped} == {"error"}


def test_subscription_of_another_tenant_is_an_error_and_the_rest_is_scanned(scan):
    _, report, _ = scan
    errs = [e for e in report["errors"] if e["account"] == SUB_OTHER_TENANT]
    assert {e["service"] for e in errs} == SERVICES
    assert all(
        e["message"].startswith("credential failed: access denied (HTTP 401 InvalidAuthenticationTokenTenant)")
        for e in errs
    )
    assert {f["status"] for f in report["findings"] if f["resource"]["account"] == SUB_OTHER_TENANT} == {"error"}


def test_throttled_request_waits_for_retry_after_then_succeeds(scan):
    _, report, requests = scan
    listing = [
        r for r in requests if r[2].startswith(f"/subscriptions/{SUB_THROTTLED_ONCE}/providers/Microsoft.Storage")
    ]
    assert [r[3] for r in listing] == [429, 200]
    assert listing[1][0] - listing[0][0] >= 0.95  # Retry-After: 1 was honoured
    assert not [e for e in report["errors"] if e["account"] == SUB_THROTTLED_ONCE]
    assert set(verdicts(report, "storage-account-blob-versioning").values()) >= {"pass"}
    assert verdicts(report, "storage-account-blob-versioning")["pass_after_throttle"] == "pass"


def test_persistent_throttling_is_an_error_after_bounded_retries(scan):
    _, report, requests = scan
    listing = [r for r in requests if r[2].startswith(f"/subscriptions/{SUB_THROTTLED}/providers/Microsoft.Storage")]
    assert [r[3] for r in listing] == [429, 429]  # the call and --azure-max-retries 1
    errs = [e for e in report["errors"] if e["account"] == SUB_THROTTLED]
    assert errs and all(e["message"].startswith("throttled (HTTP 429") for e in errs)
    assert {f["status"] for f in report["findings"] if f["resource"]["account"] == SUB_THROTTLED} == {"error"}


def test_scan_never_writes_not_even_to_register_a_resource_provider(scan):
    _, report, requests = scan
    assert {r[1] for r in requests if r[4] != "token"} == {"GET"}
    unregistered = [r for r in requests if r[2].startswith(f"/subscriptions/{SUB_UNREGISTERED}/")]
    assert unregistered and {(r[1], r[3]) for r in unregistered} == {("GET", 409)}
    errs = [e for e in report["errors"] if e["account"] == SUB_UNREGISTERED]
    assert errs and all("the scan is read-only" in e["message"] for e in errs)
    assert {f["status"] for f in report["findings"] if f["resource"]["account"] == SUB_UNREGISTERED} == {"error"}


def test_file_storage_account_skips_blob_rules_and_is_not_asked_for_a_blob_service(scan):
    _, report, requests = scan
    got = {f["rule_id"]: f["status"] for f in report["findings"] if f["resource"]["name"] == "skip_premium_files"}
    blob_rules = {
        "storage-account-blob-soft-delete",
        "storage-account-container-soft-delete",
        "storage-account-blob-versioning",
        "storage-account-blob-audit-logging",
    }
    assert {r for r, st in got.items() if st == "skip"} == blob_rules | {"storage-account-shared-key-expiry-policy"}
    assert {st for r, st in got.items() if st != "skip"} == {"pass"}
    assert not [r for r in requests if "/skip_premium_files/" in r[2]]


def test_denied_blob_service_read_makes_blob_rules_error_not_pass(scan):
    _, report, _ = scan
    got = {f["rule_id"]: f for f in report["findings"] if f["resource"]["name"] == "error_blob_denied"}
    for rule_id in (
        "storage-account-blob-soft-delete",
        "storage-account-container-soft-delete",
        "storage-account-blob-versioning",
    ):
        assert got[rule_id]["status"] == "error"
        assert "HTTP 403" in got[rule_id]["message"]
    assert got["storage-account-minimum-tls-version"]["status"] == "pass"  # what was read is still judged


def test_arm_requests_carry_the_token_from_the_token_endpoint(scan, standin):
    _, _, requests = scan
    # one token for ARM, one for Microsoft Graph (another scope), each reused for every request
    assert [r[2] for r in requests if "oauth2" in r[2]] == [f"/{TENANT['tenant_id']}/oauth2/v2.0/token"] * 2
    assert {r[2].split("/")[2] for r in requests if r[3] == 401} == {SUB_OTHER_TENANT}
    assert standin.tokens


def test_default_credential_from_environment_scans_one_subscription(standin):
    env = clean_env(
        AZURE_TENANT_ID=TENANT["tenant_id"],
        AZURE_CLIENT_ID=TENANT["client_id"],
        AZURE_CLIENT_SECRET=TENANT["client_secret"],
        AZURE_TOKEN_CREDENTIALS="EnvironmentCredential",
    )
    r = run_enamel(
        "scan",
        "--azure",
        "--subscription",
        SUB_OK,
        *endpoint_args(standin),
        "--format",
        "json",
        "--fail-on",
        "high",
        "--allow-incomplete",
        env=env,
    )  # SUB_OK serves per-resource errors on purpose
    assert r.returncode == 1, r.stderr  # high findings
    report = json.loads(r.stdout)
    validate_report(report)
    assert report["errors"] == [] and report["scan"]["sources"] == [f"azure:{SUB_OK}"]
    assert verdicts(report, "key-vault-purge-protection") == {"pass_phi_keys": "pass", "fail_purgeable_keys": "fail"}


def test_rejected_secret_exits_2_with_one_line(standin, tmp_path):
    standin.requests.clear()
    r = run_enamel(
        "scan",
        "--azure-tenants",
        tenants_file(tmp_path),
        *endpoint_args(standin),
        env=clean_env(**{SECRET_ENV: "not-the-secret"}),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("enamel: error: azure credentials: Bright Smile Dental: ClientSecretCredential (tenant ")
    assert "Invalid client secret" in r.stderr and "not-the-secret" not in r.stderr
    # the tenant fails at its first sign-in: one token request, no Graph or ARM call after it
    assert [path for _, _, path, _, _ in standin.requests if not path.endswith("openid-configuration")] == [
        f"/{TENANT['tenant_id']}/oauth2/v2.0/token"
    ], standin.requests


def test_unconfigured_default_credential_exits_2_with_one_line(standin):
    r = run_enamel(
        "scan",
        "--azure",
        "--subscription",
        SUB_OK,
        *endpoint_args(standin),
        env=clean_env(AZURE_TOKEN_CREDENTIALS="EnvironmentCredential"),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(
        "enamel: error: azure credentials: DefaultAzureCredential failed: "
        "EnvironmentCredential: EnvironmentCredential authentication unavailable"
    )


def test_secret_in_tenants_file_is_refused(tmp_path):
    p = tenants_file(tmp_path, client_secret="hunter2")
    r = run_enamel("scan", "--azure-tenants", p, env=clean_env())
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{p}:" in r.stderr and "secrets are never read from a config file" in r.stderr
    assert "client_secret_env" in r.stderr
    assert "hunter2" not in r.stderr


def test_missing_secret_environment_variable_exits_2(tmp_path):
    p = tenants_file(tmp_path)
    r = run_enamel("scan", "--azure-tenants", p, env=clean_env())
    assert r.returncode == 2 and f"environment variable {SECRET_ENV}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_collected_properties_follow_the_type_schemas(standin):
    """In process: the real SDK models normalised into exactly the schema's keys and values."""
    settings = settings_for(standin, max_retries=0)
    out = azure.collect_targets([secret_target(settings, "t", (SUB_OK,))], settings)
    assert out.errors == [] and out.sources == [f"azure:{SUB_OK}"]
    types = schemas.type_schemas()
    import jsonschema

    assert TYPES <= {r.type for r in out.resources}
    for res in out.resources:
        if res.type == azure.graph.TYPE:  # tenant-level, checked in tests/test_azure_entra.py
            continue
        props = dict(res.properties)
        markers = {k: set(v) for k, v in props.items() if isinstance(v, dict) and set(v) & {"$error", "$unknown"}}
        expected = {
            "error_blob_denied": {"blob": {"$error"}},
            "skip_premium_files": {"blob": {"$unknown"}, "diagnostics": {"$unknown"}},
            "error_sql_audit_denied": {"auditing": {"$error"}},
        }
        assert markers == expected.get(res.name, {}), res.name
        jsonschema.validate({k: v for k, v in props.items() if k not in markers}, types[res.type])
        assert res.source == "live" and res.account == SUB_OK and res.region in ("eastus2", "westus3", "global")
    vnet = next(r for r in out.resources if r.name == "pass_tls13_vnet").properties
    assert vnet["tags"] == {"data_class": "phi", "owner": "Dr Lee"}  # served as Data_Class, Owner
    legacy = next(r for r in out.resources if r.name == "fail_legacy_defaults").properties
    assert (
        legacy["minimum_tls_version"],
        legacy["allow_shared_key_access"],
        legacy["allow_blob_public_access"],
        legacy["public_network_access"],
    ) == ("TLS1_0", True, True, "Enabled")


def test_shipped_reader_role_grants_exactly_the_actions_the_scan_uses(scan):
    _, _, requests = scan
    role = json.loads((Path(azure.__file__).parent / "reader-role.json").read_text())
    used = {ACTIONS[r[4]] if r[4] in ACTIONS else action_for(r[2]) for r in requests if r[4] in {*ACTIONS, "arm"}}
    assert set(role["Actions"]) == set(azure.ACTIONS) == used
    assert role["DataActions"] == [] and not any("write" in a or "listKeys" in a for a in role["Actions"])


def test_certificate_tenant_and_a_failing_tenant_in_one_msp_scan(standin, tmp_path):
    """One tenant signs in with a certificate (client assertion checked by the token endpoint),
    the other's secret is rejected: its scope is an error, the first is still scanned."""
    cert_path, cert_pem = make_client_certificate(tmp_path)
    standin.trust_certificate(cert_pem)
    wrong = {"name": "Wrong Secret Dental", "azure": tenant_block(client_secret_env="ENAMEL_TEST_WRONG_SECRET")}
    p = tenants_file(tmp_path, wrong, client_secret_env=None, certificate_path=str(cert_path), subscriptions=[SUB_OK])
    r = run_enamel(
        "scan",
        "--azure-tenants",
        p,
        *endpoint_args(standin),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--fail-on-error",
        env=clean_env(ENAMEL_TEST_WRONG_SECRET="not-it"),
    )
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    assert verdicts(report, "storage-account-https-only")["pass_hardened"] == "pass"
    errs = [e for e in report["errors"] if e["account"] == "Wrong Secret Dental"]
    assert {e["service"] for e in errs} == SERVICES | {"entra"}  # its Entra ID rules are errors too
    assert all("Invalid client secret" in e["message"] for e in errs)
    assert "not-it" not in r.stdout


def test_tenant_option_scans_only_that_tenant(standin, tmp_path):
    other = {"name": "Other Practice", "azure": tenant_block(client_secret_env="ENAMEL_TEST_UNSET_SECRET")}
    p = tenants_file(tmp_path, other, subscriptions=[SUB_OK])
    r = run_enamel(
        "scan",
        "--azure-tenants",
        p,
        "--tenant",
        "Bright Smile Dental",
        *endpoint_args(standin),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--allow-incomplete",
        env=clean_env(**{SECRET_ENV: TENANT["client_secret"]}),
    )
    assert r.returncode == 0, r.stderr  # the other tenant's unset variable is never read
    report = json.loads(r.stdout)
    assert report["scan"]["tenant"] == "Bright Smile Dental" and report["scan"]["sources"] == [f"azure:{SUB_OK}"]


def test_unreachable_arm_is_an_error_not_a_pass(standin):
    """A closed port: the SDK's connection error becomes error findings for the subscription."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{s.getsockname()[1]}"
    from azure.core.credentials import AccessToken

    class StaticToken:  # a TokenCredential: get_token(*scopes) -> AccessToken
        def get_token(self, *scopes, **kwargs):
            return AccessToken("test-token", 2**31)

    settings = azure.arm.ArmSettings(endpoint=closed, graph_endpoint=closed, ca_bundle=str(standin.ca), max_retries=0)
    out = azure.collect_targets([azure.auth.Target("t", "static", StaticToken, (SUB_OK,))], settings)
    (tenant,) = out.resources  # the Entra ID tenant, every property of which is an error
    assert tenant.type == azure.graph.TYPE
    assert all("$error" in v for k, v in tenant.properties.items() if k not in ("id", "tenant_id"))
    assert {e.resource_type for e in out.errors} == TYPES
    assert all(e.message.startswith("could not reach ARM") for e in out.errors)


@pytest.mark.parametrize(
    "switch,message",
    [
        ("deny_subscription_list", "listing subscriptions: access denied (HTTP 403"),  # listing refused
        ("hide_subscriptions", "ClientSecretCredential sees no enabled subscription"),  # nothing visible
    ],
)
def test_subscription_listing_that_yields_nothing_is_an_error_not_a_clean_scan(standin, switch, message):
    settings = settings_for(standin, max_retries=0)
    setattr(standin, switch, True)
    try:
        out = azure.collect_targets([secret_target(settings, "Bright Smile Dental", None)], settings)
    finally:
        setattr(standin, switch, False)
    assert [r.type for r in out.resources] == [azure.graph.TYPE]  # Entra ID is read whatever ARM says
    assert {(e.resource_type, e.account) for e in out.errors} == {(t, "Bright Smile Dental") for t in TYPES}
    assert all(e.message.startswith(message) for e in out.errors)


def test_collected_file_evaluates_like_the_live_scan(standin, tmp_path):
    """`enamel collect --azure` writes the normalised resources; scanning that file gives the
    same verdicts as scanning live."""
    env = clean_env(**{SECRET_ENV: TENANT["client_secret"]})
    args = ["--azure-tenants", tenants_file(tmp_path), "--subscription", SUB_OK, *endpoint_args(standin)]
    out = tmp_path / "azure.json"
    r = run_enamel("collect", *args, "-o", out, env=env)
    assert r.returncode == 0, r.stderr
    live = run_enamel("scan", *args, "--format", "json", "--fail-on", "none", env=env)
    offline = run_enamel("scan", "--resources", out, "--format", "json", "--fail-on", "none", env=env)
    strip = lambda rep: sorted((f["rule_id"], f["resource"]["id"], f["status"]) for f in json.loads(rep)["findings"])
    assert strip(live.stdout) == strip(offline.stdout) and len(strip(live.stdout)) > 100


@pytest.mark.parametrize("cli,expected", [([], (SUB_OK,)), (["all"], None), (["x", "x", "y"], ("x", "y"))])
def test_command_line_subscriptions_override_the_tenants_file(tmp_path, monkeypatch, cli, expected):
    monkeypatch.setenv(SECRET_ENV, "s")
    p = tenants_file(tmp_path, subscriptions=[SUB_OK])
    subs = azure._subscriptions(cli)
    (target,) = azure.auth.load_tenants(str(p), azure.arm.ArmSettings(), cli_subscriptions=subs if cli else False)
    assert target.subscriptions == expected and target.describe.startswith("ClientSecretCredential")


def test_unknown_cloud_in_environment_exits_2():
    r = run_enamel("scan", "--azure", env=clean_env(ENAMEL_AZURE_CLOUD="mars"))
    assert r.returncode == 2 and "unknown Azure cloud 'mars'" in r.stderr and "Traceback" not in r.stderr


def test_missing_azure_sdk_exits_2_naming_the_extra():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['azure.identity'] = None; from enamel_hipaa.cli import main; "
        "sys.exit(main(['scan', '--azure']))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert r.returncode == 2 and "pip install 'enamel-hipaa[azure]'" in r.stderr and "Traceback" not in r.stderr


def test_retry_after_longer_than_the_limit_is_not_waited_for(standin):
    settings = settings_for(standin, max_retries=3, max_retry_after=0.5)  # the stand-in asks for 1 s
    before = len(standin.requests)
    out = azure.collect_targets([secret_target(settings, "t", (SUB_THROTTLED,))], settings)
    listing = [r for r in standin.requests[before:] if r[4] in ("accounts", "vaults", "arm")]
    assert {r[3] for r in listing} == {429}
    assert len(listing) == len({r[2] for r in listing})  # each listing asked once: no retry
    assert {e.resource_type for e in out.errors} == TYPES and all("HTTP 429" in e.message for e in out.errors)


def test_denied_sql_auditing_read_makes_only_the_auditing_rule_error(scan):
    _, report, _ = scan
    got = {f["rule_id"]: f for f in report["findings"] if f["resource"]["name"] == "error_sql_audit_denied"}
    assert got["sql-server-auditing-retained"]["status"] == "error"
    assert "auditingSettings: access denied (HTTP 403" in got["sql-server-auditing-retained"]["message"]
    assert {r: f["status"] for r, f in got.items() if r != "sql-server-auditing-retained"} == {
        r: "pass" for r in got if r != "sql-server-auditing-retained"
    }


def test_nsg_deny_rule_earlier_in_priority_order_closes_a_later_allow(scan):
    _, report, _ = scan
    nsg = next(
        f
        for f in report["findings"]
        if f["resource"]["name"] == "pass_deny_first" and f["rule_id"] == "nsg-internet-admin-ports"
    )
    assert nsg["status"] == "pass"
    rdp = next(
        f
        for f in report["findings"]
        if f["resource"]["name"] == "fail_rdp_open" and f["rule_id"] == "nsg-internet-admin-ports"
    )
    assert "3389" in rdp["message"]


def test_docs_list_exactly_the_permissions_the_collectors_declare():
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "azure.md").read_text()
    documented = set(re.findall(r"^\| `(Microsoft\.[^`]+)` \|", text, re.M))
    assert documented == set(azure.ACTIONS)
    graph_permissions = set(re.findall(r"^\| `([A-Z][A-Za-z]+\.Read\.All)` \|", text, re.M))
    assert graph_permissions == set(azure.graph.PERMISSIONS)
    assert {permission for _, permission in azure.graph.READS.values()} == set(azure.graph.PERMISSIONS)


def test_collectors_declare_every_action_and_sdk_they_need():
    for module in azure.MORE:
        assert module.ACTIONS and module.SDK and module.SERVICES
        assert set(module.ACTIONS) <= set(azure.ACTIONS) and set(module.SDK) <= set(azure.SDK_MODULES)
