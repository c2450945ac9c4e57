"""Tests for the OpenAPI and JUnit XML parsers."""
