"""The mail probe (inventory `mail_domains:`) against servers on 127.0.0.1 only: a DNS server
(dnslib) answering for made-up practice domains, aiosmtpd MX hosts with and without STARTTLS,
with a TLS 1.2+ and an older-only context, with a certificate for another name, and the
MTA-STS policy served over HTTPS with a test CA. Every server is stopped by the fixture."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import warnings

import pytest

from certs import issue_server_cert, new_ca
from onprem_helpers import by_rule, scan, write_inventory
from enamel_hipaa.sources.onprem import mail
from enamel_hipaa.workflows.demo.localservers import LOOPBACK, free_port

MAIL_RULES = {
    "mail-mx-starttls",
    "mail-mx-tls-minimum",
    "mail-mx-certificate-valid",
    "mail-mta-sts-enforced",
    "mail-tls-rpt-configured",
    "mail-dmarc-enforced",
    "mail-spf-present",
}
POLICY = "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 604800\n"


def _zone(https_port: int) -> str:
    return """
mx.good.test. 60 IN A 127.0.0.1
mta-sts.good.test. 60 IN A 127.0.0.1
good.test. 60 IN MX 10 mx.good.test.
good.test. 60 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_mta-sts.good.test. 60 IN TXT "v=STSv1; id=20261128"
_smtp._tls.good.test. 60 IN TXT "v=TLSRPTv1; rua=mailto:tls@good.test"
_dmarc.good.test. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
mx.plain.test. 60 IN A 127.0.0.1
plain.test. 60 IN MX 10 mx.plain.test.
_dmarc.plain.test. 60 IN TXT "v=DMARC1; p=none"
mx.old.test. 60 IN A 127.0.0.1
old.test. 60 IN MX 10 mx.old.test.
mx.wrongcert.test. 60 IN A 127.0.0.1
wrongcert.test. 60 IN MX 10 mx.wrongcert.test.
wrongcert.test. 60 IN TXT "v=spf1 ~all"
wrongcert.test. 60 IN TXT "v=spf1 -all"
_mta-sts.wrongcert.test. 60 IN TXT "v=STSv1; id=1"
mta-sts.wrongcert.test. 60 IN A 127.0.0.1
"""  # https_port is given to the probe, not in DNS


class _Zone:
    def __init__(self, text: str):
        from dnslib import RR

        self.records = RR.fromZone(text)

    def resolve(self, request, handler):
        from dnslib import QTYPE, RCODE

        reply = request.reply()
        qname, qtype = request.q.qname, request.q.qtype
        names = [r for r in self.records if r.rname == qname]
        if not names:
            reply.header.rcode = RCODE.NXDOMAIN
        for r in names:
            if r.rtype == qtype or qtype == QTYPE.ANY:
                reply.add_answer(r)
        return reply


def _smtp_context(ca, tmp_path, names: tuple[str, ...], old_only: bool = False) -> ssl.SSLContext:
    cert, key = issue_server_cert(ca, tmp_path, f"smtp-{names[0]}", cn=names[0], dns_names=names)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if old_only:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


class _Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 accepted"


def _smtp(ctx: ssl.SSLContext | None):
    from aiosmtpd.controller import Controller

    kwargs = {"tls_context": ctx} if ctx else {}
    c = Controller(_Sink(), hostname=LOOPBACK, port=free_port(), ready_timeout=10, **kwargs)
    c.start()
    return c


def _https(ca, tmp_path, host: str, body: str):
    cert, key = issue_server_cert(ca, tmp_path, f"https-{host}", cn=host, dns_names=(host,))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == "/.well-known/mta-sts.txt"
            data = body.encode() if ok else b"not found"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer((LOOPBACK, free_port()), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    return srv


@pytest.fixture
def site(tmp_path):
    """DNS, four MX servers and an MTA-STS policy server; yields the inventory entries."""
    from dnslib.server import DNSServer

    ca = new_ca("enamel mail test CA")
    ca_file = ca.pem(tmp_path)
    https = _https(ca, tmp_path, "mta-sts.good.test", POLICY)
    https_port = https.server_address[1]
    dns_port = free_port()
    dns = DNSServer(_Zone(_zone(https_port)), address=LOOPBACK, port=dns_port)
    dns.start_thread()
    servers = {
        "good.test": _smtp(_smtp_context(ca, tmp_path, ("mx.good.test",))),
        "plain.test": _smtp(None),
        "old.test": _smtp(_smtp_context(ca, tmp_path, ("mx.old.test",), old_only=True)),
        "wrongcert.test": _smtp(_smtp_context(ca, tmp_path, ("mx.elsewhere.test",))),
    }
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a nameserver that never answers
    silent.bind((LOOPBACK, 0))
    base = {"nameserver": LOOPBACK, "dns_port": dns_port, "https_port": https_port, "ca_file": str(ca_file)}
    entries = [{"domain": d, "smtp_port": c.port, **base} for d, c in servers.items()]
    entries.append(
        {
            "domain": "dark.test",
            "nameserver": LOOPBACK,
            "dns_port": silent.getsockname()[1],
            "smtp_port": servers["good.test"].port,
            "deadline_seconds": 4,
        }
    )
    try:
        yield entries
    finally:
        for c in servers.values():
            c.stop()
        https.shutdown()
        https.server_close()
        dns.stop()
        silent.close()


def _statuses(report: dict, name: str) -> dict:
    return {k: f["status"] for k, f in by_rule(report, name).items() if k in MAIL_RULES}


def test_mail_probe_verdicts_per_domain_through_the_cli(site, tmp_path):
    inv = write_inventory(tmp_path / "inv.yaml", {"timeout_seconds": 2, "mail_domains": site})
    _, report = scan(inv, tmp_path / "out", timeout=120)
    good = _statuses(report, "good.test")
    assert good == dict.fromkeys(MAIL_RULES, "pass"), good
    plain = _statuses(report, "plain.test")
    assert plain == dict.fromkeys(MAIL_RULES, "fail"), plain  # no STARTTLS, no MTA-STS/TLS-RPT/SPF, DMARC p=none
    old = _statuses(report, "old.test")
    assert old["mail-mx-starttls"] == "pass"
    assert old["mail-mx-tls-minimum"] == "fail"
    assert old["mail-mx-certificate-valid"] == "pass"  # the certificate names the MX; the version is another rule
    wrong = _statuses(report, "wrongcert.test")
    assert (wrong["mail-mx-starttls"], wrong["mail-mx-tls-minimum"]) == ("pass", "pass")
    assert wrong["mail-mx-certificate-valid"] == "fail"
    assert wrong["mail-spf-present"] == "fail"  # two SPF records
    assert wrong["mail-mta-sts-enforced"] == "error"  # TXT says STS, the policy host's certificate is not for it
    dark = _statuses(report, "dark.test")
    assert set(dark.values()) <= {"error", "unknown"} and len(dark) == len(MAIL_RULES), dark


def test_probe_records_the_negotiated_version_and_reasons(site):
    by_domain = {e["domain"]: e for e in site}
    old = mail.collect(by_domain["old.test"], 2.0).properties
    (mx,) = old["mx_hosts"]
    assert (mx["host"], mx["starttls"], mx["tls_version"], mx["tls12_or_better"]) == (
        "mx.old.test",
        True,
        "TLSv1.1",
        False,
    )
    good = mail.collect(by_domain["good.test"], 2.0).properties
    assert good["mta_sts"]["mode"] == "enforce" and good["mta_sts"]["mx_patterns"] == ["mx.good.test"]
    assert good["mx_hosts"][0]["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert good["dmarc"] == {"present": True, "policy": "reject"}
    assert good["spf"] == {"present": True, "records": 1, "all": "-all"}


def test_silent_nameserver_is_an_error_within_the_deadline(site):
    import time

    dark = next(e for e in site if e["domain"] == "dark.test")
    start = time.monotonic()
    props = mail.collect(dark, 2.0).properties
    assert time.monotonic() - start < dark["deadline_seconds"] + 3
    assert "$error" in props["mx_all_starttls"] and "$error" in props["dmarc"]["present"]
    assert "$error" in props["mta_sts"]["txt_present"]
