"""API Gateway REST API stages (aws.apigateway_stage): execution logging, client certificate
for the backend (TLS to the integration), WAF web ACL."""

from __future__ import annotations

from enamel_hipaa.sources.aws import base
from enamel_hipaa.sources.aws.base import Out, describe_failure, listed, paginate, resource
from enamel_hipaa.sources.normalise.aws.apigateway_stage import stage_props

SERVICE = "apigateway"
GLOBAL = False
TYPES = ("aws.apigateway_stage",)
ACTIONS = ("apigateway:GET",)  # API Gateway's read permission is one action on the resource paths
CONDITIONAL = {}
_ACTION_OF = base.iam_action


def _iam_action(service_model, operation_name: str) -> str:
    """API Gateway's IAM actions are HTTP verbs on resource paths: every read is apigateway:GET.
    (Belongs in base.iam_action; base.py is being reworked elsewhere, so it is wrapped here.)"""
    if service_model.endpoint_prefix == "apigateway" and operation_name.startswith("Get"):
        return "apigateway:GET"
    return _ACTION_OF(service_model, operation_name)


base.iam_action = _iam_action


def collect(aws, region, regions) -> Out:
    out = Out()
    api = aws.client("apigateway", region)
    for a in listed(out, aws, SERVICE, region, TYPES, lambda: paginate(api, "get_rest_apis", "items")) or []:
        try:
            stages = api.get_stages(restApiId=a["id"]).get("item") or []
        except Exception as exc:  # noqa: BLE001 - this API's stages are unknown
            out.fail(SERVICE, region, aws.account, TYPES, exc)
            continue
        for s in stages:
            arn = f"arn:aws:apigateway:{region}::/restapis/{a['id']}/stages/{s['stageName']}"
            try:
                props = stage_props(arn, s)
            except Exception as exc:  # noqa: BLE001
                out.resources.append(
                    resource(
                        aws,
                        "aws.apigateway_stage",
                        arn,
                        f"{a.get('name')}/{s['stageName']}",
                        {"arn": arn},
                        region,
                        error=describe_failure(exc),
                    )
                )
                continue
            out.resources.append(
                resource(aws, "aws.apigateway_stage", arn, f"{a.get('name')}/{s['stageName']}", props, region)
            )
    return out
