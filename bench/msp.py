"""Benchmark an MSP run: T tenants (one AWS account each, reached through its own audit role
and ExternalId) of M buckets each, on a local moto server.

    python bench/msp.py [--tenants 10,50] [--buckets 5] [--jobs 1,4,8] [--latency-ms 0,30] [--max-api-calls N]

For each T and latency: start a moto server on 127.0.0.1 (free port; with --latency-ms each
request is held that long first, like a round trip to a real AWS region), create T accounts (moto's
AssumeRole reaches any account id) each with an audit role and M PHI buckets, write a
tenants file, then time `enamel tenants scan --jobs K` in a subprocess for every K and print
the wall time and the speed-up against --jobs 1. The server is stopped by its PID. Needs the
demo extra (moto[server]).

    python bench/msp.py --history-bench 500 [--shards 8]

The history back ends under a sharded run: T tenants (resources files, so only evaluation
and the history are measured) in N shard processes started at once, recording into ONE
shared PostgreSQL (tests/pgserver.py: initdb + pg_ctl on 127.0.0.1, stopped by PID) versus
one SQLite file per shard. Prints the wall time of the shards, the database write time per
scan (history.record, timed in every shard) and the roll-up merge time of the shard
directories (bench/msp_history.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from enamel_hipaa.workflows.demo.aws_live import DEMO_CREDENTIALS, REGION, start_server, stop_server

MSP_ACCOUNT = "123456789012"  # moto's default account: the MSP's own


def account_id(i: int) -> str:
    return f"{300000000000 + i:012d}"


def serve(port: int, latency_ms: float) -> None:
    """The moto server, each request held `latency_ms` first (runs in its own process)."""
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from enamel_hipaa.workflows.demo.motoserver import serialise_route_compiles

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    serialise_route_compiles()  # CPython 3.11's ast is not thread-safe (the module says why)
    app = DomainDispatcherApplication(create_backend_app)

    def slow(environ, start_response):
        time.sleep(latency_ms / 1000)
        return app(environ, start_response)

    make_server("127.0.0.1", port, slow, True, request_handler=MotoRequestHandler).serve_forever()


def provision(url: str, tenants: int, buckets: int) -> list[dict]:
    """T accounts, each with an audit role trusting the MSP (ExternalId) and M PHI buckets."""
    import boto3

    base = boto3.Session(**DEMO_CREDENTIALS)
    sts = base.client("sts", endpoint_url=url)
    out = []
    for i in range(tenants):
        acct, name = account_id(i), f"practice-{i:03d}"
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/setup", RoleSessionName="setup")["Credentials"]
        s = boto3.Session(
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
            region_name=REGION,
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MSP_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": f"xid-{name}"}},
                }
            ],
        }
        role = s.client("iam", endpoint_url=url).create_role(
            RoleName="EnamelAudit", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        s3 = s.client("s3", endpoint_url=url)
        for b in range(buckets):
            bucket = f"{name}-xrays-{b}"
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]})
            if b % 2 == 0:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        out.append({"name": name, "aws": [{"role_arn": role, "external_id_env": f"BENCH_XID_{i:03d}"}]})
    return out


def run(tenants_file: Path, out: Path, jobs: int, env: dict, cap: int | None) -> float:
    cmd = [
        sys.executable,
        "-m",
        "enamel_hipaa.cli",
        "tenants",
        "scan",
        str(tenants_file),
        "--output-dir",
        str(out),
        "--jobs",
        str(jobs),
        "--format",
        "json",
        "-q",
    ]
    if cap:
        cmd += ["--max-api-calls", str(cap)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    wall = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        raise SystemExit(f"enamel tenants scan failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    roll = json.loads((out / "rollup.json").read_text())
    if roll["summary"]["incomplete"]:
        raise SystemExit(f"{roll['summary']['incomplete']} tenants incomplete: the numbers would be meaningless")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tenants", default="10,50", help="comma-separated tenant counts (default 10,50)")
    ap.add_argument("--buckets", type=int, default=5, help="buckets per tenant (default 5)")
    ap.add_argument("--jobs", default="1,4,8", help="comma-separated --jobs values; the first is the baseline")
    ap.add_argument("--latency-ms", default="0,30", help="comma-separated per-request latencies (default 0,30)")
    ap.add_argument("--max-api-calls", type=int, help="also pass this global cap")
    ap.add_argument("--history-bench", type=int, metavar="T", help="shared PostgreSQL vs SQLite per shard, T tenants")
    ap.add_argument("--shards", type=int, default=8, help="shard processes for --history-bench (default 8)")
    ap.add_argument("--serve", nargs=2, metavar=("PORT", "LATENCY_MS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(int(args.serve[0]), float(args.serve[1]))
    if args.history_bench:
        from msp_history import history_bench

        return history_bench(args.history_bench, args.shards)
    jobs = [int(j) for j in args.jobs.split(",")]
    print(
        f"{'tenants':>7} {'buckets':>7} {'lat ms':>6} {'jobs':>4} {'wall s':>7} {'speed-up':>8}  "
        f"(cpus: {os.cpu_count()})"
    )
    for t, lat in ((int(x), float(y)) for x in args.tenants.split(",") for y in args.latency_ms.split(",")):
        proc, url = start_server(lambda port, lat=lat: [sys.executable, __file__, "--serve", str(port), str(lat)])
        try:
            entries = provision(url, t, args.buckets)
            with tempfile.TemporaryDirectory(prefix="enamel-bench-msp-") as tmp:
                tf = Path(tmp) / "tenants.yaml"
                tf.write_text(yaml.safe_dump({"version": 1, "defaults": {"regions": [REGION]}, "tenants": entries}))
                env = dict(
                    os.environ,
                    AWS_ENDPOINT_URL=url,
                    AWS_ACCESS_KEY_ID="demo",
                    AWS_SECRET_ACCESS_KEY="demo",
                    AWS_DEFAULT_REGION=REGION,
                    AWS_CONFIG_FILE=os.devnull,
                    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                    **{f"BENCH_XID_{i:03d}": f"xid-practice-{i:03d}" for i in range(t)},
                )
                env.pop("AWS_PROFILE", None)
                base = None
                for k in jobs:
                    wall = run(tf, Path(tmp) / f"out-{k}", k, env, args.max_api_calls)
                    base = base or wall
                    print(f"{t:>7} {args.buckets:>7} {lat:>6.0f} {k:>4} {wall:>7.1f} {base / wall:>7.2f}x", flush=True)
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
