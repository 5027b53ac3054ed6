"""Acceptance: live probes against Debian's Orthanc and nginx (insecure and hardened, on
127.0.0.1, free ports, temp dirs, certificates made here), pynetdicom SCPs where Orthanc
cannot express a case, and a hung port. Every server is stopped by its PID."""

import base64
import time
import urllib.request

import pytest

from onprem_helpers import PHI, assert_no_phi, by_rule, scan, write_inventory
from enamel_hipaa.core import paths
from enamel_hipaa.workflows.demo import localservers as ls

EXAMPLES = paths.demo_dir() / "onprem"
HARDENED_USER = ("dr-lee", "demo-Secret-never-printed-7f3a")
pytestmark = pytest.mark.skipif(
    not (ls.binary("Orthanc") and ls.binary("nginx")),
    reason="Debian orthanc and nginx are needed (make test installs them)",
)


def _upload(port: int, dicom: bytes, auth: tuple | None = None) -> None:
    req = urllib.request.Request(f"http://{ls.LOOPBACK}:{port}/instances", data=dicom, method="POST")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An insecure and a hardened PACS stack plus stand-ins; yields ports and paths."""
    work = tmp_path_factory.mktemp("site")
    cert = ls.make_cert(work / "tls")
    servers = []
    t0 = time.monotonic()
    try:
        o_insecure = ls.start_orthanc(EXAMPLES / "insecure" / "orthanc", work / "o-insecure")
        servers.append(o_insecure)
        o_default = ls.start_orthanc(
            EXAMPLES / "insecure" / "orthanc", work / "o-default", overrides={"RemoteAccessAllowed": True}
        )
        servers.append(o_default)
        o_hardened = ls.start_orthanc(EXAMPLES / "hardened" / "orthanc", work / "o-hardened", tls=cert)
        servers.append(o_hardened)
        n_insecure = ls.start_nginx(
            EXAMPLES / "insecure" / "nginx", work / "n-insecure", cert, o_insecure.ports["http"]
        )
        servers.append(n_insecure)
        n_hardened = ls.start_nginx(
            EXAMPLES / "hardened" / "nginx",
            work / "n-hardened",
            cert,
            o_hardened.ports["http"],
            users=dict([HARDENED_USER]),
        )
        servers.append(n_hardened)
        scp_any = ls.start_helper("scp", "MODALITYX", "-")
        servers.append(scp_any)
        scp_tls = ls.start_helper("scp", "VIEWER", "-", str(cert[0]), str(cert[1]))
        servers.append(scp_tls)
        hung = ls.start_helper("hung")
        servers.append(hung)
        started = time.monotonic() - t0
        # planted PHI: stored in both Orthancs and left in an export folder
        export = work / "op2-export"
        for i, name in enumerate(("IMG1.dcm", "IMG2.dcm")):
            ls.write_dicom(export / name, *PHI)
        (export / "notes.txt").write_text("not a DICOM file")
        data = (export / "IMG1.dcm").read_bytes()
        _upload(o_insecure.ports["http"], data)
        _upload(o_hardened.ports["http"], data, HARDENED_USER)
        archive = work / "archive"
        ls.write_dicom(archive / "IMG9.dcm", *PHI)
        yield {
            "work": work,
            "cert": cert,
            "o_insecure": o_insecure,
            "o_default": o_default,
            "o_hardened": o_hardened,
            "n_insecure": n_insecure,
            "n_hardened": n_hardened,
            "scp_any": scp_any,
            "scp_tls": scp_tls,
            "hung": hung,
            "export": export,
            "archive": archive,
            "started_in": started,
        }
    finally:
        ls.stop_all(servers)
        assert all(s.proc.poll() is not None for s in servers)


def _config_with_ports(site, which: str):
    """The example configuration as the live instance runs it (ports and paths rewritten)."""
    return str(site[f"o_{which}"].workdir / "orthanc.json")


@pytest.fixture(scope="module")
def report(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    L = ls.LOOPBACK
    inv = {
        "site": "live test",
        "timeout_seconds": 1.5,
        "approved_archive_paths": [str(site["archive"])],
        "orthanc": [
            {
                "name": "insecure-pacs",
                "config": _config_with_ports(site, "insecure"),
                "deployment": "debian",
                "url": f"http://{L}:{site['o_insecure'].ports['http']}",
                "host": "front",
            },
            {
                "name": "default-pacs",
                "config": _config_with_ports(site, "default"),
                "deployment": "debian",
                "url": f"http://{L}:{site['o_default'].ports['http']}",
            },
            {
                "name": "hardened-pacs",
                "config": _config_with_ports(site, "hardened"),
                "deployment": "debian",
                "url": f"http://{L}:{site['o_hardened'].ports['http']}",
                "host": "server-room",
                "version": "1.10.1",
            },
        ],
        "nginx": [
            {
                "name": "insecure-proxy",
                "config": str(site["n_insecure"].workdir / "nginx" / "nginx.conf"),
                "host": "front",
            },
            {
                "name": "hardened-proxy",
                "config": str(site["n_hardened"].workdir / "nginx" / "nginx.conf"),
                "host": "server-room",
            },
        ],
        "tls": [
            {"name": "tls-insecure-proxy", "host": L, "port": site["n_insecure"].ports["https"]},
            {"name": "tls-hardened-proxy", "host": L, "port": site["n_hardened"].ports["https"]},
            {
                "name": "tls-wrong-name",
                "host": L,
                "port": site["n_hardened"].ports["https"],
                "server_name": "pacs.example.org",
            },
            {"name": "tls-not-tls", "host": L, "port": site["o_insecure"].ports["http"]},
            {"name": "tls-hung", "host": L, "port": site["hung"].ports["port"]},
            {"name": "tls-closed", "host": L, "port": ls.free_port()},
        ],
        "dicom": [
            {"name": "dicom-insecure", "host": L, "port": site["o_insecure"].ports["dicom"], "ae_title": "BRIGHTPACS"},
            {
                "name": "dicom-hardened",
                "host": L,
                "port": site["o_hardened"].ports["dicom"],
                "ae_title": "BRIGHTPACS",
                "tls": {"cert": str(site["cert"][0]), "key": str(site["cert"][1])},
            },
            {
                "name": "dicom-hardened-no-cert",
                "host": L,
                "port": site["o_hardened"].ports["dicom"],
                "ae_title": "BRIGHTPACS",
            },
            {"name": "dicom-scp-any-ae", "host": L, "port": site["scp_any"].ports["port"], "ae_title": "MODALITYX"},
            {"name": "dicom-scp-tls", "host": L, "port": site["scp_tls"].ports["port"], "ae_title": "VIEWER"},
            {"name": "dicom-hung", "host": L, "port": site["hung"].ports["port"]},
            {"name": "dicom-closed", "host": L, "port": ls.free_port()},
            {"name": "dicom-http-port", "host": L, "port": site["o_insecure"].ports["http"]},
        ],
        "web": [
            {"name": "web-insecure-proxy", "url": f"https://{L}:{site['n_insecure'].ports['https']}"},
            {"name": "web-default-creds", "url": f"http://{L}:{site['o_default'].ports['http']}"},
            {"name": "web-hardened-proxy", "url": f"https://{L}:{site['n_hardened'].ports['https']}"},
            {"name": "web-hung", "url": f"http://{L}:{site['hung'].ports['port']}"},
        ],
        "file_stores": [
            {"name": "op2-export", "path": str(site["export"])},
            {"name": "pacs-archive", "path": str(site["archive"])},
        ],
    }
    path = write_inventory(site["work"] / "inventory.yaml", inv)
    t0 = time.monotonic()
    proc, rep = scan(path, out)
    return {"proc": proc, "report": rep, "out": out, "seconds": time.monotonic() - t0}


def _status(report, name):
    return {k: f["status"] for k, f in by_rule(report["report"], name).items()}


def test_servers_start_fast_and_scan_is_bounded(site, report):
    print(f"servers started in {site['started_in']:.2f}s; scan took {report['seconds']:.2f}s")
    assert site["started_in"] < 30


def test_fail_insecure_orthanc_config_and_proxy(report):
    s = _status(report, "insecure-pacs")
    assert s["orthanc-proxied-requires-authentication"] == "fail"  # nginx on the same host, no auth anywhere
    for rule in (
        "orthanc-webdav-disabled",
        "orthanc-dicom-check-called-aet",
        "orthanc-dicom-always-allow-disabled",
        "orthanc-dicom-tls-enabled",
        "orthanc-lua-execution-disabled",
        "orthanc-explorer-disabled",
    ):
        assert s[rule] == "fail", rule
    assert s["orthanc-dicom-tls-minimum-protocol"] == "skip"  # no DICOM TLS at all: out of scope
    d = _status(report, "default-pacs")
    assert d["orthanc-no-default-credentials"] == "fail"
    assert d["orthanc-remote-access-requires-authentication"] == "pass"  # auth is on: with orthanc/orthanc


def test_pass_hardened_orthanc_config(report):
    s = _status(report, "hardened-pacs")
    assert s["orthanc-proxied-requires-authentication"] == "pass"
    bad = {k: v for k, v in s.items() if v not in ("pass", "skip")}
    assert bad == {}


def test_version_probed_from_rest(site, report):
    from enamel_hipaa.sources.onprem import orthanc

    assert orthanc.probe_version(f"http://{ls.LOOPBACK}:{site['o_insecure'].ports['http']}", 2) == "1.10.1"
    hidden = orthanc.probe_version(f"http://{ls.LOOPBACK}:{site['o_hardened'].ports['http']}", 2)
    assert "401" in hidden["$unknown"]  # authentication on: version unknown, never guessed
    # the probed version (no version: in the inventory) is what made DICOM TLS rules apply
    assert by_rule(report["report"], "insecure-pacs")["orthanc-dicom-tls-enabled"]["status"] == "fail"


def _nginx(report, site, proxy, port_kind):
    port = site[f"n_{proxy.split('-')[0]}"].ports[port_kind]
    names = {
        f["resource"]["name"]
        for f in report["report"]["findings"]
        if f["resource"]["name"].startswith(proxy) and f":{port} (" in f["resource"]["name"]
    }
    (name,) = names
    return _status(report, name)


def test_fail_insecure_nginx(site, report):
    tls = _nginx(report, site, "insecure-proxy", "https")
    assert tls["nginx-tls-minimum-version"] == "fail"
    assert tls["nginx-strong-ciphers"] == "fail"
    assert tls["nginx-hsts"] == "fail"  # the add_header trap in /viewer/
    assert tls["nginx-pacs-proxy-authenticated"] == "fail"
    assert _nginx(report, site, "insecure-proxy", "http")["nginx-http-redirects-to-https"] == "fail"


def test_pass_hardened_nginx(site, report):
    for kind in ("https", "http"):
        bad = {k: v for k, v in _nginx(report, site, "hardened-proxy", kind).items() if v not in ("pass", "skip")}
        assert bad == {}


def test_tls_probe_verdicts(report):
    assert _status(report, "tls-insecure-proxy")["tls-endpoint-legacy-protocols-disabled"] == "fail"
    hardened = _status(report, "tls-hardened-proxy")
    assert hardened == {r: "pass" for r in hardened}
    assert _status(report, "tls-wrong-name")["tls-endpoint-hostname-match"] == "fail"
    f = by_rule(report["report"], "tls-insecure-proxy")["tls-endpoint-legacy-protocols-disabled"]
    assert f["evidence"]["protocols.tls1_0"] is True


@pytest.mark.parametrize(
    "name,words",
    [
        ("tls-not-tls", "does not speak TLS"),
        ("tls-hung", "hung"),
        ("tls-closed", "connection refused"),
        ("dicom-hung", "hung"),
        ("dicom-closed", "connection refused"),
        ("dicom-http-port", "neither DICOM nor DICOM TLS"),
        ("web-hung", "timed out"),
    ],
)
def test_error_unreachable_or_wrong_protocol_never_passes(report, name, words):
    findings = by_rule(report["report"], name)
    assert findings and {f["status"] for f in findings.values()} == {"error"}
    assert all(words in f["message"] for f in findings.values()), [f["message"] for f in findings.values()]


def test_dicom_probe_verdicts(report):
    insecure = _status(report, "dicom-insecure")
    assert insecure == {
        "dicom-endpoint-rejects-unknown-called-ae": "fail",
        "dicom-endpoint-rejects-unknown-calling-ae": "fail",
        "dicom-endpoint-tls": "fail",
    }
    hardened = _status(report, "dicom-hardened")
    assert hardened == {r: "pass" for r in hardened}
    # without a client certificate the AE checks cannot be made: unknown, never pass
    no_cert = _status(report, "dicom-hardened-no-cert")
    assert no_cert["dicom-endpoint-tls"] == "pass"
    assert no_cert["dicom-endpoint-rejects-unknown-calling-ae"] == "unknown"
    # pynetdicom stand-ins: any called AE accepted (Orthanc always checks or never checks both)
    assert _status(report, "dicom-scp-any-ae")["dicom-endpoint-rejects-unknown-called-ae"] == "fail"
    tls_scp = _status(report, "dicom-scp-tls")
    assert tls_scp["dicom-endpoint-tls"] == "pass"
    assert tls_scp["dicom-endpoint-rejects-unknown-calling-ae"] == "fail"


def test_web_probe_verdicts(report):
    assert _status(report, "web-insecure-proxy")["pacs-web-requires-authentication"] == "fail"
    default = _status(report, "web-default-creds")
    assert default["pacs-web-requires-authentication"] == "pass"
    assert default["pacs-web-default-credentials-rejected"] == "fail"
    hardened = _status(report, "web-hardened-proxy")
    assert hardened == {r: "pass" for r in hardened}


def test_file_store_verdicts(report):
    export = by_rule(report["report"], "op2-export")
    assert export["dicom-store-phi-outside-archive"]["status"] == "fail"
    assert export["dicom-store-phi-outside-archive"]["evidence"]["phi_files"] == 2
    assert by_rule(report["report"], "pacs-archive")["dicom-store-phi-outside-archive"]["status"] == "skip"


def test_no_phi_or_password_in_any_output(report):
    n = assert_no_phi(report["proc"], report["out"])
    assert n >= 8  # stdout, stderr and the six report formats
    for f in report["out"].rglob("*"):
        assert HARDENED_USER[1] not in f.read_text(errors="replace")
    assert HARDENED_USER[1] not in report["proc"].stdout + report["proc"].stderr


@pytest.mark.parametrize(
    "kind,target",
    [
        ("tls", "hung"),
        ("tls", "closed"),
        ("tls", "http"),
        ("dicom", "hung"),
        ("dicom", "closed"),
        ("dicom", "http"),
        ("web", "hung"),
        ("web", "closed"),
    ],
)
def test_error_probe_of_bad_port_is_bounded(site, kind, target):
    from enamel_hipaa.sources.onprem import dicom, tls, web

    port = {"hung": site["hung"].ports["port"], "closed": ls.free_port(), "http": site["o_insecure"].ports["http"]}[
        target
    ]
    entry = {"name": "t", "host": ls.LOOPBACK, "port": port, "url": f"http://{ls.LOOPBACK}:{port}"}
    timeout = 1.0
    t0 = time.monotonic()
    res = {"tls": tls, "dicom": dicom, "web": web}[kind].collect(entry, timeout)
    elapsed = time.monotonic() - t0
    assert res.error, res.properties
    assert elapsed < 3 * timeout + 1, elapsed  # DICOM: association wait, then a TLS handshake
    print(f"{kind} {target}: {elapsed:.2f}s: {res.error}")
