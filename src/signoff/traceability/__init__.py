"""Traceability: requirements linked to sections, API operations and tests."""
