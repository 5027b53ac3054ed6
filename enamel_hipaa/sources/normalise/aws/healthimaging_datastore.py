"""aws.healthimaging_datastore from HealthImaging's GetDatastore `datastoreProperties` shape.

HealthImaging encrypts with an AWS-owned key unless a customer-managed KMS key is given at
creation; only then does the data store carry a `kmsKeyArn` (there is no AWS-managed key
option), so a present key ARN is a customer-managed key."""

from __future__ import annotations


def datastore_props(p: dict) -> dict:
    key = p.get("kmsKeyArn") or None
    return {
        "id": p["datastoreId"],
        "arn": p.get("datastoreArn"),
        "status": p.get("datastoreStatus"),
        "kms_key_arn": key,
        "customer_managed_key": key is not None,
        "lambda_authorizer": p.get("lambdaAuthorizerArn") or None,
    }
