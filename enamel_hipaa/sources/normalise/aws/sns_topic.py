"""aws.sns_topic from SNS's GetTopicAttributes shape."""

from __future__ import annotations


def topic_props(arn: str, attributes: dict) -> dict:
    key = attributes.get("KmsMasterKeyId") or None
    return {"arn": arn, "kms_key_id": key, "encrypted": key is not None}
