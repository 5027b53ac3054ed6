"""One bounded HTTP GET (stdlib urllib): status and a capped body; never follows a
redirect to another host with credentials, never verifies TLS (we test access control
here; certificates are the TLS probe's job)."""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import urllib.error
import urllib.request

MAX_BODY = 65536


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def get(url: str, timeout: float, user: str | None = None, password: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": "enamel-probe"})
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(req, timeout=timeout) as resp:
            body = resp.read(MAX_BODY)
            if len(body) < MAX_BODY and resp.length:  # the server closed before its Content-Length
                raise OSError(f"truncated answer: {len(body)} bytes, {resp.length} more announced")
            return resp.status, body
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except http.client.HTTPException as exc:  # not an HTTP server (e.g. a TLS or DICOM port)
        raise OSError(f"not an HTTP answer: {type(exc).__name__}") from None


def reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (port closed)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return str(exc) or type(exc).__name__
