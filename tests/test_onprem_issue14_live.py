"""Issue 14 against real servers on 127.0.0.1 (every process stopped by its PID):
- Debian's Orthanc configured the way the orthancteam Docker image configures it (image
  defaults: remote access and authentication on; environment-variable configuration), judged
  from the inventory's deployment fields and confirmed by the REST probe;
- nginx with a `stream` block terminating TLS in front of a pynetdicom SCP;
- nginx proxying to an unauthenticated HTTP app standing in for dcm4chee-arc's REST paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from onprem_helpers import scan, write_inventory
from enamel_hipaa.sources.onprem import orthanc, orthanc_deploy
from enamel_hipaa.workflows.demo import localservers as ls

pytestmark = pytest.mark.skipif(
    not (ls.binary("Orthanc") and ls.binary("nginx")),
    reason="Debian orthanc and nginx are needed (make test installs them)",
)
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
L = ls.LOOPBACK


def _docker_like_orthanc(tmp, name, env):
    """Write the user file, compute the configuration the orthancteam image would generate
    (orthanc_deploy: user file + environment + image defaults) and run Debian's Orthanc on it."""
    user = tmp / name / "orthanc.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"Name": name}))
    entry = {
        "name": name,
        "deployment": "docker",
        "image": "orthancteam/orthanc:25.8.0",
        "config": str(user),
        "environment": env,
    }
    eff = orthanc_deploy.effective(entry, orthanc.load_merged)["config"]
    run_dir = tmp / name / "generated"
    run_dir.mkdir()
    (run_dir / "orthanc.json").write_text(json.dumps(eff))
    server = ls.start_orthanc(run_dir, tmp / name / "work")
    return entry, server


