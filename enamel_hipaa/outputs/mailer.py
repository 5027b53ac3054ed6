"""Sending the weekly email: settings, the TLS policy, the MIME message and the .eml file.

Policy: STARTTLS or implicit TLS, certificate and host name verified, TLS >= 1.2. A plain
connection needs `--smtp-insecure` and is refused for any host that is not loopback. The
password comes only from env ENAMEL_SMTP_PASSWORD and never appears in output."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from enamel_hipaa.core.errors import InputError

PASSWORD_ENV = "ENAMEL_SMTP_PASSWORD"
DEFAULT_PORTS = {"starttls": 587, "implicit": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    tls: str  # starttls | implicit | none
    user: str | None = None
    ca_file: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"smtp://{self.host}:{self.port}"


def recipients(text: str) -> list[str]:
    out = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in out if "@" not in r or any(c in r for c in " \r\n<>")]
    if not out or bad:
        raise InputError("command line", f"--email: not an address list: {text!r}")
    return out


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpOptions:
    """What the command line (or a project config) says about SMTP; None = not given."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    sender: str | None = None
    tls: str | None = None
    ca_file: str | None = None
    insecure: bool = False


def resolve(opts: SmtpOptions, conf: dict, env=os.environ) -> SmtpSettings:
    def pick(value, env_name, key):
        return value if value not in (None, "") else env.get(env_name) or conf.get(key)

    host = pick(opts.host, "ENAMEL_SMTP_HOST", "host")
    sender = pick(opts.sender, "ENAMEL_SMTP_FROM", "from")
    tls = "none" if opts.insecure else (opts.tls or conf.get("tls") or "starttls")
    port = pick(opts.port, "ENAMEL_SMTP_PORT", "port") or DEFAULT_PORTS[tls]
    if not host:
        raise InputError("command line", "no SMTP host (--smtp-host, env ENAMEL_SMTP_HOST or config smtp.host)")
    if not sender:
        raise InputError("command line", "no sender address (--smtp-from, env ENAMEL_SMTP_FROM or config smtp.from)")
    try:
        port = int(port)
    except ValueError:
        raise InputError("command line", f"SMTP port {port!r} is not a number") from None
    s = SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        tls=tls,
        user=pick(opts.user, "ENAMEL_SMTP_USER", "user"),
        ca_file=opts.ca_file or conf.get("ca_file"),
        password=env.get(PASSWORD_ENV) or None,
    )
    check_policy(s)
    return s


def check_policy(s: SmtpSettings) -> None:
    if s.tls == "none" and not is_loopback(s.host):
        raise InputError(s.where, "--smtp-insecure is only allowed for a loopback host; use STARTTLS or implicit TLS")
    if s.user and not s.password:
        raise InputError(s.where, f"--smtp-user is set but env {PASSWORD_ENV} is empty")


def tls_context(ca_file: str | None):
    import ssl

    ctx = ssl.create_default_context(cafile=ca_file)  # verifies the chain and the host name
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def build_message(
    *,
    subject: str,
    sender: str,
    to: list[str],
    text: str,
    html: str,
    attachments: list[tuple[str, str, str]],
    inline_images: list[tuple[str, bytes]] = (),
):
    """multipart/mixed: multipart/alternative (plain, HTML) + attachments (name, mime, text or bytes).
    `inline_images` [(content id, PNG bytes)] go with the HTML (multipart/related), which
    refers to each as <img src="cid:ID">."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid
    from enamel_hipaa.core import cleantext
    from enamel_hipaa.core.errors import InputError

    for addr in [sender, *to]:
        if cleantext.one_line(addr) != addr:  # a line break would inject headers
            raise InputError("email address", f"{cleantext.one_line(addr)!r} contains control characters")
    msg = EmailMessage()
    msg["Subject"] = cleantext.one_line(subject)  # tenant names reach it: no header injection
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(text, cte="quoted-printable")  # 7-bit clean: any relay, any .eml reader
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    for cid, png in inline_images:
        part = msg.get_body(("html",))
        part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png")
    for name, mime, body in attachments:
        maintype, subtype = mime.split("/")
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def write_eml(msg, out_dir: str | Path, name: str) -> Path:
    from enamel_hipaa.outputs import atomic_write

    path = Path(out_dir) / name
    atomic_write(path, msg.as_bytes().decode("ascii"), mode=0o600)
    return path


def send(msg, s: SmtpSettings, timeout: float = 30) -> None:
    import smtplib
    import ssl

    try:
        if s.tls == "implicit":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout, context=tls_context(s.ca_file))
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=timeout)
        with client:
            client.ehlo()
            if s.tls == "starttls":
                if not client.has_extn("starttls"):
                    raise InputError(s.where, "the server does not offer STARTTLS; refusing to send in the clear")
                client.starttls(context=tls_context(s.ca_file))
                client.ehlo()
            if s.user:
                client.login(s.user, s.password)
            client.send_message(msg)
    except ssl.SSLCertVerificationError as exc:
        raise InputError(s.where, f"TLS certificate verification failed: {exc.verify_message}") from None
    except ssl.SSLError as exc:
        raise InputError(s.where, f"TLS failed: {exc.reason or exc}") from None
    except smtplib.SMTPException as exc:
        raise InputError(s.where, f"SMTP failed: {type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise InputError(s.where, f"cannot connect: {exc.strerror or exc}") from None
