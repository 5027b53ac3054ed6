"""Secrets never reach an output: distinct canary strings planted in every documented secret
input (the AWS ExternalId through its env var, also starting with `-` and `--`; an Azure
service principal's client secret; the SMTP password; the PostgreSQL history DSN password; the
Slack/Teams webhook URL) and a scan written in every format, a tenants scan with its roll-up,
the weekly email (.eml), drift, the history database file and the failure paths (unreachable
endpoint, refused SMTP, bad DSN). Every written file, stdout and stderr is searched: no canary.

Runs in-process through `enamel_hipaa.cli.main` (stdout and stderr captured at the file
descriptor) except where the point is argv: one subprocess."""

import json
import socket
from pathlib import Path

import pytest
import yaml

import awsstack
import msp_moto
import smtp_server
from conftest import run_enamel
from enamel_hipaa.cli import main

pytestmark = pytest.mark.usefixtures("moto_account")  # AWS env pointing at the session's moto server

CANARY = {
    "xid_dash": "-CanaryXid1-d41f",
    "xid_ddash": "--canary-xid2=9e07",
    "xid_plain": "CanaryXid3a7c2",
    "az_secret": "CanaryAzSecret-5b19",
    "smtp_pw": "CanarySmtpPw-77e3",
    "pg_pw": "CanaryPgPw0c4d",
    "hook": "CanaryHook4f2a",
}
FORMATS = "table,json,sarif,junit,markdown,csv,html,ocsf"
RESOURCES = Path(__file__).resolve().parent.parent / "enamel_hipaa" / "workflows" / "demo" / "practice.yaml"


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def leaks(*texts: str | bytes, dirs: tuple[Path, ...] = ()) -> list[str]:
    """Which canaries (and their distinctive core, without the leading dashes) appear anywhere."""
    blobs = [t.encode() if isinstance(t, str) else t for t in texts]
    for d in dirs:
        blobs += [p.read_bytes() for p in sorted(Path(d).rglob("*")) if p.is_file()]
    found = []
    for name, value in CANARY.items():
        core = value.lstrip("-").encode()
        if any(core in b or core.lower() in b.lower() for b in blobs):
            found.append(name)
    return found


@pytest.fixture(scope="module")
def role_arn():
    sess = awsstack.session()
    msp_moto.practice_buckets(sess, "canary", "plain-tag", 1, versioned=True)
    return msp_moto.audit_role(sess, awsstack.ACCOUNT_A, CANARY["xid_plain"])


