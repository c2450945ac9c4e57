"""Tests for the traceability package."""
