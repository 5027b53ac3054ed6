"""WAFv2 web ACLs (aws.wafv2_web_acl): logging. ListWebACLs (regional scope in every scanned
region; CloudFront scope once, from us-east-1, with the first scanned region's task), then one
GetLoggingConfiguration per web ACL (WAFNonexistentItemException = no logging)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, read, resource

SERVICE = "wafv2"
GLOBAL = False
TYPES = ("aws.wafv2_web_acl",)
ACTIONS = ("wafv2:ListWebACLs", "wafv2:GetLoggingConfiguration")
CONDITIONAL = {"wafv2:GetLoggingConfiguration": "only when a web ACL exists"}
NO_LOGGING = {"WAFNonexistentItemException": None}


def collect(aws, region, regions) -> Out:
    out = Out()
    scopes = [("REGIONAL", region)]
    if regions and region == regions[0]:
        scopes.append(("CLOUDFRONT", "us-east-1"))
    for scope, where in scopes:
        waf = aws.client("wafv2", where)
        for acl in listed(out, aws, SERVICE, region, TYPES, lambda waf=waf, scope=scope: _acls(waf, scope)) or []:
            arn = acl["ARN"]
            conf = read(
                lambda arn=arn, waf=waf: waf.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"],
                absent=NO_LOGGING,
            )
            if isinstance(conf, dict) and "$error" in conf:
                logging = conf
            else:
                logging = bool(conf and conf.get("LogDestinationConfigs"))
            props = {"arn": arn, "scope": scope, "logging": logging}
            out.resources.append(
                resource(
                    aws,
                    "aws.wafv2_web_acl",
                    arn,
                    acl.get("Name") or arn,
                    props,
                    None if scope == "CLOUDFRONT" else region,
                )
            )
    return out


def _acls(waf, scope):
    marker = None
    while True:
        page = waf.list_web_acls(Scope=scope, **({"NextMarker": marker} if marker else {}))
        yield from page.get("WebACLs") or []
        marker = page.get("NextMarker")
        if not marker or not page.get("WebACLs"):
            return
