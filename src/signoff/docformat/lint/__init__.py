"""Lint: findings and a completeness score for a document against its template."""

from signoff.docformat.lint.engine import RULES, completeness, lint
from signoff.docformat.lint.model import (
    DEFAULT_SEVERITIES,
    RULE_IDS,
    Finding,
    LintConfig,
    LintReport,
    Severity,
)

__all__ = [
    "DEFAULT_SEVERITIES",
    "RULES",
    "RULE_IDS",
    "Finding",
    "LintConfig",
    "LintReport",
    "Severity",
    "completeness",
    "lint",
]
