"""The global API call cap: bounded waits, and slots given back when a call fails."""

import socket

import pytest

from enamel_hipaa.sources import apilimit


def test_fail_no_slot_within_the_bound_raises_instead_of_waiting_forever():
    sem = apilimit.semaphore(1)
    apilimit.acquire(sem)
    with pytest.raises(apilimit.NoSlot, match="--max-api-calls"):
        apilimit.acquire(sem, timeout=0.05)


def test_pass_a_failed_aws_call_gives_its_slot_back():
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sem = apilimit.semaphore(2)
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    apilimit.attach_botocore(session, sem)
    client = session.client(
        "sts",
        endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    for _ in range(3):  # more failures than slots: each must have been released
        with pytest.raises(EndpointConnectionError):
            client.get_caller_identity()
    assert sem.acquire(blocking=False) and sem.acquire(blocking=False)


def test_pass_no_cap_means_no_hooks():
    assert apilimit.semaphore(None) is None and apilimit.azure_policy(None) is None
