"""Live TLS probe (Python ssl): which protocol versions the server accepts, and its
certificate's expiry, key strength and name. Fail closed: a closed, hung or non-TLS
port makes the resource an error; a version the local OpenSSL cannot offer is unknown."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import datetime, timezone

from enamel_hipaa.core.model import Resource, error_value, unknown
from enamel_hipaa.sources.onprem.net import LOCAL_TLS_FAILURES, ProbeError, client_context, handshake

VERSIONS = {
    "tls1_0": ssl.TLSVersion.TLSv1,
    "tls1_1": ssl.TLSVersion.TLSv1_1,
    "tls1_2": ssl.TLSVersion.TLSv1_2,
    "tls1_3": ssl.TLSVersion.TLSv1_3,
}


def accepts(host, port, server_name, timeout, version: ssl.TLSVersion):
    """True/False, or a marker when the answer is not known."""
    try:
        ctx = client_context(version)
    except ssl.SSLError as exc:
        return unknown(f"the local OpenSSL cannot offer {version.name}: {exc.reason}")
    try:
        handshake(host, port, server_name, timeout, ctx)
        return True
    except ssl.SSLError as exc:
        if exc.reason in LOCAL_TLS_FAILURES:
            return unknown(f"the local OpenSSL cannot offer {version.name} ({exc.reason})")
        return False  # the server answered with an alert or a version we did not offer
    except (ConnectionResetError, BrokenPipeError):
        return False  # closed the connection on our ClientHello
    except ProbeError as exc:
        return error_value(str(exc))
    except OSError as exc:
        return error_value(f"{version.name}: {exc}")


def _names(cert) -> tuple[list[str], list]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)


def hostname_matches(cert, name: str) -> bool:
    dns, ips = _names(cert)
    try:
        ip = ipaddress.ip_address(name)
        return ip in ips
    except ValueError:
        pass
    name = name.lower().rstrip(".")
    for d in dns:
        d = d.lower().rstrip(".")
        if d == name:
            return True
        if d.startswith("*.") and "." in name and name.split(".", 1)[1] == d[2:]:
            return True
    return False


def certificate(der: bytes, server_name: str, now: datetime | None = None) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    now = now or datetime.now(timezone.utc)
    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        ktype, bits = "rsa", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        ktype, bits = "ec", key.curve.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        ktype, bits = "ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        ktype, bits = "ed448", 456
    elif isinstance(key, dsa.DSAPublicKey):
        ktype, bits = "dsa", key.key_size
    else:
        ktype, bits = type(key).__name__, 0
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "not_after": not_after.isoformat(),
        "days_remaining": int((not_after - now).total_seconds() // 86400),
        "expired": not_after <= now or cert.not_valid_before_utc > now,
        "key_type": ktype,
        "key_bits": bits,
        "hostname_match": hostname_matches(cert, server_name),
        "self_signed": cert.issuer == cert.subject,
    }


def collect(entry: dict, timeout: float) -> Resource:
    host, port, name = entry["host"], int(entry["port"]), entry["name"]
    sni = entry.get("server_name") or host
    rid = f"tls:{host}:{port}"
    props = {"host": host, "port": port, "server_name": sni}
    try:
        _, der = handshake(host, port, sni, timeout)
    except ProbeError as exc:
        return Resource(type="onprem.tls_endpoint", id=rid, name=name, source="probe", properties=props, error=str(exc))
    except (ssl.SSLError, OSError) as exc:
        why = exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else (str(exc) or type(exc).__name__)
        return Resource(
            type="onprem.tls_endpoint",
            id=rid,
            name=name,
            source="probe",
            properties=props,
            error=f"{host}:{port}: TLS handshake failed: {why}",
        )
    props["protocols"] = {k: accepts(host, port, sni, timeout, v) for k, v in VERSIONS.items()}
    try:
        props["certificate"] = certificate(der, sni)
    except ValueError as exc:
        props["certificate"] = error_value(f"certificate not readable: {exc}")
    return Resource(type="onprem.tls_endpoint", id=rid, name=name, source="probe", properties=props)