@pytest.fixture
def secret_env(monkeypatch, tmp_path):
    """Every secret env var set to its canary; no user config or SMTP settings from the host."""
    config = tmp_path / "empty-config.yaml"
    config.write_text("")
    monkeypatch.setenv("ENAMEL_CONFIG", str(config))
    for k in ("ENAMEL_SMTP_HOST", "ENAMEL_SMTP_PORT", "ENAMEL_SMTP_USER", "ENAMEL_SMTP_FROM", "ENAMEL_DEBUG"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ENAMEL_TEST_XID_DASH", CANARY["xid_dash"])
    monkeypatch.setenv("ENAMEL_TEST_XID_DDASH", CANARY["xid_ddash"])
    monkeypatch.setenv("ENAMEL_TEST_XID_PLAIN", CANARY["xid_plain"])
    monkeypatch.setenv("ENAMEL_TEST_AZ_SECRET", CANARY["az_secret"])
    monkeypatch.setenv("ENAMEL_SMTP_PASSWORD", CANARY["smtp_pw"])
    monkeypatch.setenv("ENAMEL_TEST_HOOK", f"http://127.0.0.1:{closed_port()}/hooks/{CANARY['hook']}")
    return tmp_path


def run(capfd, *argv) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse refusing the command line
        code = exc.code
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def aws_scan(capfd, out_dir: Path, history: Path, env_name: str, role: str, *extra):
    return run(
        capfd,
        "scan",
        "--aws",
        "--role-arn",
        role,
        "--external-id-env",
        env_name,
        "--regions",
        "us-east-1",
        "--rule",
        "s3-*",
        "--format",
        FORMATS,
        "--output-dir",
        out_dir,
        "--record",
        "--history",
        history,
        "--fail-on",
        "none",
        "--allow-incomplete",
        "--no-color",
        *extra,
    )


def test_pass_no_canary_in_any_scan_format_history_or_stderr(secret_env, capfd, role_arn):
    tmp = secret_env
    history = tmp / "history.sqlite3"
    outs, errs = [], []
    for i, var in enumerate(("ENAMEL_TEST_XID_PLAIN", "ENAMEL_TEST_XID_DASH", "ENAMEL_TEST_XID_DDASH")):
        code, out, err = aws_scan(capfd, tmp / f"out{i}", history, var, role_arn)
        assert code in (0, 1), err
        outs.append(out)
        errs.append(err)
        assert (tmp / f"out{i}" / "enamel-report.json").is_file()
        assert {p.suffix for p in (tmp / f"out{i}").iterdir()} >= {".json", ".sarif", ".xml", ".md", ".csv", ".html"}
    # the webhook (its URL a secret) refused: exit 2 naming the webhook, never its URL
    code, out, err = aws_scan(
        capfd,
        tmp / "out-hook",
        tmp / "hook.sqlite3",
        "ENAMEL_TEST_XID_DDASH",
        role_arn,
        "--webhook-env",
        "ENAMEL_TEST_HOOK",
    )
    assert code == 2 and "webhook" in err, err
    outs.append(out)
    errs.append(err)
    # moto does not check the ExternalId: the plain one and the dashed ones scanned alike,
    # i.e. a value starting with `-` or `--` is a value, never an option
    assert leaks(*outs, *errs, dirs=(tmp,)) == []
    # drift between the recorded scans, every format, to stdout and to a file
    for fmt in ("table", "json", "markdown"):
        code, out, err = run(capfd, "drift", "--history", history, "--format", fmt)
        assert code == 0, err
        assert leaks(out, err) == []
    code, out, err = run(capfd, "drift", "--history", history, "--format", "json", "--output", tmp / "drift.json")
    assert code == 0 and (tmp / "drift.json").is_file()
    code, out, err = run(capfd, "history", "list", "--history", history, "--format", "json")
    assert code == 0 and out.count('"id"') == 3
    assert leaks(out, err, dirs=(tmp,)) == []


def test_pass_no_canary_in_tenants_scan_and_rollup_with_failing_azure_and_aws(secret_env, capfd, role_arn, monkeypatch):
    tmp = secret_env
    dead = f"https://127.0.0.1:{closed_port()}"  # the Azure tenant's token and ARM endpoints: refused
    for var in ("ENAMEL_AZURE_ENDPOINT", "ENAMEL_AZURE_GRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST"):
        monkeypatch.setenv(var, dead)
    tenants = [
        {"name": "dash-dental", "aws": [{"role_arn": role_arn, "external_id_env": "ENAMEL_TEST_XID_DASH"}]},
        {"name": "ddash-dental", "aws": [{"role_arn": role_arn, "external_id_env": "ENAMEL_TEST_XID_DDASH"}]},
        {
            "name": "azure-dental",
            "azure": {
                "tenant_id": "00000000-0000-4000-8000-00000000c0de",
                "client_id": "00000000-0000-4000-8000-00000000beef",
                "client_secret_env": "ENAMEL_TEST_AZ_SECRET",
                "subscriptions": "all",
            },
        },
    ]
    tf = tmp / "tenants.yaml"
    tf.write_text(yaml.safe_dump({"version": 1, "defaults": {"regions": ["us-east-1"]}, "tenants": tenants}))
    out_dir = tmp / "tenants-out"
    code, out, err = run(
        capfd,
        "tenants",
        "scan",
        tf,
        "--output-dir",
        out_dir,
        "--record",
        "--history",
        tmp / "tenants-history.sqlite3",
        "--allow-incomplete",
    )
    assert code in (0, 1), err
    assert {"rollup.json", "rollup.html", "rollup.md", "rollup.csv"} <= {p.name for p in out_dir.iterdir()}
    complete = {t["name"]: t["complete"] for t in json.loads((out_dir / "rollup.json").read_text())["tenants"]}
    # ExternalIds starting with - and -- are values: those tenants scan; the unreachable one is incomplete
    assert complete == {"dash-dental": True, "ddash-dental": True, "azure-dental": False}, complete
    assert leaks(out, err, dirs=(tmp,)) == []


def test_pass_no_canary_in_weekly_eml_or_smtp_failures(secret_env, capfd, role_arn):
    tmp = secret_env
    history = tmp / "weekly.sqlite3"
    live = ["--aws", "--role-arn", role_arn, "--external-id-env", "ENAMEL_TEST_XID_DDASH", "--regions", "us-east-1"]
    common = [
        "report",
        "weekly",
        "--rule",
        "s3-*",
        "--tenant",
        "canary-dental",
        "--history",
        history,
        "-q",
        "--output-dir",
        tmp / "reports",
        "--email",
        "officer@canary.example",
        "--smtp-from",
        "enamel@canary.example",
        "--smtp-user",
        "officer",
    ]
    code, out, err = run(capfd, *common, *live, "--out", tmp / "eml")
    assert code in (0, 1), err
    emls = list((tmp / "eml").glob("*.eml"))
    assert len(emls) == 1
    # the SMTP failures: the live scan's secrets are covered above, so these scan a resources file
    # (the scan comes before the sending and does not depend on it)
    common += ["--resources", RESOURCES]
    # refused: nothing listens on the port
    code, out2, err2 = run(capfd, *common, "--smtp-host", "127.0.0.1", "--smtp-port", closed_port(), "--smtp-insecure")
    assert code not in (0, 1) and err2.strip()
    # a real server on loopback that refuses the login (the canary is the wrong password)
    inbox = smtp_server.Inbox()
    controller = smtp_server.start(inbox, "plain")
    try:
        code, out3, err3 = run(
            capfd, *common, "--smtp-host", "127.0.0.1", "--smtp-port", controller.port, "--smtp-insecure"
        )
    finally:
        controller.stop()
    assert code not in (0, 1) and err3.strip() and not inbox.messages
    assert inbox.logins and inbox.logins[0][1] == CANARY["smtp_pw"].encode()  # it was really sent, and refused
    assert leaks(out, err, out2, err2, out3, err3, dirs=(tmp,)) == []


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://enamel:{pw}@127.0.0.1:{port}/enamel",
        "postgresql://enamel@127.0.0.1:{port}/enamel?password={pw}",
        "postgresql://enamel:{pw}@127.0.0.1:{port}/enamel?sslmode=bogus",
        "postgresql://enamel:{pw}@[not-a-host/enamel",
    ],
)
def test_fail_bad_history_dsn_names_the_problem_without_its_password(secret_env, capfd, dsn):
    url = dsn.format(pw=CANARY["pg_pw"], port=closed_port())
    code, out, err = run(capfd, "history", "list", "--history", url)
    assert code in (2, 3), (code, err)
    assert err.strip()
    code2, out2, err2 = run(capfd, "drift", "--history", url)
    assert code2 in (2, 3), (code2, err2)
    assert leaks(out, err, out2, err2, dirs=(secret_env,)) == []


def test_pass_external_id_starting_with_dashes_on_the_command_line_is_a_value_not_echoed(secret_env, role_arn):
    """The one place argv matters: `--external-id=--value` in a real process; stderr never echoes it."""
    tmp = secret_env
    r = run_enamel(
        "scan",
        "--aws",
        "--role-arn",
        role_arn,
        f"--external-id={CANARY['xid_ddash']}",
        "--regions",
        "us-east-1",
        "--rule",
        "s3-bucket-versioning",
        "--format",
        "json,table",
        "--output-dir",
        tmp / "argv-out",
        "--fail-on",
        "none",
        "--allow-incomplete",
    )
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    assert leaks(r.stdout, r.stderr, dirs=(tmp / "argv-out",)) == []
