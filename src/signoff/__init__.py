"""Signoff: design documents on a template, traced and signed off."""

__version__ = "0.1.0"
