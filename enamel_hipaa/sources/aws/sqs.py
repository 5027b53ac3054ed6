"""SQS queues (aws.sqs_queue): encryption at rest. Scope: every queue. Enamel cannot see what
a message carries, and a queue between the imaging archive and its consumers (new-study
notifications, export jobs) carries patient identifiers, so no queue is presumed PHI-free.
ListQueues, then one GetQueueAttributes per queue."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.sqs_queue import queue_props

SERVICE = "sqs"
GLOBAL = False
TYPES = ("aws.sqs_queue",)
ACTIONS = ("sqs:ListQueues", "sqs:GetQueueAttributes")
CONDITIONAL = {"sqs:GetQueueAttributes": "only when a queue exists"}
ATTRIBUTES = ["QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled"]


def collect(aws, region, regions) -> Out:
    out = Out()
    sqs = aws.client("sqs", region)
    for url in listed(out, aws, SERVICE, region, TYPES, lambda: paginate(sqs, "list_queues", "QueueUrls")) or []:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        attrs = read(lambda url=url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES)["Attributes"])
        if isinstance(attrs, dict) and "$error" in attrs:
            out.resources.append(resource(aws, "aws.sqs_queue", url, name, {"url": url}, region, attrs["$error"]))
            continue
        out.resources.append(
            resource(aws, "aws.sqs_queue", attrs.get("QueueArn") or url, name, queue_props(url, attrs), region)
        )
    return out
