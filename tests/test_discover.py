"""Tenant discovery: practices from moto's AWS Organizations (accounts, OUs, tags) and from the
subscriptions an identity sees on the ARM stand-in (tags, management groups), merged into a
tenants file without touching hand edits, shown as a diff first."""

from pathlib import Path

import pytest
import yaml

import awsstack
from arm_standin import serving
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.workflows import discover
from enamel_hipaa.workflows.config import tenant_sources
from enamel_hipaa.workflows.tenants import load_tenants

LIGHTHOUSE = Path(__file__).parent / "fixtures" / "azure_lighthouse"
IDENTITY = {
    "tenant_id": "72f988bf-0000-4000-8000-000000000000",
    "client_id": "6d1f0c3e-0000-4000-8000-0000000000e1",
    "client_secret_env": "ENAMEL_AZ_SECRET_MSP",
}


@pytest.fixture(scope="module")
def organization(moto_account):
    """An organization: OU "Bright Smile Dental" (2 accounts), OU "Lakeside Ortho" (1), one
    account left in the root, one closed account; every account tagged practice=<its OU>."""
    org = awsstack.session().client("organizations")
    root = org.create_organization(FeatureSet="ALL") and org.list_roots()["Roots"][0]["Id"]
    ids = {}
    for ou_name, accounts in (
        ("Bright Smile Dental", ["bsd-imaging", "bsd-front"]),
        ("Lakeside Ortho", ["lo-main"]),
        (None, ["msp-tools"]),
    ):
        ou = (
            org.create_organizational_unit(ParentId=root, Name=ou_name)["OrganizationalUnit"]["Id"] if ou_name else None
        )
        for name in accounts:
            acct = org.create_account(
                Email=f"{name}@msp.example",
                AccountName=name,
                Tags=[{"Key": "practice", "Value": ou_name}] if ou_name else [],
            )
            aid = org.describe_create_account_status(CreateAccountRequestId=acct["CreateAccountStatus"]["Id"])[
                "CreateAccountStatus"
            ]["AccountId"]
            if ou:
                org.move_account(AccountId=aid, SourceParentId=root, DestinationParentId=ou)
            ids[name] = aid
    return ids


def test_pass_accounts_grouped_by_ou_become_tenants_with_role_and_extid_patterns(organization):
    left = []
    found = discover.discover_aws_organization(
        awsstack.session(),
        "ou",
        role_name_pattern="EnamelAudit",
        external_id_env_pattern="ENAMEL_EXTID_{TENANT}",
        unassigned=left,
    )
    assert [t["name"] for t in found] == ["bright-smile-dental", "lakeside-ortho"]
    bsd = found[0]
    assert bsd["display_name"] == "Bright Smile Dental"
    assert sorted(e["role_arn"] for e in bsd["aws"]) == sorted(
        f"arn:aws:iam::{organization[n]}:role/EnamelAudit" for n in ("bsd-imaging", "bsd-front")
    )
    assert {e["external_id_env"] for e in bsd["aws"]} == {"ENAMEL_EXTID_BRIGHT_SMILE_DENTAL"}
    names = {a["name"] for a in left}
    assert "msp-tools" in names  # not in any OU: reported, never dropped silently
    assert not names & {"bsd-imaging", "bsd-front", "lo-main"}


def test_pass_accounts_grouped_by_tag_match_the_ou_grouping(organization):
    by_tag = discover.discover_aws_organization(awsstack.session(), "tag:practice", role_name_pattern="Audit-{account}")
    assert [t["name"] for t in by_tag] == ["bright-smile-dental", "lakeside-ortho"]
    lo = by_tag[1]["aws"]
    assert lo == [
        {
            "role_arn": f"arn:aws:iam::{organization['lo-main']}:role/Audit-{organization['lo-main']}",
            "external_id_env": "ENAMEL_EXTID_LAKESIDE_ORTHO",
        }
    ]


def test_fail_bad_group_by_or_pattern_is_a_usage_error(organization):
    with pytest.raises(InputError, match="expected ou or tag"):
        discover.discover_aws_organization(awsstack.session(), "department")
    with pytest.raises(InputError, match="ExternalId variable patterns"):
        discover.discover_aws_organization(awsstack.session(), "ou", external_id_env_pattern="EXTID-{tenant}")


HAND_EDITED = """\
version: 1
defaults:
  regions: [us-east-1]
tenants:
  # Bright Smile: reviewed by hand, keep the recipients and params
  - name: bright-smile-dental
    display_name: Bright Smile (hand-named)
    recipients: [office@bsd.example]
    aws:
      - role_arn: arn:aws:iam::{bsd_imaging}:role/EnamelAudit
        external_id_env: ENAMEL_EXTID_BSD_CUSTOM
    params:
      params: {{min_retention_days: 3650}}
  - name: offline-clinic
    resources: [collected/offline.json]
# trailing comment stays
"""


