"""Local servers for the on-prem demo and tests: Debian's Orthanc and nginx, a pynetdicom
SCP and a hung port, each on 127.0.0.1 with a free port, started as a child process and
stopped by its PID. Configurations come from the bundled examples (enamel_hipaa/workflows/demo/onprem),
rewritten for temporary directories and free ports."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before listening on {port}")
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {LOOPBACK}:{port} within {timeout:g}s")


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    ports: dict = field(default_factory=dict)
    workdir: Path | None = None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; always reaps the child."""
        self.terminate()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def stop_all(servers: list[Server], grace: float = 5.0) -> None:
    """Signal every server first, then reap each (Orthanc takes ~2.5 s to shut down)."""
    for s in servers:
        s.terminate()
    for s in servers:
        s.stop(grace)


def make_cert(
    directory: Path, name: str = "pacs", cn: str = LOOPBACK, days: int = 30, issuer: tuple | None = None
) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (self-signed, or signed by `issuer` = (cert, key))."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]),
            critical=False,
        )
    )
    cert = builder.sign(key, hashes.SHA256())
    directory.mkdir(parents=True, exist_ok=True)
    crt, kf = directory / f"{name}.crt", directory / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kf.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    kf.chmod(0o600)
    return crt, kf


def binary(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}",) if os.access(p, os.X_OK)), None)


def orthanc_config(
    example_dir: Path,
    workdir: Path,
    http_port: int,
    dicom_port: int,
    tls: tuple[Path, Path] | None = None,
    overrides: dict | None = None,
) -> dict:
    """Merge an example's *.json (with comments) and point it at `workdir` and free ports."""
    import json5

    cfg: dict = {}
    for f in sorted(example_dir.glob("*.json")):
        cfg.update(json5.loads(f.read_text(encoding="utf-8")))
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    cfg.update(
        {
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "Plugins": [],
            "HttpPort": http_port,
            "DicomPort": dicom_port,
        }
    )
    if cfg.get("DicomTlsEnabled") and tls:
        cfg.update(
            {
                "DicomTlsCertificate": str(tls[0]),
                "DicomTlsPrivateKey": str(tls[1]),
                "DicomTlsTrustedCertificates": str(tls[0]),
            }
        )
    cfg.update(overrides or {})
    return cfg


def start_orthanc(
    example_dir: Path,
    workdir: Path,
    tls: tuple[Path, Path] | None = None,
    overrides: dict | None = None,
    timeout: float = 15.0,
) -> Server:
    exe = binary("Orthanc")
    if not exe:
        raise FileNotFoundError("Orthanc is not installed (apt-get install orthanc)")
    workdir.mkdir(parents=True, exist_ok=True)
    http_port, dicom_port = free_port(), free_port()
    cfg = orthanc_config(example_dir, workdir, http_port, dicom_port, tls, overrides)
    conf = workdir / "orthanc.json"
    conf.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    log = open(workdir / "orthanc.log", "wb")
    proc = subprocess.Popen([exe, str(conf)], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    log.close()
    server = Server("orthanc", proc, {"http": http_port, "dicom": dicom_port}, workdir)
    try:
        wait_port(http_port, timeout, proc)
        wait_port(dicom_port, timeout, proc)
    except RuntimeError:
        server.stop()
        raise
    return server


def nginx_config(
    example_dir: Path,
    workdir: Path,
    ports: dict,
    cert: tuple[Path, Path],
    upstream_port: int,
    users: dict | None = None,
) -> Path:
    """Copy an example nginx tree into `workdir`, rewriting listen ports, certificate paths,
    the Orthanc upstream and the htpasswd file (nginx's {PLAIN} scheme)."""
    dest = workdir / "nginx"
    shutil.copytree(example_dir, dest, dirs_exist_ok=True)
    htpasswd = workdir / "pacs.htpasswd"
    htpasswd.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in (users or {}).items()), encoding="utf-8")
    subst = [
        (r"listen 443 ssl;", f"listen {LOOPBACK}:{ports['https']} ssl;"),
        (r"listen 80;", f"listen {LOOPBACK}:{ports['http']};"),
        (r"/etc/ssl/enamel-demo/pacs\.crt", str(cert[0])),
        (r"/etc/ssl/enamel-demo/pacs\.key", str(cert[1])),
        (r"/etc/nginx/pacs\.htpasswd", str(htpasswd)),
        (r"127\.0\.0\.1:8042", f"{LOOPBACK}:{upstream_port}"),
    ]
    for f in dest.rglob("*.conf"):
        text = f.read_text(encoding="utf-8")
        for pat, rep in subst:
            text = re.sub(pat, rep.replace("\\", "\\\\"), text)
        f.write_text(text, encoding="utf-8")
    return dest / "nginx.conf"


