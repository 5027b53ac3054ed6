"""Bounded TCP and TLS steps shared by the probes. Every call has a timeout; messages say
what was seen (closed, hung, not TLS) so an error finding explains itself."""

from __future__ import annotations

import socket
import ssl
import warnings

# OpenSSL reasons that mean "this client could not even offer it", not "the server refused"
LOCAL_TLS_FAILURES = {"NO_CIPHERS_AVAILABLE", "NO_PROTOCOLS_AVAILABLE"}
NOT_TLS = {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST", "UNKNOWN_PROTOCOL"}


class ProbeError(Exception):
    """The target could not be probed: closed, hung, or not speaking the protocol."""


def connect(host: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ProbeError(f"{host}:{port}: connection refused (port closed)") from None
    except (socket.timeout, TimeoutError):
        raise ProbeError(f"{host}:{port}: no TCP connection within {timeout:g}s (filtered or host down)") from None
    except OSError as exc:
        raise ProbeError(f"{host}:{port}: cannot connect: {exc.strerror or exc}") from None


def tcp_check(host: str, port: int, timeout: float) -> None:
    connect(host, port, timeout).close()


def client_context(
    version: ssl.TLSVersion | None = None, cert: str | None = None, key: str | None = None
) -> ssl.SSLContext:
    """A probing context: no verification (we inspect the certificate ourselves) and, for
    TLS 1.0/1.1, SECLEVEL 0 so the local OpenSSL can offer them at all."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():  # offering TLS 1.0/1.1 is the point of the probe
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def handshake(
    host: str, port: int, server_name: str, timeout: float, ctx: ssl.SSLContext | None = None
) -> tuple[str, bytes]:
    """(negotiated version, peer certificate DER). Raises ProbeError when the port does
    not complete a TLS handshake; ssl.SSLError when the server refused this offer."""
    ctx = ctx or client_context()
    sock = connect(host, port, timeout)
    try:
        with ctx.wrap_socket(sock, server_hostname=server_name) as tls:
            return tls.version() or "", tls.getpeercert(binary_form=True) or b""
    except (socket.timeout, TimeoutError):
        raise ProbeError(
            f"{host}:{port}: no TLS handshake within {timeout:g}s "
            "(the port accepted TCP but hung, or does not speak TLS)"
        ) from None
    except ssl.SSLError as exc:
        if exc.reason in NOT_TLS:
            raise ProbeError(f"{host}:{port}: the port answered but does not speak TLS ({exc.reason})") from None
        raise
    finally:
        sock.close()