def test_pass_merge_adds_new_tenants_and_accounts_and_keeps_hand_edits(organization, tmp_path):
    found = discover.discover_aws_organization(awsstack.session(), "ou")
    old = HAND_EDITED.format(bsd_imaging=organization["bsd-imaging"])
    new, diff = discover.merge_tenants(old, found)
    assert set(old.splitlines()) <= set(new.splitlines())  # every hand-written line stays (comments too)
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert not [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]  # nothing removed
    assert any(organization["bsd-front"] in ln for ln in added)  # the account Bright Smile did not list yet
    assert not any(organization["bsd-imaging"] in ln for ln in added)  # already there: not duplicated
    assert any("name: lakeside-ortho" in ln for ln in added)
    (tmp_path / "tenants.yaml").write_text(new)
    ts = {t.name: t for t in load_tenants(str(tmp_path / "tenants.yaml"))}
    assert ts["bright-smile-dental"].display_name == "Bright Smile (hand-named)"
    assert ts["bright-smile-dental"].recipients == ("office@bsd.example",)
    assert [a["external_id_env"] for a in ts["bright-smile-dental"].spec["aws"]] == [
        "ENAMEL_EXTID_BSD_CUSTOM",
        "ENAMEL_EXTID_BRIGHT_SMILE_DENTAL",
    ]
    assert set(ts) == {"bright-smile-dental", "offline-clinic", "lakeside-ortho"}
    again, diff2 = discover.merge_tenants(new, found)
    assert again == new and diff2 == ""  # idempotent: a second discovery changes nothing


def test_pass_merge_into_no_file_writes_a_valid_tenants_file(organization, tmp_path, monkeypatch):
    found = discover.discover_aws_organization(awsstack.session(), "ou")
    new, diff = discover.merge_tenants("", found)
    assert diff.startswith("--- tenants.yaml")
    (tmp_path / "tenants.yaml").write_text(new)
    t = load_tenants(str(tmp_path / "tenants.yaml"))[1]
    monkeypatch.setenv("ENAMEL_EXTID_LAKESIDE_ORTHO", "xid")
    [(aws,)] = tenant_sources(t.spec, t.source, t.name)  # scannable as written: one AWS account run
    assert aws.role_arn == found[1]["aws"][0]["role_arn"] and aws.external_id.reveal() == "xid"


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory):
    with serving(LIGHTHOUSE, tmp_path_factory.mktemp("lighthouse-ca")) as server:
        yield server


def msp_credential(standin):
    from azure.identity import ClientSecretCredential

    from enamel_hipaa.sources.azure.arm import ArmSettings

    settings = ArmSettings(endpoint=standin.url, ca_bundle=str(standin.ca), authority=standin.url)
    cred = ClientSecretCredential(
        IDENTITY["tenant_id"], IDENTITY["client_id"], "standin-secret-value", **settings.identity_kwargs()
    )
    return cred, settings


@pytest.mark.parametrize("group_by", ["tag:practice", "management-group"])
def test_pass_lighthouse_subscriptions_grouped_by_tag_or_management_group(lighthouse, group_by):
    cred, settings = msp_credential(lighthouse)
    left = []
    found = discover.discover_azure_lighthouse(cred, settings, IDENTITY, group_by, unassigned=left)
    assert [(t["name"], t["azure"]["subscriptions"]) for t in found] == [
        ("bright-smile-dental", ["a1111111-1111-4111-8111-111111111111", "a2222222-2222-4222-8222-222222222222"]),
        ("lakeside-ortho", ["b3333333-3333-4333-8333-333333333333"]),
    ]
    assert all(t["azure"]["client_secret_env"] == "ENAMEL_AZ_SECRET_MSP" for t in found)  # a name, never a value
    assert "standin-secret-value" not in yaml.safe_dump(found)
    assert [u["subscription"] for u in left] == ["c4444444-4444-4444-8444-444444444444"]  # disabled one skipped
    assert {r[1] for r in lighthouse.requests if r[3] < 400} <= {"GET", "POST"}  # POST: the token only
    assert all(r[1] == "GET" for r in lighthouse.requests if "/oauth2/" not in r[2])  # read-only


def test_pass_lighthouse_tenants_merge_into_a_file_with_aws_tenants(lighthouse, organization, tmp_path):
    cred, settings = msp_credential(lighthouse)
    aws_found = discover.discover_aws_organization(awsstack.session(), "ou")
    text, _ = discover.merge_tenants("", aws_found)
    az_found = discover.discover_azure_lighthouse(cred, settings, IDENTITY, "tag:practice")
    new, diff = discover.merge_tenants(text, az_found)
    assert "+    azure:" in diff or "+  azure:" in diff
    (tmp_path / "tenants.yaml").write_text(new)
    ts = {t.name: t for t in load_tenants(str(tmp_path / "tenants.yaml"))}
    assert ts["lakeside-ortho"].spec["aws"] and ts["lakeside-ortho"].spec["azure"]["subscriptions"] == [
        "b3333333-3333-4333-8333-333333333333"
    ]


def test_pass_cli_discover_shows_a_diff_and_writes_only_with_write(organization, tmp_path):
    from conftest import run_enamel

    target = tmp_path / "tenants.yaml"
    dry = run_enamel("tenants", "discover", target, "--aws-organization", "--role-name", "EnamelAudit")
    assert dry.returncode == 0, dry.stderr
    assert "bright-smile-dental" in dry.stdout and not target.exists()
    assert "unassigned" in dry.stderr  # the account left in the root is listed, never dropped
    wet = run_enamel("tenants", "discover", target, "--aws-organization", "--write")
    assert wet.returncode == 0 and target.exists()
    assert {t.name for t in load_tenants(str(target))} >= {"bright-smile-dental", "lakeside-ortho"}
    again = run_enamel("tenants", "discover", target, "--aws-organization")
    assert again.returncode == 0 and again.stdout.strip() == "no change"
