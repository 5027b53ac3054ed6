"""Email transport for the practice's domain (inventory `mail_domains:`), as onprem.mail_domain:
its MX hosts (STARTTLS offered, TLS version negotiated, certificate valid for the MX name),
MTA-STS (`_mta-sts` TXT and the HTTPS policy), TLS-RPT (`_smtp._tls` TXT), DMARC (`_dmarc`
TXT) and SPF. DNS through dnspython (a configurable nameserver and port), SMTP through smtplib.

Bounded: every step has the inventory timeout, and the whole domain a deadline after which
the remaining steps are not tried. Fail closed: a DNS answer that says "no such record" is a
definite absence (false); a timeout, SERVFAIL or refused connection is an error value, so the
rules reading it report error/unknown, never pass."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
import warnings

from enamel_hipaa.core.model import Resource, error_value

TYPE = "onprem.mail_domain"
DEFAULT_DEADLINE = 30.0
POLICY_LIMIT = 65536  # RFC 8461: a policy is small; read no more


class _Absent(Exception):
    """The DNS answer says the record does not exist (NXDOMAIN or no record of the type)."""


class Probe:
    def __init__(self, entry: dict, timeout: float):
        import dns.resolver

        self.domain = entry["domain"].rstrip(".").lower()
        self.timeout = timeout
        self.deadline = time.monotonic() + float(entry.get("deadline_seconds", DEFAULT_DEADLINE))
        self.smtp_port = int(entry.get("smtp_port", 25))
        self.https_port = int(entry.get("https_port", 443))
        self.ca_file = entry.get("ca_file")
        self.resolver = dns.resolver.Resolver(configure=not entry.get("nameserver"))
        if entry.get("nameserver"):
            self.resolver.nameservers = [entry["nameserver"]]
        if entry.get("dns_port"):
            self.resolver.port = int(entry["dns_port"])
        self.resolver.timeout = self.resolver.lifetime = timeout

    def left(self) -> float:
        rest = self.deadline - time.monotonic()
        if rest <= 0:
            raise TimeoutError(f"{self.domain}: deadline passed")
        return min(self.timeout, rest)

    def query(self, name: str, rtype: str) -> list:
        import dns.exception
        import dns.resolver

        try:
            return list(self.resolver.resolve(name, rtype, lifetime=self.left(), raise_on_no_answer=True))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
            raise _Absent(f"{name} {rtype}: no record") from exc
        except dns.exception.DNSException as exc:
            raise OSError(f"{name} {rtype}: {type(exc).__name__}: {exc}") from exc

    def txt(self, name: str, prefix: str) -> list[str]:
        """TXT strings at `name` that start with `prefix` (case-insensitive); [] when none."""
        try:
            answers = self.query(name, "TXT")
        except _Absent:
            return []
        texts = [b"".join(r.strings).decode("utf-8", "replace").strip() for r in answers]
        return [t for t in texts if t.lower().startswith(prefix.lower())]

    def address(self, host: str) -> str:
        try:
            return str(self.query(host, "A")[0])
        except _Absent:
            return str(self.query(host, "AAAA")[0])

    # ------------------------------------------------------------------ SMTP
    def _permissive(self) -> ssl.SSLContext:
        """Any certificate, any protocol the local OpenSSL still speaks: to see what the MX offers."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        return ctx

    def _verifying(self) -> ssl.SSLContext:
        """Chain and name checked; the protocol floor is the TLS rule's business, not this one's."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        return ctx

    def _smtp(self, ip: str, host: str) -> smtplib.SMTP:
        smtp = smtplib.SMTP(timeout=self.left())
        smtp.connect(ip, self.smtp_port)
        smtp._host = host  # the name STARTTLS verifies the certificate against (SNI too)
        smtp.ehlo("enamel-probe.invalid")
        return smtp

    def mx_host(self, host: str, preference: int) -> dict:
        out = {"host": host, "preference": preference}
        try:
            ip = self.address(host)
            smtp = self._smtp(ip, host)
            try:
                out["starttls"] = smtp.has_extn("starttls")
                if not out["starttls"]:
                    return {**out, "tls_version": None, "tls12_or_better": False, "certificate_valid": False}
                smtp.starttls(context=self._permissive())
                version = smtp.sock.version()
            finally:
                _close(smtp)
            out["tls_version"] = version
            out["tls12_or_better"] = version in ("TLSv1.2", "TLSv1.3")
            out["certificate_valid"] = self._certificate_valid(ip, host)
            return out
        except (OSError, smtplib.SMTPException, _Absent, TimeoutError) as exc:
            return {**out, "error": f"{host}: {type(exc).__name__}: {exc}"[:300]}

    def _certificate_valid(self, ip: str, host: str) -> bool:
        smtp = self._smtp(ip, host)
        try:
            smtp.starttls(context=self._verifying())
            return True
        except ssl.SSLCertVerificationError:
            return False
        finally:
            _close(smtp)

    # ------------------------------------------------------------------ MTA-STS
    def mta_sts_policy(self) -> str:
        """The HTTPS policy body (certificate verified for mta-sts.<domain>, as RFC 8461 asks)."""
        host = f"mta-sts.{self.domain}"
        ip = self.address(host)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        with socket.create_connection((ip, self.https_port), timeout=self.left()) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                tls.settimeout(self.left())
                tls.sendall(
                    f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
                )
                data = b""
                while len(data) <= POLICY_LIMIT + 4096:
                    self.left()
                    chunk = tls.recv(8192)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].split()
        if len(status) < 2 or status[1] != b"200":
            raise OSError(f"{host}: policy fetch answered {head[:60]!r}")
        if b"transfer-encoding: chunked" in head.lower():
            raise OSError(f"{host}: chunked policy answers are not read")
        return body[:POLICY_LIMIT].decode("utf-8", "replace")


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _tags(record: str) -> dict:
    out = {}
    for part in record.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out[k.strip().lower()] = v.strip()
    return out


def _policy(text: str) -> dict:
    fields: dict = {"mx": []}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            k, v = k.strip().lower(), v.strip()
            if k == "mx":
                fields["mx"].append(v.lower().rstrip("."))
            else:
                fields[k] = v
    return fields


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return host == pattern


def _step(fn, what: str):
    try:
        return fn()
    except (OSError, TimeoutError, ssl.SSLError, _Absent) as exc:
        return error_value(f"{what}: {type(exc).__name__}: {exc}"[:300])


def _mx_facts(probe: Probe) -> tuple[list, dict]:
    try:
        answers = probe.query(probe.domain, "MX")
    except _Absent:
        return [], {k: error_value(f"{probe.domain}: no MX records") for k in ("starttls", "tls12", "certs")}
    except (OSError, TimeoutError) as exc:
        err = error_value(f"MX: {exc}"[:300])
        return err, {"starttls": err, "tls12": err, "certs": err}
    hosts = sorted((int(r.preference), str(r.exchange).rstrip(".").lower()) for r in answers)
    mx = [probe.mx_host(h, p) for p, h in hosts]

    def every(key: str):
        failed = [m for m in mx if "error" in m]
        if failed:
            return error_value("; ".join(m["error"] for m in failed))
        return all(m[key] is True for m in mx)

    return mx, {"starttls": every("starttls"), "tls12": every("tls12_or_better"), "certs": every("certificate_valid")}


def _mta_sts(probe: Probe, mx) -> dict:
    txt = _step(lambda: probe.txt(f"_mta-sts.{probe.domain}", "v=STSv1"), "_mta-sts TXT")
    if not isinstance(txt, list):
        return {"txt_present": txt, "policy_fetched": txt, "mode": txt, "covers_all_mx": txt}
    if not txt:
        return {"txt_present": False, "policy_fetched": False, "mode": None, "covers_all_mx": False}
    body = _step(probe.mta_sts_policy, "MTA-STS policy")
    if not isinstance(body, str):
        return {"txt_present": True, "id": _tags(txt[0]).get("id"), "policy_fetched": body, "mode": body,
                "covers_all_mx": body}  # fmt: skip
    pol = _policy(body)
    covers = (
        all(any(_matches(m["host"], p) for p in pol["mx"]) for m in mx)
        if isinstance(mx, list) and mx
        else error_value("no MX hosts to compare with the policy")
    )
    return {
        "txt_present": True,
        "id": _tags(txt[0]).get("id"),
        "policy_fetched": pol.get("version") == "STSv1",
        "mode": pol.get("mode"),
        "mx_patterns": pol["mx"],
        "max_age": int(pol["max_age"]) if str(pol.get("max_age", "")).isdigit() else None,
        "covers_all_mx": covers,
    }


def collect(entry: dict, timeout: float) -> Resource:
    probe = Probe(entry, timeout)
    mx, every = _mx_facts(probe)
    rpt = _step(lambda: probe.txt(f"_smtp._tls.{probe.domain}", "v=TLSRPTv1"), "_smtp._tls TXT")
    dmarc = _step(lambda: probe.txt(f"_dmarc.{probe.domain}", "v=DMARC1"), "_dmarc TXT")
    spf = _step(lambda: probe.txt(probe.domain, "v=spf1"), "SPF TXT")
    dmarc_tags = _tags(dmarc[0]) if isinstance(dmarc, list) and dmarc else {}
    spf_all = (
        next((t for t in spf[0].split() if t.lstrip("+-~?").lower() == "all"), None)
        if isinstance(spf, list) and spf
        else None
    )
    props = {
        "domain": probe.domain,
        "mx_hosts": mx,
        "mx_count": len(mx) if isinstance(mx, list) else mx,
        "mx_all_starttls": every["starttls"],
        "mx_all_tls12_or_better": every["tls12"],
        "mx_all_certificates_valid": every["certs"],
        "mta_sts": _mta_sts(probe, mx),
        "tls_rpt": {
            "present": bool(rpt) if isinstance(rpt, list) else rpt,
            "rua": _tags(rpt[0]).get("rua") if isinstance(rpt, list) and rpt else None,
        },
        "dmarc": {
            "present": bool(dmarc) if isinstance(dmarc, list) else dmarc,
            "policy": ((dmarc_tags.get("p") or "").lower() or None) if isinstance(dmarc, list) else dmarc,
        },
        "spf": {
            "present": (len(spf) == 1) if isinstance(spf, list) else spf,
            "records": len(spf) if isinstance(spf, list) else spf,
            "all": spf_all if isinstance(spf, list) else spf,
        },
    }
    name = entry.get("name") or probe.domain
    return Resource(type=TYPE, id=f"mail:{probe.domain}", name=name, source="probe", properties=props)
