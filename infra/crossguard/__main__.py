"""`pulumi preview --policy-pack infra/crossguard`: Enamel's rules as a CrossGuard pack."""

from pulumi_policy import EnforcementLevel, PolicyPack

from validators import policies

PolicyPack(name="enamel-hipaa", enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
