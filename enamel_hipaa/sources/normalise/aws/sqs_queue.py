"""aws.sqs_queue from SQS's GetQueueAttributes shape (string values)."""

from __future__ import annotations


def queue_props(url: str, attributes: dict) -> dict:
    key = attributes.get("KmsMasterKeyId") or None
    managed = str(attributes.get("SqsManagedSseEnabled", "false")).lower() == "true"
    return {
        "url": url,
        "arn": attributes.get("QueueArn"),
        "kms_key_id": key,
        "sqs_managed_sse": managed,
        "encrypted": key is not None or managed,
    }
