"""SNS topics (aws.sns_topic): encryption at rest (alerts and notifications may carry PHI)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, describe_failure, listed, paginate, resource
from enamel_hipaa.sources.normalise.aws.sns_topic import topic_props

SERVICE = "sns"
GLOBAL = False
TYPES = ("aws.sns_topic",)
ACTIONS = ("sns:ListTopics", "sns:GetTopicAttributes")
CONDITIONAL = {"sns:GetTopicAttributes": "only when a topic exists"}


def collect(aws, region, regions) -> Out:
    out = Out()
    sns = aws.client("sns", region)
    for t in listed(out, aws, SERVICE, region, TYPES, lambda: paginate(sns, "list_topics", "Topics")) or []:
        arn = t["TopicArn"]
        name = arn.rsplit(":", 1)[-1]
        try:
            props = topic_props(arn, sns.get_topic_attributes(TopicArn=arn)["Attributes"])
        except Exception as exc:  # noqa: BLE001 - this topic is unknown, never "encrypted"
            out.resources.append(
                resource(aws, "aws.sns_topic", arn, name, {"arn": arn}, region, error=describe_failure(exc))
            )
            continue
        out.resources.append(resource(aws, "aws.sns_topic", arn, name, props, region))
    return out
