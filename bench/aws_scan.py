"""Benchmark the live AWS scan against a local moto server.

    python bench/aws_scan.py [--sizes 50,1000] [--workers 8]

For each size N: start a moto server on 127.0.0.1 (free port), populate it with N buckets
(a third hardened PHI buckets, a third log buckets, a third bare) plus proportional other
resources (N/10 KMS keys, security groups and IAM users, N/25 log groups, volumes and
trails' worth of buckets), then time `enamel scan --aws` in a subprocess and print: wall
time, API calls made (recorded by the scanner from botocore events, ENAMEL_AWS_STATS),
calls per bucket, CPU seconds and peak RSS of the scanner process. The server is stopped
by its PID. Needs the demo extra (moto[server])."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enamel_hipaa.workflows.demo.aws_live import DEMO_CREDENTIALS, REGION, start_server, stop_server


def populate(url: str, n: int, workers: int) -> None:
    import boto3

    s = boto3.Session(**DEMO_CREDENTIALS)
    c = {name: s.client(name, endpoint_url=url) for name in ("s3", "kms", "ec2", "iam", "logs")}
    key = c["kms"].create_key()["KeyMetadata"]["Arn"]
    c["s3"].create_bucket(Bucket="bench-access-logs")
    c["s3"].put_bucket_acl(Bucket="bench-access-logs", ACL="log-delivery-write")

    def bucket(i: int) -> None:
        s3 = c["s3"]
        name = f"bench-{i:05d}"
        kind = ("phi", "logs", "bare")[i % 3]
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=(kind == "phi"))
        if kind == "bare":
            return
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": kind}]})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        if kind == "phi":
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
            )
            s3.put_bucket_logging(
                Bucket=name,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": "bench-access-logs", "TargetPrefix": name + "/"}
                },
            )
            s3.put_object_lock_configuration(
                Bucket=name,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}},
                },
            )
            s3.put_bucket_policy(
                Bucket=name,
                Policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Action": "s3:*",
                                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                ),
            )

    def other(i: int) -> None:
        c["kms"].create_key(Description=f"bench key {i}")
        c["iam"].create_user(UserName=f"bench-user-{i}")
        c["iam"].create_access_key(UserName=f"bench-user-{i}")
        vpc = c["ec2"].describe_vpcs()["Vpcs"][0]["VpcId"]
        gid = c["ec2"].create_security_group(GroupName=f"bench-sg-{i}", Description="bench", VpcId=vpc)["GroupId"]
        c["ec2"].authorize_security_group_ingress(
            GroupId=gid,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        if i % 5 == 0:  # N/25 overall (i runs to N/10... every 2.5th): log groups and volumes
            c["logs"].create_log_group(logGroupName=f"/bench/{i}")
            c["ec2"].create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=i % 2 == 0)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(bucket, range(n)))
        list(pool.map(other, range(max(1, n // 10))))


def run_scan(url: str, regions: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats.json"
        env = dict(
            os.environ,
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION=REGION,
            ENAMEL_AWS_STATS=str(stats),
            AWS_CONFIG_FILE=str(Path(tmp) / "none"),
            AWS_SHARED_CREDENTIALS_FILE=str(Path(tmp) / "none"),
        )
        env.pop("AWS_PROFILE", None)
        cmd = [
            sys.executable,
            "-m",
            "enamel_hipaa.cli",
            "scan",
            "--aws",
            "--regions",
            regions,
            "--format",
            "json",
            "--output-dir",
            tmp,
            "-q",
            "--fail-on",
            "none",
        ]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode()
        proc.stderr.close()
        # 3: an incomplete scan; moto has no HealthImaging, so its listing is an error in every
        # region (the `errors` column counts them); any other exit is a failed run
        if proc.returncode not in (0, 1, 3):
            raise SystemExit(f"scan failed ({proc.returncode}): {err}")
        report = json.loads(next(Path(tmp).glob("*.json")).read_text())
        calls = json.loads(stats.read_text())
    if os.environ.get("BENCH_SHOW_CALLS"):
        print(json.dumps(calls["by_action"], indent=1), file=sys.stderr)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "calls": calls,
        "findings": report["summary"]["total"],
        "errors": len(report["errors"]),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,1000", help="comma-separated bucket counts (default 50,1000)")
    ap.add_argument("--regions", default=REGION)
    ap.add_argument("--workers", type=int, default=8, help="threads populating the server")
    args = ap.parse_args(argv)
    print(
        f"{'buckets':>7} {'populate_s':>10} {'wall_s':>7} {'calls':>6} {'s3/bucket':>9} {'all/bucket':>10} "
        f"{'cpu_s':>6} {'rss_MB':>7} {'findings':>8} {'errors':>6}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        proc, url = start_server()
        try:
            t0 = time.perf_counter()
            populate(url, n, args.workers)
            pop = time.perf_counter() - t0
            r = run_scan(url, args.regions)
        finally:
            stop_server(proc)
        by = r["calls"]["by_action"]
        s3 = sum(v for k, v in by.items() if k.startswith("s3:") and k != "s3:GetAccountPublicAccessBlock")
        buckets = n + 1
        print(
            f"{buckets:>7} {pop:>10.1f} {r['wall_s']:>7.2f} {r['calls']['calls']:>6} {s3 / buckets:>9.2f} "
            f"{r['calls']['calls'] / buckets:>10.2f} {r['cpu_s']:>6.2f} {r['peak_rss_mb']:>7.1f} "
            f"{r['findings']:>8} {r['errors']:>6}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
