"""`enamel demo`'s live AWS part: moto on loopback, provisioned, scanned live, stopped."""

import pytest

from enamel_hipaa.workflows.demo import aws_live


@pytest.mark.skipif(aws_live.available() is not None, reason="moto/boto3 not installed")
def test_pass_live_demo_scans_a_local_practice_and_stops_the_server(ruleset, monkeypatch):
    started = []
    real_start = aws_live.start_server

    def start():
        proc, url = real_start()
        started.append(proc)
        assert url.startswith("http://127.0.0.1:")
        return proc, url

    monkeypatch.setattr(aws_live, "start_server", start)
    from enamel_hipaa.core.engine import evaluate

    col = aws_live.live_aws_part(ruleset, None)
    (proc,) = started
    assert proc.poll() is not None  # stopped by PID
    # moto has no HealthImaging: the demo leaves that listing's error out, and says so
    assert col.errors == [] and col.resources and {r.source for r in col.resources} == {"live"}
    statuses = {(f.resource.name, f.rule.id): f.status for f in evaluate(ruleset.rules, col.resources)}
    assert statuses[("bsd-live-xray-archive", "s3-bucket-kms-encryption")] == "pass"
    assert statuses[("bsd-live-referrals-share", "s3-bucket-no-public-grants")] == "fail"
    assert statuses[("bsd-live-orthanc", "ec2-security-group-admin-ports")] == "fail"
    assert statuses[("bsd-live-front-desk", "iam-user-console-mfa")] == "fail"


def test_skip_live_demo_without_moto_says_why(ruleset, monkeypatch):
    from rich.console import Console

    monkeypatch.setattr(aws_live, "available", lambda: "live AWS demo skipped: moto not installed")
    console = Console(record=True, width=200)
    col = aws_live.live_aws_part(ruleset, console)
    assert col.resources == [] and col.errors == []
    assert "live AWS demo skipped: moto not installed" in console.export_text()


def test_pass_moto_route_compiles_run_one_at_a_time_after_serialising():
    """CPython 3.11's ast is not thread-safe: the demo's (and the tests') moto server compiles
    werkzeug routes under one lock, so first requests to many services at once cannot fail."""
    import threading

    from werkzeug.routing import Map, Rule

    from enamel_hipaa.workflows.demo import motoserver

    motoserver.serialise_route_compiles()
    wrapped = Rule.compile
    motoserver.serialise_route_compiles()  # idempotent: one lock, not two wrappers
    assert Rule.compile is wrapped and wrapped.serialised
    built = threading.Event()
    worker = threading.Thread(target=lambda: (Map([Rule("/s/<int:n>")]), built.set()))
    with motoserver._LOCK:  # a route compile elsewhere in the process
        worker.start()
        assert not built.wait(0.3)  # this one waits for it
    assert built.wait(30)
    worker.join(timeout=30)
