"""Enamel: a HIPAA auditor for dental X-ray archives."""

__version__ = "0.1.0"
