"""`enamel report weekly`: a real aiosmtpd server on 127.0.0.1 with a test CA; the TLS
policy (STARTTLS or implicit TLS, verified, TLS >= 1.2; plain only on loopback with
--smtp-insecure); the .eml output; the HTML rendered by headless Chromium."""

import email
import email.policy
import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

import smtp_server
from conftest import ROOT, STORES, new_store, run_enamel
from drift_scenario import ARCHIVE, TENANT, record_scan, scenario_source, write_waivers
from enamel_hipaa.outputs import mailer
from enamel_hipaa.core.errors import InputError

PASSWORD = "s3cret-pw"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

pytestmark = pytest.mark.usefixtures("moto_account")  # the drift scenario's account (conftest)


@pytest.fixture(scope="module")
def cas(tmp_path_factory):
    d = tmp_path_factory.mktemp("ca")
    good, other = smtp_server.make_ca("enamel-test-ca"), smtp_server.make_ca("some-other-ca")
    return {"dir": d, "good": good, "other": other, "ca_file": good.pem(d)}


@pytest.fixture
def smtp(cas):
    """start(mode, ca='good') -> (inbox, port); every server is stopped at teardown."""
    started = []

    def start(mode, ca="good"):
        inbox = smtp_server.Inbox()
        ctx = smtp_server.server_context(cas[ca], cas["dir"]) if mode != "plain" else None
        controller = smtp_server.start(inbox, mode, ctx)
        started.append(controller)
        return inbox, controller.port

    yield start
    for c in started:
        c.stop()


@pytest.fixture(scope="module", params=STORES)
def two_scans(request, tmp_path_factory):
    """Scans 1 and 2 of the drift scenario recorded once for the module (SQLite, then PostgreSQL)."""
    d = tmp_path_factory.mktemp("two-scans")
    db = new_store(request.param, request, d)
    waivers = write_waivers(d / "waivers.yaml")
    record_scan(db, 1, waivers)
    record_scan(db, 2, waivers)
    return db, waivers


@pytest.fixture
def history_db(two_scans, tmp_path, request):
    """A private copy of the two recorded scans; the weekly run scans step 3 into it."""
    db, waivers = two_scans
    if isinstance(db, str):  # PostgreSQL: a copy of the database
        import secrets

        return request.getfixturevalue("pg_server").copy_db(db, f"weekly_{secrets.token_hex(4)}"), waivers
    for f in db.parent.glob(db.name + "*"):  # the database and any WAL/shared-memory file
        shutil.copy2(f, tmp_path / f.name)
    return tmp_path / db.name, waivers


# The SMTP transport does not depend on the history store: those tests run on SQLite only; the
# content tests (the .eml written without sending, the first report, the rendered HTML) on both.
TRANSPORT_ONLY = pytest.mark.parametrize("two_scans", ["sqlite"], indirect=True)


def weekly(db, waivers, *extra, env_extra=None):
    config = Path(waivers).parent / "empty-config.yaml"  # no user settings leak into the test
    config.write_text("")
    env = dict(os.environ, ENAMEL_SMTP_PASSWORD=PASSWORD, ENAMEL_CONFIG=str(config), **(env_extra or {}))
    for k in ("ENAMEL_SMTP_HOST", "ENAMEL_SMTP_PORT", "ENAMEL_SMTP_USER", "ENAMEL_SMTP_FROM"):
        env.pop(k, None)
    return run_enamel(
        "report",
        "weekly",
        *scenario_source(3),
        "--tenant",
        TENANT,
        "--waivers",
        waivers,
        "--history",
        db,
        "-q",
        "--email",
        "officer@bsd.example,it@bsd.example",
        "--smtp-from",
        "enamel@bsd.example",
        *extra,
        env=env,
    )


def smtp_args(port, cas, *more):
    return (
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        port,
        "--smtp-user",
        "officer",
        "--smtp-ca-file",
        cas["ca_file"],
        *more,
    )


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def check_message(msg):
    """Both alternative parts and both attachments, with the week's drift in them."""
    assert msg.get_content_type() == "multipart/mixed"
    alt = next(p for p in msg.iter_parts() if p.get_content_type() == "multipart/alternative")
    # the HTML travels alone, or with its inline trend chart (multipart/related) once there is a trend
    assert [p.get_content_type() for p in alt.iter_parts()] in (
        ["text/plain", "text/html"],
        ["text/plain", "multipart/related"],
    )
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    attachments = {p.get_filename(): p for p in msg.iter_attachments()}
    assert sorted(p.get_content_type() for p in attachments.values()) == ["text/csv", "text/html"]
    csv_text = next(p for p in attachments.values() if p.get_content_type() == "text/csv").get_content()
    assert csv_text.startswith("status,severity,rule_id") and ARCHIVE in csv_text
    assert TENANT in msg["Subject"] and "new" in msg["Subject"]
    # the week: a new public bucket (critical, with its HIPAA citation), the archive still open
    assert "NEW FAILURES" in text and "bsd-marketing-site" in text and "164.312(a)(1) Access control" in text
    assert "STILL OPEN" in text and "WAIVERS EXPIRING (1)" in text
    assert "<script" not in html.lower() and "<style" not in html.lower() and 'style="' in html
    assert "bsd-marketing-site" in html and "CRITICAL" in html.upper()
    return text, html