def _nginx(tmp, name, conf_body):
    work = tmp / name
    work.mkdir()
    conf = work / "nginx.conf"
    conf.write_text(conf_body)
    port_line = [ln for ln in conf_body.splitlines() if "listen" in ln][0]
    port = int(port_line.split(":")[1].split()[0].rstrip(";"))
    glob = f"daemon off; pid {work / 'nginx.pid'};"
    if os.geteuid() == 0:  # workers as nobody cannot read the private tmp dir's htpasswd: 500 on every login
        glob += " user root;"
    proc = subprocess.Popen(
        [ls.binary("nginx"), "-p", str(work), "-c", str(conf), "-e", str(work / "error.log"), "-g", glob],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = ls.Server("nginx", proc, {"port": port}, work)
    try:
        ls.wait_port(port, 10, proc)
    except RuntimeError:
        server.stop()
        raise
    return conf, server


def _http_app(tmp):
    """An unauthenticated HTTP app answering 200 JSON on every path (dcm4chee-arc's REST stand-in)."""
    code = textwrap.dedent("""
        import http.server, json, signal, sys, threading
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'[{"dicomAETitle": "DCM4CHEE"}]'
                self.send_response(200); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        s = http.server.HTTPServer(("127.0.0.1", 0), H)
        print(json.dumps({"port": s.server_address[1]}), flush=True)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    """)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal; signal.pthread_sigmask(signal.SIG_BLOCK, "
            "{signal.SIGTERM, signal.SIGINT}); exec(" + repr(code) + ")",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    server = ls.Server("app", proc)
    if not line:
        server.stop()
        raise RuntimeError("http app did not start")
    server.ports = json.loads(line)
    return server


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("issue14")
    cert = ls.make_cert(tmp / "tls")
    servers = []
    try:
        weak_entry, o_weak = _docker_like_orthanc(tmp, "docker-weak", {"ORTHANC__REGISTERED_USERS": '{"demo": "demo"}'})
        servers.append(o_weak)
        open_entry, o_open = _docker_like_orthanc(tmp, "docker-open", {"ORTHANC__AUTHENTICATION_ENABLED": "false"})
        servers.append(o_open)
        strong_entry, o_strong = _docker_like_orthanc(
            tmp, "docker-strong", {"ORTHANC__REGISTERED_USERS": '{"dr-lee": "Long-unique-pass-9a7c"}'}
        )
        servers.append(o_strong)
        scp = ls.start_helper("scp", "STREAMSCP")
        servers.append(scp)
        app = _http_app(tmp)
        servers.append(app)
        have_stream = __import__("os").path.exists(STREAM_MODULE)
        stream_conf = None
        if have_stream:
            sp_ok, sp_weak = ls.free_port(), ls.free_port()
            stream_conf, n_stream = _nginx(
                tmp,
                "n-stream",
                textwrap.dedent(f"""
                load_module {STREAM_MODULE};
                events {{}}
                stream {{
                    server {{ listen {L}:{sp_ok} ssl; ssl_protocols TLSv1.2 TLSv1.3;
                             ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]};
                             proxy_pass {L}:{scp.ports["port"]}; }}
                    server {{ listen {L}:{sp_weak} ssl; ssl_protocols TLSv1 TLSv1.2;
                             ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]};
                             proxy_pass {L}:{scp.ports["port"]}; }}
                }}
            """),
            )
            servers.append(n_stream)
        hp = ls.free_port()
        htpasswd = tmp / "htpasswd"
        htpasswd.write_text("radiology:{PLAIN}Long-unique-pass-1b2d\n")
        dcm_conf, n_dcm = _nginx(
            tmp,
            "n-dcm4chee",
            textwrap.dedent(f"""
            events {{}}
            http {{
                upstream arc {{ server {L}:{app.ports["port"]}; }}
                server {{ listen {L}:{hp};
                    location /dcm4chee-arc/ {{ proxy_pass http://arc/dcm4chee-arc/; }}
                    location /secured/dcm4chee-arc/ {{ auth_basic "PACS"; auth_basic_user_file {htpasswd};
                                                       proxy_pass http://arc/dcm4chee-arc/; }}
                }}
            }}
        """),
        )
        servers.append(n_dcm)
        yield {
            "tmp": tmp,
            "weak": (weak_entry, o_weak),
            "open": (open_entry, o_open),
            "strong": (strong_entry, o_strong),
            "scp": scp,
            "stream_conf": stream_conf,
            "stream_ports": (sp_ok, sp_weak) if have_stream else None,
            "dcm_conf": dcm_conf,
            "dcm_port": hp,
        }
    finally:
        ls.stop_all(servers)


@pytest.fixture(scope="module")
def report(stack, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    orthancs = [
        dict(e, url=f"http://{L}:{s.ports['http']}") for e, s in (stack["weak"], stack["open"], stack["strong"])
    ]
    inv = {
        "site": "issue 14 live",
        "timeout_seconds": 2,
        "orthanc": orthancs,
        "nginx": [{"name": "dcm4chee-proxy", "config": str(stack["dcm_conf"])}],
        "web": [
            {"name": f"{e['name']}-rest", "url": f"http://{L}:{s.ports['http']}"}
            for e, s in (stack["weak"], stack["open"], stack["strong"])
        ]
        + [
            {"name": "dcm4chee-open", "url": f"http://{L}:{stack['dcm_port']}", "path": "/dcm4chee-arc/aets"},
            {
                "name": "dcm4chee-secured",
                "url": f"http://{L}:{stack['dcm_port']}",
                "path": "/secured/dcm4chee-arc/aets",
            },
        ],
    }
    if stack["stream_conf"]:
        inv["nginx"].append({"name": "dicom-tls-proxy", "config": str(stack["stream_conf"])})
        ok, weak = stack["stream_ports"]
        inv["dicom"] = [{"name": "dicom-via-nginx-tls", "host": L, "port": ok, "ae_title": "STREAMSCP"}]
    path = write_inventory(out / "inv.yaml", inv)
    _, rep = scan(path, out / "o")
    return rep


def _st(report, rule, name_part):
    found = [
        f["status"] for f in report["findings"] if f["rule_id"] == rule and f["resource"]["name"].startswith(name_part)
    ]
    assert found, (rule, name_part)
    return found


def test_docker_like_orthanc_with_sample_password_fails_on_file_and_on_the_live_server(report):
    assert _st(report, "orthanc-no-default-credentials", "docker-weak") == ["fail"]
    assert _st(report, "orthanc-remote-access-requires-authentication", "docker-weak") == ["pass"]
    assert "demo" not in json.dumps(
        [f["message"] for f in report["findings"] if "docker-weak-rest" in f["resource"]["name"]]
    )
    assert _st(report, "pacs-web-requires-authentication", "docker-weak-rest") == ["pass"]
    assert _st(report, "pacs-web-default-credentials-rejected", "docker-weak-rest") == ["fail"]


def test_docker_like_orthanc_with_env_auth_off_is_open_on_file_and_live(report):
    assert _st(report, "orthanc-remote-access-requires-authentication", "docker-open") == ["fail"]
    assert _st(report, "pacs-web-requires-authentication", "docker-open-rest") == ["fail"]


def test_docker_like_orthanc_with_strong_password_passes_credentials(report):
    assert _st(report, "orthanc-no-default-credentials", "docker-strong") == ["pass"]
    assert _st(report, "pacs-web-default-credentials-rejected", "docker-strong-rest") == ["pass"]


def test_unauthenticated_dcm4chee_stand_in_fails_proxy_rule_and_live_probe(report):
    assert _st(report, "nginx-pacs-proxy-authenticated", "dcm4chee-proxy") == ["fail"]
    assert _st(report, "pacs-web-requires-authentication", "dcm4chee-open") == ["fail"]
    assert _st(report, "pacs-web-requires-authentication", "dcm4chee-secured") == ["pass"]
    assert _st(report, "pacs-web-default-credentials-rejected", "dcm4chee-secured") == ["pass"]


def test_stream_tls_proxy_is_judged_and_carries_dicom_over_tls(report, stack):
    if not stack["stream_conf"]:
        pytest.skip("nginx stream module not installed (libnginx-mod-stream)")
    statuses = sorted(_st(report, "nginx-tls-minimum-version", "dicom-tls-proxy"))
    assert statuses == ["fail", "pass"]  # TLSv1 offered on one listener, not on the other
    assert _st(report, "dicom-endpoint-tls", "dicom-via-nginx-tls") == ["pass"]
