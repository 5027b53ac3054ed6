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
    werkzeug routes one at a time, so first requests to many services at once cannot fail."""
    import threading
    import time

    from werkzeug.routing import Map, Rule

    from enamel_hipaa.workflows.demo.motoserver import serialise_route_compiles

    serialise_route_compiles()
    serialise_route_compiles()  # idempotent: one lock, not two wrappers
    inside, peak, guard = 0, 0, threading.Lock()
    compile_ = Rule.compile

    def probe(self):
        nonlocal inside, peak
        with guard:
            inside += 1
            peak = max(peak, inside)
        time.sleep(0.01)
        with guard:
            inside -= 1

    original = compile_.__closure__[0].cell_contents if compile_.__closure__ else None
    assert getattr(Rule.compile, "serialised", False) and original is not None
    try:
        compile_.__closure__[0].cell_contents = probe
        threads = [
            threading.Thread(target=lambda i=i: Map([Rule(f"/s{i}/<int:n>/{j}") for j in range(3)])) for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        compile_.__closure__[0].cell_contents = original
    assert peak == 1