@TRANSPORT_ONLY
def test_pass_starttls_message_arrives_with_both_parts_and_attachments(smtp, cas, history_db):
    inbox, port = smtp("starttls")
    r = weekly(*history_db, *smtp_args(port, cas))
    assert r.returncode == 0, r.stderr
    assert [e.rcpt_tos for e in inbox.messages] == [["officer@bsd.example", "it@bsd.example"]]
    assert inbox.logins == [(b"officer", PASSWORD.encode())]
    raw = inbox.messages[0].original_content
    check_message(parse(raw))
    for blob in (r.stdout, r.stderr, raw.decode("ascii")):
        assert PASSWORD not in blob
    listed = run_enamel("history", "list", "--history", history_db[0], "--format", "json")
    assert listed.stdout.count('"id"') == 3  # the weekly scan was recorded


@TRANSPORT_ONLY
def test_pass_implicit_tls_message_arrives(smtp, cas, history_db):
    inbox, port = smtp("implicit")
    r = weekly(*history_db, *smtp_args(port, cas, "--smtp-tls", "implicit"))
    assert r.returncode == 0, r.stderr
    check_message(parse(inbox.messages[0].original_content))


@TRANSPORT_ONLY
def test_fail_server_without_starttls_is_refused(smtp, cas, history_db):
    inbox, port = smtp("plain")
    r = weekly(*history_db, *smtp_args(port, cas))
    assert r.returncode == 2 and "does not offer STARTTLS" in r.stderr
    assert inbox.messages == [] and inbox.logins == []


@TRANSPORT_ONLY
def test_fail_certificate_from_another_ca_is_refused(smtp, cas, history_db):
    inbox, port = smtp("starttls", ca="other")
    r = weekly(*history_db, *smtp_args(port, cas))
    assert r.returncode == 2 and "certificate verification failed" in r.stderr
    assert inbox.messages == [] and inbox.logins == []
    assert PASSWORD not in r.stderr


@TRANSPORT_ONLY
def test_fail_system_trust_store_does_not_trust_the_test_ca(smtp, cas, history_db):
    inbox, port = smtp("starttls")
    r = weekly(*history_db, "--smtp-host", "127.0.0.1", "--smtp-port", port)
    assert r.returncode == 2 and "certificate verification failed" in r.stderr and inbox.messages == []


@TRANSPORT_ONLY
def test_pass_insecure_plain_connection_allowed_only_on_loopback(smtp, cas, history_db, tmp_path):
    inbox, port = smtp("plain")
    r = weekly(*history_db, "--smtp-host", "127.0.0.1", "--smtp-port", port, "--smtp-insecure")
    assert r.returncode == 0, r.stderr
    check_message(parse(inbox.messages[0].original_content))
    db = tmp_path / "untouched.sqlite3"
    r = weekly(db, history_db[1], "--smtp-host", "mail.example.org", "--smtp-insecure")
    assert r.returncode == 2 and "only allowed for a loopback host" in r.stderr
    assert not db.exists()  # refused before scanning


def test_pass_out_writes_the_same_email_as_eml_without_sending(history_db, tmp_path):
    out = tmp_path / "out"
    r = weekly(*history_db, "--out", out)
    assert r.returncode == 0, r.stderr
    [eml] = list(out.iterdir())
    assert eml.name.startswith("enamel-weekly-bright-smile-dental-") and eml.suffix == ".eml"
    assert oct(eml.stat().st_mode & 0o777) == "0o600"
    msg = parse(eml.read_bytes())
    assert msg["To"] == "officer@bsd.example, it@bsd.example" and msg["From"] == "enamel@bsd.example"
    check_message(msg)


def test_pass_first_weekly_report_has_no_baseline(tmp_path, new_history):
    r = weekly(new_history("new"), write_waivers(tmp_path / "w.yaml"), "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    msg = parse(next((tmp_path / "out").iterdir()).read_bytes())
    assert "First recorded scan" in msg.get_body(("plain",)).get_content()


def test_pass_tls_policy_requires_verification_and_tls12():
    ctx = mailer.tls_context(None)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2


def test_pass_smtp_settings_from_config_then_env_then_flags_password_only_from_env():
    conf = {"host": "conf.example", "port": 2525, "from": "conf@example", "user": "conf-user"}
    flags = mailer.SmtpOptions()
    s = mailer.resolve(flags, conf, env={"ENAMEL_SMTP_PASSWORD": "pw"})
    assert (s.host, s.port, s.sender, s.user, s.tls, s.password) == (
        "conf.example",
        2525,
        "conf@example",
        "conf-user",
        "starttls",
        "pw",
    )
    assert "pw" not in repr(s)
    s = mailer.resolve(flags, conf, env={"ENAMEL_SMTP_HOST": "env.example", "ENAMEL_SMTP_PASSWORD": "pw"})
    assert s.host == "env.example"
    flags = mailer.SmtpOptions(host="flag.example", tls="implicit")
    s = mailer.resolve(flags, {"from": "x@example"}, env={})
    assert (s.host, s.port, s.tls) == ("flag.example", 465, "implicit")
    with pytest.raises(InputError, match="ENAMEL_SMTP_PASSWORD is empty"):
        mailer.resolve(flags, conf, env={})


def test_pass_html_email_renders_in_headless_chromium(history_db, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from PIL import Image

    r = weekly(*history_db, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    msg = parse(next((tmp_path / "out").iterdir()).read_bytes())
    page = tmp_path / "email.html"
    page.write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
    png = tmp_path / "email.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=760,1500",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    img = Image.open(png).convert("RGB")
    assert img.size == (760, 1500)
    colours = img.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # text, badges and tables, not a blank page
    background = max(colours)[1]
    assert sum(n for n, c in colours if c != background) > 0.1 * img.size[0] * img.size[1]
    assert any(c == (15, 118, 110) for _, c in colours)  # the header bar (#0f766e) was painted
    if os.environ.get("ENAMEL_UPDATE_SCREENSHOT"):
        shutil.copyfile(png, ROOT / "docs" / "weekly-email.png")
