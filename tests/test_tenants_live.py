"""MSP runs against real sources: one moto server holding an AWS account per practice
(each reached through its own audit role and ExternalId) and a per-practice on-prem
inventory. Per-tenant verdicts, a bad role or wrong ExternalId making only that tenant
incomplete, canaries never crossing tenants, the global API call cap, shards merging to
the unsharded roll-up, history trend, and one weekly email per tenant."""

import email
import email.policy
import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

import awsstack
import msp_moto
import smtp_server
from conftest import ROOT, run_enamel, validate_report
from test_azure import standin  # noqa: F401 - the ARM stand-in fixture (tests/arm_standin.py)
from enamel_hipaa.outputs.rollup import comparable
from enamel_hipaa.workflows.tenants import load_tenants, select

DEMO = ROOT / "enamel_hipaa" / "workflows" / "demo" / "onprem"
CAP = 3
# name, account, versioned buckets?, on-prem site (None: no on-prem), role ExternalId (None: no role)
GOOD = [
    ("acme-dental", "111100000001", True, "hardened", "xid-acme-8c1f"),
    ("birch-ortho", "111100000002", False, "insecure", "xid-birch-27ad"),
    ("cedar-kids", "111100000003", True, None, "xid-cedar-90be"),
]
BAD = [
    ("dune-wrong-extid", "111100000004", True, None, "xid-dune-4411"),  # the env var holds another id
    ("elm-no-role", "111100000005", True, None, None),
]  # the practice never made the role
ALL = GOOD + BAD
NAMES = [t[0] for t in ALL]


def canary(name: str) -> str:
    return f"CANARY-{name.split('-')[0].upper()}-{sum(map(ord, name)) % 9973}"


def env_name(name: str) -> str:
    return "ENAMEL_TEST_XID_" + name.split("-")[0].upper()


def inventory(path: Path, name: str, site: str) -> str:
    c = canary(name).lower()
    inv = {
        "version": 1,
        "site": f"{name} site {canary(name)}",
        "orthanc": [
            {
                "name": f"{name}-pacs-{c}",
                "config": str(DEMO / site / "orthanc"),
                "version": "1.10.1",
                "deployment": "debian",
                "host": f"{name}-server",
            }
        ],
        "nginx": [
            {"name": f"{name}-proxy-{c}", "config": str(DEMO / site / "nginx" / "nginx.conf"), "host": f"{name}-server"}
        ],
        "windows": [{"name": f"{name}-op1-{c}", "file": str(DEMO / site / "workstation.json")}],
    }
    path.write_text(yaml.safe_dump(inv))
    return path.name


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("msp")
    with msp_moto.gated_moto_server() as (url, gate):
        tenants, env = [], dict(os.environ)
        for name, account, versioned, site, xid in ALL:
            sess = awsstack.session(account)
            msp_moto.practice_buckets(sess, name.split("-")[0], canary(name), 2, versioned=versioned)
            role = f"arn:aws:iam::{account}:role/{msp_moto.ROLE}"
            if xid:
                role = msp_moto.audit_role(sess, awsstack.ACCOUNT_A, xid)
            env[env_name(name)] = {
                "dune-wrong-extid": "xid-not-the-one-dune-agreed",
                "elm-no-role": "xid-elm-never-agreed",
            }.get(name, xid)
            t = {
                "name": name,
                "display_name": name.replace("-", " ").title(),
                "aws": [{"role_arn": role, "external_id_env": env_name(name)}],
                "recipients": [f"officer@{name}.example", f"it@{name}.example"],
            }
            if site:
                t["onprem"] = inventory(d / f"{name}-inventory.yaml", name, site)
            tenants.append(t)
        (d / "tenants.yaml").write_text(
            yaml.safe_dump({"version": 1, "defaults": {"regions": ["us-east-1"]}, "tenants": tenants})
        )
        gate.delay = 0.005  # each call holds its request a little, so overlapping calls show
        gate.reset_counts()
        full = d / "full"
        r = run_enamel(
            "tenants",
            "scan",
            d / "tenants.yaml",
            "--output-dir",
            full,
            "--jobs",
            "5",
            "--max-api-calls",
            CAP,
            "--fail-on-error",
            env=env,
            timeout=300,
        )
        yield {"dir": d, "env": env, "gate": gate, "full": full, "run": r, "capped_max": gate.max_in_flight}


