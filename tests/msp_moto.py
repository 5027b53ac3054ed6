"""An MSP's world on one moto server: several AWS accounts (one per dental practice), each
with its own audit role (trust policy with the practice's ExternalId) and its own buckets
carrying canary values, plus per-practice on-prem inventories.

moto does not evaluate role trust policies, so `GatedMotoServer` puts a WSGI layer in front
of the real moto app that does what STS does for the scanner's AssumeRole
(RoleSessionName "enamel-audit"): the role must exist in its account, and its trust policy's
`sts:ExternalId` condition must match the ExternalId sent; otherwise 403 AccessDenied. The
same layer counts requests in flight (optionally holding each one a few ms so overlaps show)
to test the global API call cap. Used by tests/test_tenants_live.py and bench/msp.py."""

from __future__ import annotations

import io
import json
import threading
import time
from contextlib import contextmanager
from unittest import mock
from urllib.parse import parse_qs

AUDIT_SESSION = "enamel-audit"  # the scanner's RoleSessionName (enamel_hipaa/sources/aws/runner.py)
ROLE = "EnamelAudit"
DENIED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>AccessDenied</Code><Message>{msg}</Message></Error><RequestId>enamel-test</RequestId></ErrorResponse>"
)


class Gate:
    """WSGI middleware: trust-policy check for the scanner's AssumeRole, in-flight counter."""

    def __init__(self, app):
        self.app = app
        self.delay = 0.0
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.denied: list[str] = []

    def reset_counts(self) -> None:
        with self.lock:
            self.max_in_flight = 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        refusal = self._trust_check(environ)
        if refusal:
            body = DENIED.format(msg=refusal).encode()
            start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
            return [body]
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.in_flight -= 1

    def _trust_check(self, environ) -> str | None:
        if "/sts/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return None
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("Action") != "AssumeRole" or form.get("RoleSessionName") != AUDIT_SESSION:
            return None
        arn = form.get("RoleArn", "")
        why = trust_refusal(arn, form.get("ExternalId"))
        if why:
            self.denied.append(arn)
        return why


def trust_refusal(arn: str, external_id: str | None) -> str | None:
    """Why STS would refuse this AssumeRole (None: allowed), from the role moto holds."""
    from moto.iam.models import iam_backends

    account = arn.split(":")[4]
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(arn)
    except Exception:  # noqa: BLE001 - moto's NotFound: no such role in that account
        return f"User is not authorized to perform: sts:AssumeRole on resource: {arn}"
    for st in json.loads(role.assume_role_policy_document)["Statement"]:
        wanted = st.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
        if st.get("Effect") == "Allow" and (wanted is None or wanted == external_id):
            return None
    return f"User is not authorized to perform: sts:AssumeRole on resource: {arn} (ExternalId)"


@contextmanager
def gated_moto_server():
    """tests/awsstack.server + account_env (environment, clean state, stop) with the Gate in front:
    yields (url, gate)."""
    import logging

    import awsstack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    gate = Gate(DomainDispatcherApplication(create_backend_app))

    class GatedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            self._server = make_server(self._ip_address, self._port, gate, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    with (
        mock.patch("moto.server.ThreadedMotoServer", GatedMotoServer),
        awsstack.server() as url,
        awsstack.account_env(url),
    ):
        yield url, gate


def audit_role(sess, trusted_account: str, external_id: str) -> str:
    """The practice's audit role: trusts the MSP's account with the practice's ExternalId."""
    iam = sess.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{trusted_account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    return iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def practice_buckets(sess, prefix: str, canary: str, count: int, *, versioned: bool) -> list[str]:
    """`count` PHI buckets named after the practice, tagged with its canary value."""
    s3 = sess.client("s3", region_name="us-east-1")
    names = []
    for i in range(count):
        name = f"{prefix}-xrays-{i}-{canary.lower()}"
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}, {"Key": "canary", "Value": canary}]}
        )
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        names.append(name)
    return names
