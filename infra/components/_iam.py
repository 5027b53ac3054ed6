"""A role an AWS service assumes (not a component itself)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws


def service_role(name: str, service: str, parent: pulumi.Resource) -> aws.iam.Role:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}],
    }
    return aws.iam.Role(name, assume_role_policy=json.dumps(trust), opts=pulumi.ResourceOptions(parent=parent))
