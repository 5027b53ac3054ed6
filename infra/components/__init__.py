"""One ComponentResource per module; each is secure with no arguments and weakens only
through explicit, named arguments of its <Name>Args. key_policy.py is plain data (PhiKey's
policy), importable without Pulumi."""

from .account_baseline import AccountBaseline, AccountBaselineArgs
from .audit_trail import AuditTrail, AuditTrailArgs
from .imaging_archive import ImagingArchive, ImagingArchiveArgs
from .phi_key import PhiKey, PhiKeyArgs
from .private_network import PrivateNetwork, PrivateNetworkArgs

__all__ = [
    "AccountBaseline",
    "AccountBaselineArgs",
    "AuditTrail",
    "AuditTrailArgs",
    "ImagingArchive",
    "ImagingArchiveArgs",
    "PhiKey",
    "PhiKeyArgs",
    "PrivateNetwork",
    "PrivateNetworkArgs",
]
