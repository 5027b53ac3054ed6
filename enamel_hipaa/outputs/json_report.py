"""The JSON report: the contract (rules/schema/report.schema.json)."""

import json


def render(report: dict, ctx) -> str:
    return json.dumps(report, indent=2, default=str, sort_keys=False) + "\n"
