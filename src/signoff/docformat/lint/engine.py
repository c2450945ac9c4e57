"""`lint`: run every rule, score completeness, apply the configuration.

Completeness score: the template sections that expect content of their own (those with
a non-empty template body, or with no subsections) are *scored*, except optional ones that
are absent (an optional section is no gap); one
is *complete* when a document section matches it and that section has no
`empty-section`, `guidance-left`, `placeholder` or `empty-table` issue. The score is
`100 * complete // scored` (100 when nothing is scored), so it only reaches 100 when every
scored section is complete. It does not depend on the configuration: turning a rule off
hides its findings but does not change the score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from signoff.docformat.lint import registers, structure
from signoff.docformat.lint.context import Issue, LintContext
from signoff.docformat.lint.model import Finding, LintConfig, LintReport
from signoff.docformat.model import ParsedDocument
from signoff.docformat.spec import Template

Rule = Callable[[LintContext], Iterable[Issue]]

RULES: Mapping[str, Rule] = {
    "missing-section": structure.missing_section,
    "empty-section": structure.empty_section,
    "guidance-left": structure.guidance_left,
    "placeholder": structure.placeholder,
    "empty-table": structure.empty_table,
    "requirement-no-section": registers.requirement_no_section,
    "dangling-section-ref": registers.dangling_section_ref,
    "decision-missing-field": registers.decision_missing_field,
    "risk-no-mitigation": registers.risk_no_mitigation,
    "question-no-owner": registers.question_no_owner,
    "question-no-date": registers.question_no_date,
    "question-overdue": registers.question_overdue,
    "perf-goal-no-number": registers.perf_goal_no_number,
}
_INCOMPLETE = ("empty-section", "guidance-left", "placeholder", "empty-table")


def lint(
    doc: ParsedDocument,
    template: Template,
    *,
    today: date,
    config: LintConfig | None = None,
    approval_expired_on: date | None = None,
) -> LintReport:
    """Check `doc` against `template`; `today` decides which questions are overdue.

    `approval_expired_on`: the day the document's approval passed the organization's
    maximum age (the server knows; the text does not), for `approval-expired`."""
    config = config or LintConfig()
    ctx = LintContext(doc, template, today)
    issues = {rule: list(check(ctx)) for rule, check in RULES.items()}
    if approval_expired_on is not None:
        issues["approval-expired"] = [
            Issue(
                None,
                f"The approval expired on {approval_expired_on.isoformat()} under the "
                "organization's policy: the document needs another review.",
            )
        ]
    findings = [
        Finding(rule, config.severity(rule), _number(issue), issue.message, issue.line)
        for rule, found in issues.items()
        if config.runs(rule)
        for issue in found
    ]
    findings.sort(key=lambda f: (f.line is not None, f.line or 0))
    score, scored, complete = _score(ctx, issues)
    return LintReport(tuple(findings), score, scored, complete)


def completeness(doc: ParsedDocument, template: Template, *, today: date) -> int:
    """The completeness score `lint` gives (0-100), from the rules that decide it only: a
    list of documents shows it without linting each one in full."""
    ctx = LintContext(doc, template, today)
    score, _, _ = _score(ctx, {rule: list(RULES[rule](ctx)) for rule in _INCOMPLETE})
    return score


def _score(ctx: LintContext, issues: Mapping[str, list[Issue]]) -> tuple[int, int, int]:
    scored, complete = _completeness(ctx, issues)
    return (100 * complete // scored if scored else 100), scored, complete


def _number(issue: Issue) -> str | None:
    """The section's number; in an unnumbered template, the heading path it matched."""
    if issue.section is None:
        return None
    matched = issue.section.template_number
    if issue.section.number is None and matched is not None and matched.startswith("/"):
        return matched
    return issue.section.number


def _completeness(ctx: LintContext, issues: Mapping[str, list[Issue]]) -> tuple[int, int]:
    flawed = {
        issue.section.template_number
        for rule in _INCOMPLETE
        for issue in issues[rule]
        if issue.section is not None
    }
    matched = {v.section.template_number for v in ctx.views} - {None}
    scored = [
        spec.key
        for spec in ctx.template.walk()
        if (spec.body or not spec.children) and (spec.key in matched or not spec.optional)
    ]
    complete = [n for n in scored if n in matched and n not in flawed]
    return len(scored), len(complete)
