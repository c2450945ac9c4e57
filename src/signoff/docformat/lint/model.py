"""Lint results and configuration: severities, findings, the report, `LintConfig`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: stable rule id, severity, section number (None: document level)."""

    rule: str
    severity: Severity
    section: str | None
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LintReport:
    """Findings in document order and the completeness score (0–100, see `lint`)."""

    findings: tuple[Finding, ...]
    score: int
    sections_scored: int
    sections_complete: int


# Rule id → default severity. The ids are a public contract (org configs name them).
DEFAULT_SEVERITIES: Mapping[str, Severity] = {
    "missing-section": Severity.ERROR,
    "empty-section": Severity.ERROR,
    "guidance-left": Severity.WARNING,
    "placeholder": Severity.ERROR,
    "empty-table": Severity.WARNING,
    "requirement-no-section": Severity.ERROR,
    "dangling-section-ref": Severity.ERROR,
    "decision-missing-field": Severity.ERROR,
    "risk-no-mitigation": Severity.WARNING,
    "question-no-owner": Severity.WARNING,
    "question-no-date": Severity.WARNING,
    "question-overdue": Severity.WARNING,
    "perf-goal-no-number": Severity.WARNING,
    "approval-expired": Severity.WARNING,
}
RULE_IDS = frozenset(DEFAULT_SEVERITIES)


@dataclass(frozen=True)
class LintConfig:
    """Which rules run, their severities, and which severities block submission.

    `enabled=None` runs every rule; `disabled` removes rules from that set; `severities`
    overrides defaults per rule id. Unknown rule ids are refused, so that a typo in an
    organization's policy does not silently turn a rule off.
    """

    enabled: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict, hash=False)
    blocking_severities: frozenset[Severity] = frozenset({Severity.ERROR})

    def __post_init__(self) -> None:
        named = set(self.enabled or ()) | set(self.disabled) | set(self.severities)
        unknown = named - RULE_IDS
        if unknown:
            raise ValueError(f"unknown lint rule ids: {sorted(unknown)}")

    def runs(self, rule: str) -> bool:
        return (self.enabled is None or rule in self.enabled) and rule not in self.disabled

    def severity(self, rule: str) -> Severity:
        return self.severities.get(rule, DEFAULT_SEVERITIES[rule])

    def blocking(self, report: LintReport) -> list[Finding]:
        """The findings that stop a document from being submitted under this config."""
        return [f for f in report.findings if f.severity in self.blocking_severities]
