"""The live part of `enamel demo`: a moto server on loopback stands in for the practice's
AWS account; a small practice is provisioned in it through boto3, scanned by the real live
collector, and the server is stopped by its PID. No cloud account, no network.

moto is a `demo`/`test` extra, not a scanner dependency: without it this part is skipped
with a note."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from enamel_hipaa.sources import Collection

REGION = "us-east-1"
# moto accepts any key; these never leave the loopback server
DEMO_CREDENTIALS = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo", "region_name": REGION}
START_TIMEOUT_S = 20
STOP_GRACE_S = 0.5


def available() -> str | None:
    """None when the live demo can run, else why not."""
    import importlib.util

    missing = [m for m in ("boto3", "moto", "flask") if importlib.util.find_spec(m) is None]
    if missing:
        return f"live AWS demo skipped: {', '.join(missing)} not installed (pip install 'enamel-hipaa[demo]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command=None) -> tuple[subprocess.Popen, str]:
    """moto's server (through demo/motoserver.py) on 127.0.0.1 (or `command(port)`, an argv serving moto there)."""
    port = _free_port()
    env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    argv = (
        command(port)
        if command
        else [sys.executable, "-m", "enamel_hipaa.workflows.demo.motoserver", "-H", "127.0.0.1", "-p", str(port)]
    )
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/moto-api/data.json", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"moto server not ready after {START_TIMEOUT_S}s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM by PID; moto's threads may linger on keep-alive connections, so SIGKILL
    after a short grace period (the server holds nothing worth flushing)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def provision(url: str) -> None:
    """Bright Smile Dental's cloud: a hardened X-ray archive next to a few classic mistakes."""
    import boto3

    s = boto3.Session(**DEMO_CREDENTIALS)
    s3, kms, ec2 = (s.client(n, endpoint_url=url) for n in ("s3", "kms", "ec2"))
    key = kms.create_key(Description="bsd archive key")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    kms.create_alias(AliasName="alias/bsd-live-archive", TargetKeyId=key)
    s.client("macie2", endpoint_url=url).disable_macie()  # the practice never turned Macie on (moto: on)
    s3.create_bucket(Bucket="bsd-live-xray-archive", ObjectLockEnabledForBucket=True)
    s3.put_bucket_tagging(Bucket="bsd-live-xray-archive", Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]})
    s3.put_bucket_encryption(
        Bucket="bsd-live-xray-archive",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket="bsd-live-xray-archive",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket="bsd-live-xray-archive", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_object_lock_configuration(
        Bucket="bsd-live-xray-archive",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}},
        },
    )
    arn = "arn:aws:s3:::bsd-live-xray-archive"
    s3.put_bucket_policy(
        Bucket="bsd-live-xray-archive",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [arn, arn + "/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [arn, arn + "/*"],
                        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                    },
                ],
            }
        ),
    )
    s3.create_bucket(Bucket="bsd-live-referrals-share", ObjectOwnership="ObjectWriter")
    s3.put_bucket_tagging(
        Bucket="bsd-live-referrals-share", Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]}
    )
    s3.put_bucket_acl(Bucket="bsd-live-referrals-share", ACL="public-read")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="bsd-live-orthanc", Description="Orthanc viewer", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8042, "ToPort": 8042, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=False)
    iam = s.client("iam", endpoint_url=url)
    iam.create_user(UserName="bsd-live-front-desk")
    iam.create_login_profile(UserName="bsd-live-front-desk", Password="Front-desk-passw0rd!")
    iam.update_account_password_policy(MinimumPasswordLength=8)


EMULATOR_LACKS = ("medical-imaging",)  # services moto does not serve at all


def live_aws_part(ruleset, console) -> Collection:
    why = available()
    if why:
        if console is not None:
            console.print(f"[yellow]{why}[/yellow]")
        return Collection()
    from enamel_hipaa.sources.aws.runner import scan

    proc, url = start_server()
    try:
        provision(url)
        collection, _ = scan(regions=REGION, credentials=DEMO_CREDENTIALS, endpoint_url=url)
    finally:
        stop_server(proc)
    # moto has no HealthImaging: against this emulator its listing always fails. The demo shows
    # the practice, not the emulator's gaps, so those errors are left out and said so below
    # (a real scan keeps them: error findings, exit 3 with --fail-on-error).
    unserved = sorted({e.service for e in collection.errors if e.service in EMULATOR_LACKS})
    collection.errors = [e for e in collection.errors if e.service not in EMULATOR_LACKS]
    collection.sources = [f"aws-live-demo (moto on {url})"]
    if console is not None:
        console.print(
            f"[dim]live AWS part: scanned {len(collection.resources)} resources on a local moto server "
            f"({url}, stopped)[/dim]"
        )
        if unserved:
            console.print(f"[dim]not served by the local emulator, left out of the demo: {', '.join(unserved)}[/dim]")
    return collection
