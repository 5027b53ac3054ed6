"""Live DICOM probe (pynetdicom): does the SCP accept an association and a C-ECHO from an
unknown calling AE title, and to a wrong called AE title; does the port speak DICOM over
TLS. The TCP connection is tested first, because a closed port and a TLS mismatch both
look like an abort to pynetdicom."""

from __future__ import annotations

import logging
import ssl
from contextlib import contextmanager
from dataclasses import dataclass

from enamel_hipaa.core.model import Resource, error_value, unknown
from enamel_hipaa.sources.onprem.net import ProbeError, client_context, handshake, tcp_check

PROBE_CALLING = "ENAMELPROBE"  # an AE title no site registers
PROBE_CALLED = "ENAMELNOSUCHAE"  # a called AE title no SCP is named
DIAG_CALLING = 3  # rejected: calling AE title not recognised
DIAG_CALLED = 7  # rejected: called AE title not recognised


@dataclass
class Outcome:
    kind: str  # accepted | rejected | aborted
    diagnostic: int | None = None
    echo_status: int | None = None


@contextmanager
def quiet():
    """pynetdicom logs every rejection at ERROR; the finding tells the story instead.
    Used once around all probes (not per thread: restoring levels would race)."""
    log = logging.getLogger("pynetdicom")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def associate(
    host: str,
    port: int,
    called: str,
    calling: str,
    timeout: float,
    tls_ctx: ssl.SSLContext | None = None,
    server_name: str | None = None,
) -> Outcome:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    ae = AE(ae_title=calling)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    tls_args = (tls_ctx, server_name or host) if tls_ctx is not None else None
    assoc = ae.associate(host, port, ae_title=called, tls_args=tls_args)
    try:
        if assoc.is_established:
            status = assoc.send_c_echo()
            code = int(status.Status) if status and "Status" in status else None
            assoc.release()
            return Outcome("accepted", echo_status=code)
        if assoc.is_rejected:
            prim = assoc.acceptor.primitive
            return Outcome("rejected", diagnostic=int(getattr(prim, "diagnostic", 0) or 0))
        return Outcome("aborted")
    finally:
        if assoc.is_alive():
            assoc.abort()
        ae.shutdown()


def ae_checks(run, expected_ae: str | None) -> dict:
    """run(called, calling) -> Outcome. Unknown calling AE to a wrong called AE first; then,
    if that was refused for the called AE, the unknown calling AE to the right called AE."""
    props: dict = {"reject_diagnostics": {"called": None, "calling": None}}
    first = run(PROBE_CALLED, PROBE_CALLING)
    if first.kind == "aborted":
        return {}
    if first.kind == "accepted":
        props.update(accepts_unknown_called_ae=True, accepts_unknown_calling_ae=True)
        return props
    props["reject_diagnostics"]["called"] = first.diagnostic
    if first.diagnostic == DIAG_CALLING:
        props["accepts_unknown_calling_ae"] = False
        props["accepts_unknown_called_ae"] = unknown("the SCP refused the unknown calling AE first")
        return props
    if first.diagnostic != DIAG_CALLED:
        why = unknown(f"association rejected with diagnostic {first.diagnostic}")
        props.update(accepts_unknown_called_ae=why, accepts_unknown_calling_ae=why)
        return props
    props["accepts_unknown_called_ae"] = False
    if not expected_ae:
        props["accepts_unknown_calling_ae"] = unknown("give the SCP's ae_title in the inventory")
        return props
    second = run(expected_ae, PROBE_CALLING)
    props["reject_diagnostics"]["calling"] = second.diagnostic
    if second.kind == "accepted":
        props["accepts_unknown_calling_ae"] = True
    elif second.kind == "rejected" and second.diagnostic == DIAG_CALLING:
        props["accepts_unknown_calling_ae"] = False
    elif second.kind == "rejected" and second.diagnostic == DIAG_CALLED:
        props["accepts_unknown_calling_ae"] = unknown(f"the SCP does not answer to ae_title {expected_ae!r}")
    else:
        props["accepts_unknown_calling_ae"] = unknown(
            f"second association {second.kind} (diagnostic {second.diagnostic})"
        )
    return props


def collect(entry: dict, timeout: float) -> Resource:
    host, port, name = entry["host"], int(entry["port"]), entry["name"]
    expected = entry.get("ae_title")
    base = {"host": host, "port": port, "ae_title": expected or ""}

    def res(props=None, error=None):
        return Resource(
            type="onprem.dicom_endpoint",
            id=f"dicom:{host}:{port}",
            name=name,
            source="probe",
            properties={**base, **(props or {})},
            error=error,
        )

    try:
        tcp_check(host, port, timeout)
    except ProbeError as exc:
        return res(error=str(exc))
    plain = ae_checks(lambda called, calling: associate(host, port, called, calling, timeout), expected)
    if plain:
        return res({"tls": False, "plaintext_accepted": True, "tls_client_certificate_required": False, **plain})
    # no plain DICOM answer: is it DICOM over TLS?
    try:
        handshake(host, port, host, timeout)
    except ProbeError as exc:
        return res(error=f"{exc}; no plain DICOM answer either (neither DICOM nor DICOM TLS)")
    except (ssl.SSLError, OSError) as exc:
        if not (isinstance(exc, ssl.SSLError) and "ALERT" in str(exc.reason or "")):
            # closed or reset without a TLS alert: nothing says a client certificate is required
            return res(
                error=f"{host}:{port}: no plain DICOM answer and the TLS handshake failed without an alert ({exc})"
            )
        if not entry.get("tls"):
            return res(
                {
                    "tls": True,
                    "plaintext_accepted": False,
                    "tls_client_certificate_required": True,
                    **_unknown_ae(
                        f"TLS handshake refused without a client certificate ({exc}); "
                        "give tls.cert/key in the inventory"
                    ),
                }
            )
    without = ae_checks(lambda c, a: associate(host, port, c, a, timeout, client_context(), host), expected)
    if without:
        return res({"tls": True, "plaintext_accepted": False, "tls_client_certificate_required": False, **without})
    tls = entry.get("tls") or {}
    if not tls.get("cert"):
        return res(
            {
                "tls": True,
                "plaintext_accepted": False,
                "tls_client_certificate_required": True,
                **_unknown_ae(
                    "DICOM TLS association aborted without a client certificate; give tls.cert/key in the inventory"
                ),
            }
        )
    try:
        ctx = client_context(cert=tls["cert"], key=tls.get("key"))
    except (ssl.SSLError, OSError) as exc:
        return res(error=f"cannot load the client certificate {tls['cert']}: {exc}")
    withcert = ae_checks(lambda c, a: associate(host, port, c, a, timeout, ctx, host), expected)
    if withcert:
        return res({"tls": True, "plaintext_accepted": False, "tls_client_certificate_required": True, **withcert})
    return res(
        {
            "tls": True,
            "plaintext_accepted": False,
            "tls_client_certificate_required": error_value("association aborted even with the client certificate"),
            **_unknown_ae("DICOM TLS association aborted even with the client certificate", error=True),
        }
    )


def _unknown_ae(why: str, error: bool = False) -> dict:
    mark = error_value(why) if error else unknown(why)
    return {"accepts_unknown_called_ae": mark, "accepts_unknown_calling_ae": mark}
