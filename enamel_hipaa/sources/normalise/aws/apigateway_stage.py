"""aws.apigateway_stage from API Gateway's GetStages shape (REST APIs)."""

from __future__ import annotations


def stage_props(arn: str, stage: dict) -> dict:
    """Execution logging is on when the stage-wide method setting (`*/*`) logs ERROR or INFO."""
    level = ((stage.get("methodSettings") or {}).get("*/*") or {}).get("loggingLevel") or "OFF"
    return {
        "arn": arn,
        "execution_logging": level.upper() in ("ERROR", "INFO"),
        "logging_level": level.upper(),
        "access_logging": bool((stage.get("accessLogSettings") or {}).get("destinationArn")),
        "client_certificate": bool(stage.get("clientCertificateId")),
        "web_acl": stage.get("webAclArn"),
        "tags": dict(stage.get("tags") or {}),
    }
