"""Enamel: a HIPAA auditor for dental X-ray archives."""

__version__ = "0.2.0"
