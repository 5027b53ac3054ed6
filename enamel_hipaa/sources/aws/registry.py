"""The AWS services the live scan reads: one collector module per service, in this order."""

from __future__ import annotations

import importlib

COLLECTORS = (
    "s3",
    "kms",
    "cloudtrail",
    "logs",
    "iam",
    "iam_policies",
    "ec2",
    "instances",
    "region",
    "vpc",
    "rds",
    "elbv2",
    "monitoring",
    "efs",
    "secretsmanager",
    "sns",
    "elbv2_lbs",
    "backup",
    "backup_coverage",
    "apigateway",
    "elb",
    "acm",
    "cloudfront",
    "sqs",
    "macie",
    "healthimaging",
    "wafv2",
    "ssm_documents",
    "vpn",
)
MAX_WORKERS = 8


def modules():
    return [importlib.import_module(f"enamel_hipaa.sources.aws.{m}") for m in COLLECTORS]