def report(out: Path, name: str) -> dict:
    rep = json.loads((out / name / "enamel-report.json").read_text())
    validate_report(rep)
    return rep


def all_text(d: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(d.rglob("*")) if p.is_file())


def test_pass_each_tenant_gets_its_own_accounts_findings(world):
    assert world["run"].returncode == 3, world["run"].stderr  # two tenants incomplete, --fail-on-error
    assert "Traceback" not in world["run"].stderr
    for name, account, versioned, site, _ in GOOD:
        rep = report(world["full"], name)
        assert rep["scan"]["tenant"] == name and rep["scan"]["complete"], rep["errors"]
        assert rep["scan"]["sources"][0] == f"aws:{account}"
        buckets = [f for f in rep["findings"] if f["rule_id"] == "s3-bucket-versioning"]
        assert len(buckets) == 2 and all(f["resource"]["account"] == account for f in buckets)
        assert {f["status"] for f in buckets} == {"pass" if versioned else "fail"}
        onprem = [f for f in rep["findings"] if f["resource"]["type"].startswith("onprem.")]
        if site is None:
            assert not onprem
        else:
            assert onprem and all(name in f["resource"]["name"] for f in onprem)
    fails = {
        n: sum(
            f["status"] == "fail" and f["resource"]["type"].startswith("onprem.")
            for f in report(world["full"], n)["findings"]
        )
        for n in ("acme-dental", "birch-ortho")
    }
    assert fails["birch-ortho"] > fails["acme-dental"]  # insecure site vs hardened site


def test_fail_bad_role_or_wrong_external_id_marks_only_that_tenant_incomplete(world):
    roll = json.loads((world["full"] / "rollup.json").read_text())
    by = {t["name"]: t for t in roll["tenants"]}
    assert {n for n, t in by.items() if not t["complete"]} == {"dune-wrong-extid", "elm-no-role"}
    assert {t["name"] for t in roll["tenants"][:2]} == {"dune-wrong-extid", "elm-no-role"}  # ranked first
    for name in ("dune-wrong-extid", "elm-no-role"):
        rep = report(world["full"], name)
        assert not rep["scan"]["complete"]
        assert rep["errors"] and all("AccessDenied" in e["message"] for e in rep["errors"])
        aws = [f for f in rep["findings"] if f["resource"]["type"].startswith("aws.")]
        assert aws and {f["status"] for f in aws} == {"error"}  # never a pass it could not see
    assert sorted(set(world["gate"].denied)) == [f"arn:aws:iam::{a}:role/{msp_moto.ROLE}" for _, a, *_ in BAD]


def test_pass_canaries_and_external_ids_never_cross_tenants(world):
    for name in NAMES:
        text = all_text(world["full"] / name)
        if name in [g[0] for g in GOOD]:
            assert canary(name).lower() in text  # bucket and host names carry it
        for other in NAMES:
            if other != name:
                assert canary(other) not in text and canary(other).lower() not in text, (name, other)
        assert not any(world["env"][env_name(n)] in text for n in NAMES)  # ExternalIds never written
    rollup_text = "\n".join(
        (world["full"] / f).read_text() for f in ("rollup.json", "rollup.html", "rollup.md", "rollup.csv")
    )
    assert not any(canary(n) in rollup_text or canary(n).lower() in rollup_text for n in NAMES)


def test_pass_global_cap_bounds_api_calls_in_flight_across_tenants(world):
    assert 2 <= world["capped_max"] <= CAP, world["capped_max"]


