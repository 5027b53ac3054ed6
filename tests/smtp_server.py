"""A real aiosmtpd server on 127.0.0.1 for the email tests, with certificates from a test
CA made with `cryptography` (STARTTLS, implicit TLS or plain), started and stopped by the
fixture that uses it."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path

from certs import TestCA, issue_server_cert, new_ca
from enamel_hipaa.workflows.demo.localservers import LOOPBACK, free_port


def make_ca(name: str) -> TestCA:
    return new_ca(name)


def server_context(ca: TestCA, directory: Path) -> ssl.SSLContext:
    """A server context whose certificate (127.0.0.1, localhost) is signed by `ca`."""
    cert_path, key_path = issue_server_cert(ca, directory, f"server-{ca.name}", cn="enamel-test-smtp")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


@dataclass
class Inbox:
    messages: list = field(default_factory=list)
    logins: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"officer" and auth_data.password == b"s3cret-pw")


def start(inbox: Inbox, mode: str, ctx: ssl.SSLContext | None = None):
    """mode: starttls | implicit | plain. Returns a started Controller (stop it!)."""
    from aiosmtpd.controller import Controller

    # aiosmtpd does not see implicit TLS as TLS for AUTH; the socket is TLS from the first byte
    kwargs = {"authenticator": inbox.authenticate, "auth_require_tls": mode == "starttls"}
    if mode == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    elif mode == "implicit":
        kwargs.update(ssl_context=ctx)
    controller = Controller(inbox, hostname=LOOPBACK, port=free_port(), ready_timeout=10, **kwargs)
    controller.start()
    return controller