def start_nginx(
    example_dir: Path,
    workdir: Path,
    cert: tuple[Path, Path],
    upstream_port: int,
    users: dict | None = None,
    timeout: float = 10.0,
) -> Server:
    exe = binary("nginx")
    if not exe:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {"https": free_port(), "http": free_port()}
    conf = nginx_config(example_dir, workdir, ports, cert, upstream_port, users)
    prefix = conf.parent
    glob = f"daemon off; pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'};"
    if os.geteuid() == 0:  # workers as nobody cannot reach a private work dir's htpasswd: nginx 500s every login
        glob += " user root;"
    proc = subprocess.Popen(
        [exe, "-p", str(prefix), "-c", str(conf), "-e", str(workdir / "error.log"), "-g", glob],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Server("nginx", proc, ports, workdir)
    try:
        wait_port(ports["https"], timeout, proc)
    except RuntimeError as exc:
        err = (workdir / "error.log").read_text(errors="replace")[-500:] if (workdir / "error.log").exists() else ""
        server.stop()
        raise RuntimeError(f"{exc}: {err}") from None
    return server


def start_helper(kind: str, *args: str, timeout: float = 10.0) -> Server:
    """A pynetdicom SCP or a hung port in a child process (`python -m enamel_hipaa.workflows.demo.localservers`);
    it prints {"port": N} once listening."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "enamel_hipaa.workflows.demo.localservers", kind, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = Server(kind, proc)
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    ready = sel.select(timeout)
    sel.close()
    line = proc.stdout.readline() if ready else ""
    if not line:
        server.stop()
        raise RuntimeError(f"{kind} helper did not start within {timeout:g}s")
    server.ports = json.loads(line)
    return server


def _scp(ae_title: str, calling: str | None, tls_cert: str | None, tls_key: str | None) -> None:
    import ssl

    from pynetdicom import AE, evt
    from pynetdicom.sop_class import Verification

    ae = AE(ae_title=ae_title)
    ae.add_supported_context(Verification)
    ae.require_called_aet = False  # answers to any called AE title: Orthanc cannot express this
    ae.require_calling_aet = [calling] if calling else []
    ctx = None
    if tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
    port = free_port()
    server = ae.start_server(
        (LOOPBACK, port), block=False, ssl_context=ctx, evt_handlers=[(evt.EVT_C_ECHO, lambda event: 0x0000)]
    )
    print(json.dumps({"port": port}), flush=True)
    try:
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    finally:
        server.shutdown()


def _hung() -> None:
    """Accepts TCP connections and never says a word."""
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    s.listen(16)
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)
    held = []
    s.settimeout(0.5)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    while not signal.sigpending():
        try:
            held.append(s.accept()[0])
        except OSError:
            pass
    for c in held:
        c.close()
    s.close()


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else ""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    if kind == "scp":
        _scp(
            argv[1],
            argv[2] if len(argv) > 2 and argv[2] != "-" else None,
            argv[3] if len(argv) > 3 else None,
            argv[4] if len(argv) > 4 else None,
        )
    elif kind == "hung":
        _hung()
    else:
        print(
            "usage: python -m enamel_hipaa.workflows.demo.localservers scp AET [CALLING|-] [CERT KEY] | hung",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def write_dicom(path: Path, patient_name: str, patient_id: str, birth_date: str) -> Path:
    """A tiny intraoral X-ray (DX, 4x4 pixels) carrying the given patient identifiers."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    sop_class = "1.2.840.10008.5.1.4.1.1.1.3"  # Digital Intra-Oral X-Ray Image Storage - For Presentation
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = patient_name, patient_id, birth_date
    ds.Modality = "IO"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation, ds.SamplesPerPixel = 7, 0, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(16))
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