def test_pass_shards_cover_every_tenant_once_and_merge_to_the_unsharded_rollup(world):
    d, gate = world["dir"], world["gate"]
    n = 2
    slices = [select(load_tenants(str(d / "tenants.yaml")), shard=(i, n)) for i in range(n)]
    assert sorted(t.name for s in slices for t in s) == sorted(NAMES)
    gate.reset_counts()
    shard_dirs = []
    for i in range(n):
        out = d / f"shard{i}"
        r = run_enamel(
            "tenants",
            "scan",
            d / "tenants.yaml",
            "--shard",
            f"{i}/{n}",
            "--output-dir",
            out,
            "--jobs",
            "3",
            env=world["env"],
            timeout=300,
        )
        assert r.returncode in (0, 1, 3), r.stderr
        assert (r.returncode == 3) == ("INCOMPLETE" in r.stdout + r.stderr)  # incomplete tenants: exit 3
        assert sorted(p.parent.name for p in out.glob("*/tenant.json")) == sorted(t.name for t in slices[i])
        shard_dirs.append(out)
    assert gate.max_in_flight > CAP  # without --max-api-calls the same tenants overlap more
    r = run_enamel("tenants", "merge", *shard_dirs, "--output-dir", d / "merged")
    assert r.returncode == 0, r.stderr
    full = comparable(json.loads((world["full"] / "rollup.json").read_text()))
    assert comparable(json.loads((d / "merged" / "rollup.json").read_text())) == full


