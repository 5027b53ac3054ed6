"""Benchmark the Terraform-plan and CloudFormation sources (issue 15), next to checkov.

    python bench/iac.py [--resources 1000] [--cfn-resources 300] [--repeat 3] [--no-checkov]

Generates, in a temp dir, a `terraform show -json` plan of N resource instances (groups of
ten: an S3 bucket with its SSE, versioning, public access block, policy, logging and ownership
resources joined by configuration references, a security group with an inline DICOM rule, a
separate ingress rule and a KMS key) and a CloudFormation template of M resources (groups of
six: bucket, bucket policy, security group, ingress, KMS key, log group). For each it prints
the in-process time of collection + evaluation of every rule (best of --repeat), the
whole-process wall and CPU time of a fresh interpreter doing the same and of the real command
(`enamel scan --terraform-plan FILE --format json`, report included); then checkov on the same file
when .venv-checkov/bin/checkov exists (here or in the main checkout)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TLS",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)


def terraform_plan(n: int) -> dict:
    resources, config = [], []

    def add(rtype, name, values, bucket_of=None, sg_of=None):
        addr = f"{rtype}.{name}"
        resources.append(
            {"address": addr, "mode": "managed", "type": rtype, "name": name, "values": values, "sensitive_values": {}}
        )
        exprs = {k: {"constant_value": v} for k, v in values.items()}
        if bucket_of:
            exprs["bucket"] = {"references": [f"aws_s3_bucket.{bucket_of}.id", f"aws_s3_bucket.{bucket_of}"]}
        if sg_of:
            exprs["security_group_id"] = {
                "references": [f"aws_security_group.{sg_of}.id", f"aws_security_group.{sg_of}"]
            }
        config.append({"address": addr, "mode": "managed", "type": rtype, "name": name, "expressions": exprs})

    for g in range(n // 10):
        b, name = f"b{g}", f"bench-{g:05d}"
        add("aws_s3_bucket", b, {"bucket": name, "tags": {"data_class": "phi" if g % 2 else "logs"}})
        add(
            "aws_s3_bucket_server_side_encryption_configuration",
            b,
            {
                "bucket": name,
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms", "kms_master_key_id": None}
                        ],
                        "bucket_key_enabled": True,
                    }
                ],
            },
            bucket_of=b,
        )
        add(
            "aws_s3_bucket_versioning",
            b,
            {"bucket": name, "versioning_configuration": [{"status": "Enabled"}]},
            bucket_of=b,
        )
        add(
            "aws_s3_bucket_public_access_block",
            b,
            {
                "bucket": name,
                "block_public_acls": True,
                "ignore_public_acls": True,
                "block_public_policy": True,
                "restrict_public_buckets": g % 3 != 0,
            },
            bucket_of=b,
        )
        add("aws_s3_bucket_policy", b, {"bucket": name, "policy": POLICY}, bucket_of=b)
        add("aws_s3_bucket_logging", b, {"bucket": name, "target_bucket": "bench-logs"}, bucket_of=b)
        add(
            "aws_s3_bucket_ownership_controls",
            b,
            {"bucket": name, "rule": [{"object_ownership": "BucketOwnerEnforced"}]},
            bucket_of=b,
        )
        add(
            "aws_security_group",
            f"sg{g}",
            {
                "name": f"sg{g}",
                "vpc_id": "vpc-1",
                "ingress": [
                    {
                        "cidr_blocks": ["0.0.0.0/0" if g % 4 == 0 else "10.0.0.0/8"],
                        "from_port": 104,
                        "to_port": 104,
                        "protocol": "tcp",
                        "ipv6_cidr_blocks": [],
                        "self": False,
                    }
                ],
            },
        )
        add(
            "aws_vpc_security_group_ingress_rule",
            f"sg{g}",
            {"cidr_ipv4": "10.0.0.0/8", "from_port": 443, "to_port": 443, "ip_protocol": "tcp"},
            sg_of=f"sg{g}",
        )
        add("aws_kms_key", f"k{g}", {"enable_key_rotation": g % 2 == 0, "deletion_window_in_days": 30})
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "configuration": {"root_module": {"resources": config}},
    }


def cloudformation(m: int) -> dict:
    res = {}
    for g in range(m // 6):
        res[f"Bucket{g}"] = {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": f"bench-{g:05d}",
                "VersioningConfiguration": {"Status": "Enabled"},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": {"Fn::GetAtt": [f"Key{g}", "Arn"]},
                            }
                        }
                    ]
                },
                "Tags": [{"Key": "data_class", "Value": "phi"}],
            },
        }
        res[f"Policy{g}"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": f"Bucket{g}"}, "PolicyDocument": json.loads(POLICY)},
        }
        res[f"Sg{g}"] = {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "bench",
                "SecurityGroupIngress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 104,
                        "ToPort": 104,
                        "CidrIp": "0.0.0.0/0" if g % 4 == 0 else "10.0.0.0/8",
                    }
                ],
            },
        }
        res[f"Ingress{g}"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": [f"Sg{g}", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "CidrIp": "10.0.0.0/8",
            },
        }
        res[f"Key{g}"] = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": g % 2 == 0}}
        res[f"Logs{g}"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 2192}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": res}


CHILD = """
import sys, time
t0 = time.perf_counter()
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.sources.{mod} import {fn}
c = {fn}(sys.argv[1])
f = evaluate(load_rules().rules, c.resources)
print(len(c.resources), len(f))
"""


def in_process(fn, path: str, repeat: int) -> tuple[float, int, int]:
    from enamel_hipaa.core.engine import evaluate
    from enamel_hipaa.core.ruleset import load_rules

    rules = load_rules().rules
    best, n, nf = float("inf"), 0, 0
    for _ in range(repeat):
        t = time.perf_counter()
        c = fn(path)
        findings = evaluate(rules, c.resources)
        best = min(best, time.perf_counter() - t)
        n, nf = len(c.resources), len(findings)
    return best, n, nf


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def whole_process(mod: str, fn: str, path: str) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh interpreter importing, collecting and evaluating."""
    t, cpu = time.perf_counter(), _child_cpu()
    subprocess.run(
        [sys.executable, "-c", CHILD.format(mod=mod, fn=fn), path],
        check=True,
        cwd=ROOT,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return time.perf_counter() - t, _child_cpu() - cpu


def cli_time(flag: str, path: str) -> tuple[float, float]:
    """(wall, CPU) seconds of `enamel scan FLAG PATH --format json` as a user runs it."""
    t, cpu = time.perf_counter(), _child_cpu()
    subprocess.run(
        [sys.executable, "-m", "enamel_hipaa", "scan", flag, path, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        check=False,  # exit 1: findings
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return time.perf_counter() - t, _child_cpu() - cpu


def checkov_time(path: str, framework: str) -> tuple[float, float] | None:
    for venv in (ROOT / ".venv-checkov", Path("/work/main/.venv-checkov")):
        exe = venv / "bin" / "checkov"
        if exe.exists():
            t, cpu = time.perf_counter(), _child_cpu()
            subprocess.run(
                [str(exe), "-f", path, "--framework", framework, "-o", "json", "--quiet", "--compact"],
                capture_output=True,
                check=False,
            )
            return time.perf_counter() - t, _child_cpu() - cpu
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--cfn-resources", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-checkov", action="store_true")
    a = ap.parse_args()
    from enamel_hipaa.sources.cloudformation import collect_cloudformation
    from enamel_hipaa.sources.terraform import collect_terraform_plan

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(terraform_plan(a.resources)))
        tpl = Path(tmp) / "template.yaml"
        tpl.write_text(yaml.safe_dump(cloudformation(a.cfn_resources), sort_keys=False))
        for label, fn, mod, fname, path, fw, size in (
            (
                "--terraform-plan",
                collect_terraform_plan,
                "terraform",
                "collect_terraform_plan",
                plan,
                "terraform_plan",
                a.resources,
            ),
            (
                "--cloudformation",
                collect_cloudformation,
                "cloudformation",
                "collect_cloudformation",
                tpl,
                "cloudformation",
                a.cfn_resources,
            ),
        ):
            t, n, nf = in_process(fn, str(path), a.repeat)
            whole = whole_process(mod, fname, str(path))
            cli = cli_time(label, str(path))
            ck = None if a.no_checkov else checkov_time(str(path), fw)
            print(
                f"{label}: {size} input resources -> {n} Enamel resources, {nf} findings; "
                f"in-process collect+evaluate {t:.3f}s (best of {a.repeat}); whole process {whole[0]:.2f}s wall "
                f"/ {whole[1]:.2f}s CPU; `enamel scan {label}` {cli[0]:.2f}s wall / {cli[1]:.2f}s CPU; checkov {'n/a' if ck is None else f'{ck[0]:.2f}s wall / {ck[1]:.2f}s CPU'}"
            )


if __name__ == "__main__":
    main()
