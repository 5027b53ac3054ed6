"""Enamel's own checkov check (run by checkov's interpreter, passed with --external-checks-dir;
never imported by Enamel): a Terraform security group, security-group rule or VPC ingress rule
must not admit the internet to a sensitive port. The ports are the `sensitive_ports` of Enamel's
rule ec2-security-group-admin-ports, handed over in $ENAMEL_SENSITIVE_PORTS (JSON list: ports
and "a-b" ranges); without it every resource fails (fail closed). The internet is the same as the
rule's `cidr_is_public`: any range not inside RFC 1918, loopback, link-local, CGNAT or ULA space.
"""

from __future__ import annotations

import ipaddress
import json
import os

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PRIVATE = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
]


def _ports():
    raw = os.environ.get("ENAMEL_SENSITIVE_PORTS")
    if not raw:
        return None
    out = []
    for p in json.loads(raw):
        if isinstance(p, str) and "-" in p:
            a, b = p.split("-", 1)
            out.append((int(a), int(b)))
        else:
            out.append((int(p), int(p)))
    return out


def _one(v):
    while isinstance(v, list) and len(v) == 1:
        v = v[0]
    return v


def _many(v):
    v = v[0] if isinstance(v, list) and len(v) == 1 and isinstance(v[0], list) else v
    return [x for x in (v if isinstance(v, list) else [v]) if x not in (None, "")]


def _public(cidr) -> bool:
    try:
        net = ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        return True  # an expression checkov could not render: fail closed
    if net.prefixlen == 0:
        return True
    return not any(net.version == p.version and net.subnet_of(p) for p in PRIVATE)


def _int(v, default):
    v = _one(v)
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _violates(rule: dict, ports) -> bool:
    cidrs = _many(rule.get("cidr_blocks")) + _many(rule.get("ipv6_cidr_blocks"))
    cidrs += _many(rule.get("cidr_ipv4")) + _many(rule.get("cidr_ipv6"))
    if not any(_public(c) for c in cidrs):
        return False
    proto = str(_one(rule.get("protocol") if "protocol" in rule else rule.get("ip_protocol"))).lower()
    lo, hi = _int(rule.get("from_port"), 0), _int(rule.get("to_port"), 65535)
    if proto in ("-1", "all") or (lo, hi) == (0, 0):
        lo, hi = 0, 65535
    return any(a <= hi and lo <= b for a, b in ports)


class EnamelSecurityGroupSensitivePorts(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Enamel: no internet ingress to admin, file-sharing, DICOM, Orthanc or database ports",
            id="ENAMEL_AWS_1",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=(
                "aws_security_group",
                "aws_security_group_rule",
                "aws_vpc_security_group_ingress_rule",
            ),
        )

    def scan_resource_conf(self, conf):
        ports = _ports()
        if ports is None:
            return CheckResult.FAILED
        if "ingress" in conf:
            blocks = [b for block in conf["ingress"] for b in (block if isinstance(block, list) else [block])]
            for i, rule in enumerate(blocks):
                if isinstance(rule, dict) and _violates(rule, ports):
                    self.evaluated_keys = [
                        f"ingress/[{i}]/from_port",
                        f"ingress/[{i}]/to_port",
                        f"ingress/[{i}]/cidr_blocks",
                    ]
                    return CheckResult.FAILED
            return CheckResult.PASSED
        if "type" in conf and _one(conf["type"]) != "ingress":
            return CheckResult.PASSED  # an egress rule
        self.evaluated_keys = ["from_port", "to_port", "cidr_blocks", "cidr_ipv4", "cidr_ipv6"]
        return CheckResult.FAILED if _violates(conf, ports) else CheckResult.PASSED


check = EnamelSecurityGroupSensitivePorts()