def test_pass_history_fills_each_tenants_trend_in_the_rollup(world):
    d, db = world["dir"], world["dir"] / "history.sqlite3"
    scan = ("tenants", "scan", d / "tenants.yaml", "--only", "cedar-kids,acme-dental", "--history", db, "--jobs", "2")
    first = run_enamel(*scan, "--output-dir", d / "week1", env=world["env"], timeout=300)
    assert first.returncode in (0, 1), first.stderr
    roll1 = {t["name"]: t for t in json.loads((d / "week1" / "rollup.json").read_text())["tenants"]}
    assert roll1["cedar-kids"]["trend"]["previous"] is None and roll1["cedar-kids"]["trend"]["fail"] is None
    s3 = awsstack.session("111100000003").client("s3")
    s3.create_bucket(Bucket="cedar-new-unversioned-phi")  # cedar gets worse between the two scans
    s3.put_bucket_tagging(
        Bucket="cedar-new-unversioned-phi", Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]}
    )
    try:
        second = run_enamel(*scan, "--output-dir", d / "week2", env=world["env"], timeout=300)
    finally:
        s3.delete_bucket(Bucket="cedar-new-unversioned-phi")
    assert second.returncode in (0, 1), second.stderr
    roll2 = json.loads((d / "week2" / "rollup.json").read_text())
    schema = json.loads((ROOT / "rules" / "schema" / "rollup.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(roll2)
    by = {t["name"]: t for t in roll2["tenants"]}
    assert by["cedar-kids"]["trend"]["previous"]["started_at"] < by["cedar-kids"]["scanned_at"]
    assert by["cedar-kids"]["trend"]["fail"] > 0 and by["acme-dental"]["trend"]["fail"] == 0
    html, md = (d / "week2" / "rollup.html").read_text(), (d / "week2" / "rollup.md").read_text()
    assert f"+{by['cedar-kids']['trend']['fail']}" in html and f"+{by['cedar-kids']['trend']['fail']}/" in md
    assert "first scan" in (d / "week1" / "rollup.html").read_text()


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def message_text(msg) -> str:
    parts = [msg["Subject"], msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()]
    parts += [p.get_content() for p in msg.iter_attachments()]
    return "\n".join(parts)


def weekly(world, *extra):
    config = world["dir"] / "empty-config.yaml"
    config.write_text("")
    env = dict(world["env"], ENAMEL_CONFIG=str(config))
    return run_enamel(
        "report",
        "weekly",
        "--tenants",
        world["dir"] / "tenants.yaml",
        "-q",
        "--smtp-from",
        "enamel@msp.example",
        *extra,
        env=env,
        timeout=300,
    )


def test_pass_weekly_writes_one_email_per_tenant_with_only_its_data(world):
    out = world["dir"] / "eml"
    r = weekly(world, "--history", world["dir"] / "weekly.sqlite3", "--out", out)
    assert r.returncode == 0, r.stderr
    emls = sorted(out.glob("*.eml"))
    assert len(emls) == len(NAMES)
    seen = set()
    for path in emls:
        msg = parse(path.read_bytes())
        name = next(n for n in NAMES if n in msg["Subject"])
        seen.add(name)
        assert msg["To"] == f"officer@{name}.example, it@{name}.example"
        text = message_text(msg)
        if name in [g[0] for g in GOOD]:
            assert canary(name).lower() in text
        for other in NAMES:
            if other != name:
                assert canary(other).lower() not in text and f"@{other}.example" not in text, (name, other)
    assert seen == set(NAMES)


def test_pass_weekly_delivers_each_tenants_email_over_starttls(world):
    ca = smtp_server.make_ca("enamel-msp-test-ca")
    inbox = smtp_server.Inbox()
    controller = smtp_server.start(inbox, "starttls", smtp_server.server_context(ca, world["dir"]))
    try:
        r = weekly(
            world,
            "--history",
            world["dir"] / "smtp.sqlite3",
            "--only",
            "acme-dental,birch-ortho",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            controller.port,
            "--smtp-ca-file",
            ca.pem(world["dir"]),
        )
    finally:
        controller.stop()
    assert r.returncode == 0, r.stderr
    got = {tuple(m.rcpt_tos): parse(m.original_content) for m in inbox.messages}
    assert set(got) == {(f"officer@{n}.example", f"it@{n}.example") for n in ("acme-dental", "birch-ortho")}
    for rcpt, msg in got.items():
        name = rcpt[0].split("@")[1].removesuffix(".example")
        other = "birch-ortho" if name == "acme-dental" else "acme-dental"
        text = message_text(msg)
        assert canary(name).lower() in text and canary(other).lower() not in text


AZ_FIXTURES = ROOT / "tests" / "fixtures" / "azure"
AZ_SECRET_ENV = "ENAMEL_TEST_AZ_SECRET_LAKESIDE"


def test_pass_azure_block_scans_with_the_tenants_own_service_principal(standin, tmp_path):
    arm = standin
    ident = json.loads((AZ_FIXTURES / "tenant.json").read_text())
    ok_sub = ident["subscriptions"][0]["subscriptionId"]
    block = {"tenant_id": ident["tenant_id"], "client_id": ident["client_id"], "subscriptions": [ok_sub]}
    tenants = [
        {"name": "lakeside-ortho", "azure": {**block, "client_secret_env": AZ_SECRET_ENV}},
        {"name": "misty-azure", "azure": {**block, "client_secret_env": "ENAMEL_TEST_AZ_SECRET_UNSET"}},
    ]
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({"version": 1, "tenants": tenants}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ENAMEL_AZURE", "ENAMEL_TEST_AZ"))}
    env.update(
        {
            AZ_SECRET_ENV: ident["client_secret"],
            "ENAMEL_AZURE_ENDPOINT": arm.url,
            "ENAMEL_AZURE_GRAPH_ENDPOINT": arm.url,  # the stand-in serves Microsoft Graph too
            "ENAMEL_AZURE_CA_BUNDLE": str(arm.ca),
            "AZURE_AUTHORITY_HOST": arm.url,
        }
    )
    out = tmp_path / "out"
    r = run_enamel(
        "tenants", "scan", tmp_path / "tenants.yaml", "--output-dir", out, "--max-api-calls", "2", env=env, timeout=300
    )
    assert r.returncode in (0, 1, 3), r.stderr
    assert (r.returncode == 3) == ("INCOMPLETE" in r.stdout + r.stderr)
    rep = report(out, "lakeside-ortho")
    assert rep["scan"]["sources"] == [f"azure:{ok_sub}"]
    verdict = {(f["rule_id"], f["resource"]["name"]): f["status"] for f in rep["findings"]}
    assert verdict[("storage-account-https-only", "pass_hardened")] == "pass"
    assert verdict[("storage-account-https-only", "fail_tls11_http")] == "fail"
    misty = json.loads((out / "misty-azure" / "tenant.json").read_text())
    assert misty["complete"] is False and "ENAMEL_TEST_AZ_SECRET_UNSET" in misty["error"]
    assert ident["client_secret"] not in all_text(out) + r.stdout + r.stderr


def test_pass_role_scan_never_touches_boto3s_default_session(world, monkeypatch):
    import boto3

    from enamel_hipaa.sources.aws.runner import scan

    class Poisoned:
        def __getattr__(self, name):
            raise AssertionError(f"boto3's default session was used ({name})")

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", Poisoned())
    name, account, *_, xid = GOOD[0]
    col, aws = scan(role_arn=f"arn:aws:iam::{account}:role/{msp_moto.ROLE}", external_id=xid, regions="us-east-1")
    assert aws.account == account and not col.errors
    assert {r.account for r in col.resources} == {account}
