"""lint: one failing and one passing example per rule, configuration and the score."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from signoff.docformat import (
    RULE_IDS,
    Finding,
    LintConfig,
    LintReport,
    ParsedDocument,
    Severity,
    Template,
    lint,
    parse_document,
    parse_template,
)

from .conftest import filled_markdown

TODAY = date(2026, 11, 26)


def _edit(*replacements: tuple[str, str]) -> str:
    """The filled fixture with text replaced (each old text must be present)."""
    text = filled_markdown()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _report(markdown: str, template: Template, today: date = TODAY) -> LintReport:
    return lint(parse_document(markdown, template), template, today=today)


def _found(markdown: str, template: Template, rule: str, today: date = TODAY) -> list[Finding]:
    return [f for f in _report(markdown, template, today).findings if f.rule == rule]


def _line_of(markdown: str, finding: Finding) -> str:
    assert finding.line is not None
    return markdown.split("\n")[finding.line - 1]


def test_filled_document_is_clean_but_for_the_overdue_question(template: Template) -> None:
    report = _report(filled_markdown(), template)
    assert [f.rule for f in report.findings] == ["question-overdue"]
    assert (report.score, report.sections_scored, report.sections_complete) == (100, 66, 66)


def test_untouched_template_scores_zero(seed_text: str, template: Template) -> None:
    report = _report(seed_text, template)
    assert report.score == 0
    assert {f.rule for f in report.findings} >= {
        "guidance-left",
        "placeholder",
        "empty-table",
        "perf-goal-no-number",
    }


def test_missing_section_reports_the_top_most(template: Template) -> None:
    doc = parse_document(filled_markdown(), template)
    kept = tuple(s for s in doc.sections if s.number not in ("3.3",) and s.number != "5")
    kept = tuple(s for s in kept if not (s.number or "").startswith("5."))
    report = lint(dataclasses.replace(doc, sections=kept), template, today=TODAY)
    missing = [f.message for f in report.findings if f.rule == "missing-section"]
    assert missing == [
        "section 3.3 Key Architectural Decisions of the template is missing",
        "section 5. Component Design of the template is missing",
    ]
    assert report.score == 100 * (66 - 6) // 66


def test_empty_section(template: Template) -> None:
    text = _edit(
        (
            "### 2.4 Downstream Services\n\nThe Notification",
            "### 2.4 Downstream Services\n\n<!-- todo -->\n\n### 2.5 Extra\n\n"
            "## 2.9 Also Extra\n\nok\n\nThe Notification",
        )
    )
    found = _found(text, template, "empty-section")
    assert [(f.section, f.severity) for f in found] == [
        ("2.4", Severity.ERROR),
        ("2.5", Severity.ERROR),
    ]
    assert _line_of(text, found[0]) == "### 2.4 Downstream Services"
    assert _found(filled_markdown(), template, "empty-section") == []


def test_guidance_left_verbatim_or_nearly(template: Template) -> None:
    verbatim = (
        "Describe the high-level architecture of this server. Explain the architectural "
        "pattern used (layered, hexagonal, microservice, etc.) and why it was selected."
    )
    nearly = "Describe the high level architecture of the server."
    text = _edit(
        ("### 3.1 Architectural Overview\n\n", f"### 3.1 Architectural Overview\n\n{verbatim}\n\n"),
        ("### 6.3 Database Design\n\n", f"### 6.3 Database Design\n\nWe {nearly.lower()}\n\n"),
    )
    found = _found(text, template, "guidance-left")
    assert [f.section for f in found] == ["3.1"]
    assert "2 template guidance sentence(s)" in found[0].message
    assert _line_of(text, found[0]) == verbatim
    near = _edit(
        ("### 3.1 Architectural Overview\n\n", f"### 3.1 Architectural Overview\n\n{nearly}\n\n")
    )
    assert [f.section for f in _found(near, template, "guidance-left")] == ["3.1"]
    assert _found(filled_markdown(), template, "guidance-left") == []


@pytest.mark.parametrize(
    ("old", "new", "placeholder"),
    [
        (
            "### 5.2 Tracking Ingest Service",
            "### 5.2 [Component/Layer Name]",
            "[Component/Layer Name]",
        ),
        ("| TRK-012 |", "| REQ-XXX |", "REQ-XXX"),
        ("§6.5, §14.2 |", "§X.X |", "§X.X"),
        (
            "reviewed in the architecture forum on 2026-09-30",
            "reviewed on YYYY-MM-DD",
            "YYYY-MM-DD",
        ),
        (
            "#### Decision 3: Publish events through a transactional outbox",
            "#### Decision 3: [Title]",
            "[Title]",
        ),
        (
            "see Appendix A.1 for the context",
            "see [Upstream Service Name] for the context",
            "[Upstream Service Name]",
        ),
        ("| Kafka | Queue |", "| Kafka | Database/Service/Queue |", "Database/Service/Queue"),
    ],
)
def test_placeholder(old: str, new: str, placeholder: str, template: Template) -> None:
    text = _edit((old, new))
    found = _found(text, template, "placeholder")
    assert len(found) == 1
    assert placeholder in found[0].message
    assert placeholder in _line_of(text, found[0])


def test_placeholder_in_code_or_link_text_is_fine(template: Template) -> None:
    text = _edit(
        (
            "Timestamps are RFC 3339 UTC.",
            "Dates look like `YYYY-MM-DD`; ids like `REQ-XXX`; see [Title](https://x.example).",
        ),
    )
    assert _found(text, template, "placeholder") == []


def test_placeholder_in_document_control(seed_text: str, template: Template) -> None:
    found = _found(seed_text, template, "placeholder")
    control = [f.message for f in found if f.section is None]
    assert control == [
        "placeholder '[Backend Server Name]' left in place (Document Control title)",
        "Document Control status is still the placeholder 'Draft / In Review / Approved'",
        "placeholder 'YYYY-MM-DD' left in place (Document Control last updated)",
    ]


def test_empty_table(template: Template) -> None:
    text = _edit(
        (
            "| Term | Definition |\n|------|------------|\n| Scan |",
            "| Term | Definition |\n|------|------------|\n| | |\n\n"
            "| Term | Definition |\n|------|------------|\n| Scan |",
        ),
        (
            "|------------|--------|------------------|\n",
            "|------------|--------|------------------|\n\n",
        ),
    )
    text = text.replace("\n| Must run on the shared", "\nIntro.\n\n| Must run on the shared", 1)
    found = _found(text, template, "empty-table")
    assert [f.section for f in found] == ["15.1", "17"]
    assert _line_of(text, found[0]).startswith("| Constraint |")
    prefilled = _edit(
        (
            "| Response time (p50) | < 40 ms | Load balancer latency histogram, 5-minute windows |",
            "| Response time (p50) | | |",
        ),
        (
            "| Response time (p99) | < 250 ms | Same histogram, reads only |",
            "| Response time (p99) | | |",
        ),
        (
            "| Throughput | 3,000 req/s | Peak load test with recorded production mix |",
            "| Throughput | | |",
        ),
        ("| Error rate | < 0.1% | 5xx responses over all responses, daily |", "| Error rate | | |"),
        ("| Scan visibility | 60 s | Time from scan receipt to visible status, sampled |\n", ""),
    )
    assert [f.section for f in _found(prefilled, template, "empty-table")] == ["10.1"]
    assert _found(filled_markdown(), template, "empty-table") == []


@pytest.mark.parametrize(
    ("design", "problem"),
    [
        ("", "has no design section"),
        ("§X.X", "has no design section"),
        ("§42.1, §43", "points only at missing sections"),
        ("Somewhere else", "names no section of this document"),
    ],
)
def test_requirement_no_section(design: str, problem: str, template: Template) -> None:
    text = _edit(
        (
            "| TRK-005 | Status changes are published as events for downstream services | §9.2 |",
            f"| TRK-005 | Status changes are published as events | {design} |",
        )
    )
    found = _found(text, template, "requirement-no-section")
    assert [f.message for f in found] == [f"requirement TRK-005 {problem}"]
    assert _line_of(text, found[0]).startswith("| TRK-005 |")


def test_requirement_with_a_section_title_or_number_passes(template: Template) -> None:
    text = _edit(
        ("| §9.2 |", "| Event Publishing |"),
        ("| §4.3, §6.3 |", "| 4.3 and 99.1 |"),
    )
    assert _found(text, template, "requirement-no-section") == []


def test_dangling_section_ref(template: Template) -> None:
    text = _edit(("see §9.2)", "see §9.7 and §A.4 and `§8.8`)"))
    found = _found(text, template, "dangling-section-ref")
    assert [f.message for f in found] == [
        "§9.7 refers to a section that does not exist",
        "§A.4 refers to a section that does not exist",
    ]
    assert "§9.7" in _line_of(text, found[0])
    assert _found(filled_markdown(), template, "dangling-section-ref") == []


def test_decision_missing_field(template: Template) -> None:
    text = _edit(
        (
            "- **Rationale:** The team runs PostgreSQL already, we need transactions across "
            "scan and\n  projection, and dropping a monthly partition implements retention in "
            "one statement.\n",
            "",
        ),
        (
            "- **Consequences:** Consumers see at-least-once delivery and must de-duplicate "
            "by event\n  id; the relay adds up to 2 seconds of latency.",
            "- **Consequences:** TBD",
        ),
    )
    found = _found(text, template, "decision-missing-field")
    assert [f.message for f in found] == [
        "decision 'Decision 2: Use PostgreSQL with monthly partitions' lacks Rationale",
        "decision 'Decision 3: Publish events through a transactional outbox' lacks Consequences",
    ]
    assert _line_of(text, found[0]) == "#### Decision 2: Use PostgreSQL with monthly partitions"


def test_decision_field_given_as_a_nested_list_passes(template: Template) -> None:
    text = _edit(
        (
            "- **Options Considered:** PostgreSQL with declarative partitioning; DynamoDB; "
            "Cassandra.",
            "- **Options Considered:**\n  - PostgreSQL with declarative partitioning\n  - DynamoDB",
        ),
    )
    assert _found(text, template, "decision-missing-field") == []
    assert _found(filled_markdown(), template, "decision-missing-field") == []


def test_risk_no_mitigation(template: Template) -> None:
    text = _edit(
        (
            "| Medium | Carrier pattern validation, rate limits, opaque 404s |",
            "| Medium | TBD |",
        ),
    )
    found = _found(text, template, "risk-no-mitigation")
    assert [f.message for f in found] == ["risk 'Tracking number enumeration' has no mitigation"]
    assert _line_of(text, found[0]).startswith("| Tracking number enumeration")
    assert _found(filled_markdown(), template, "risk-no-mitigation") == []


QUESTION = "| Which carriers will provide delivery photos? | Lucas Brandt | 2027-01-15 | Open |"


def test_question_no_owner(template: Template) -> None:
    text = _edit(
        (QUESTION, "| Which carriers will provide delivery photos? |  | 2027-01-15 | Open |")
    )
    found = _found(text, template, "question-no-owner")
    assert [f.section for f in found] == ["16.2"]
    assert "delivery photos" in _line_of(text, found[0])
    resolved = _edit(("| Priya Raman | 2026-10-01 | Resolved |", "| | 2026-10-01 | Resolved |"))
    assert _found(resolved, template, "question-no-owner") == []


@pytest.mark.parametrize("target", ["", "soon", "2027-02-30"])
def test_question_no_date(target: str, template: Template) -> None:
    text = _edit(
        (
            QUESTION,
            f"| Which carriers will provide delivery photos? | Lucas Brandt | {target} | Open |",
        )
    )
    found = _found(text, template, "question-no-date")
    assert [f.message for f in found] == [
        "question 'Which carriers will provide delivery photos?' has no target date (YYYY-MM-DD)"
    ]
    assert _found(filled_markdown(), template, "question-no-date") == []


def test_question_overdue(template: Template) -> None:
    text = filled_markdown()
    (overdue,) = _found(text, template, "question-overdue")
    assert (
        overdue.message
        == "question 'Do merchants need webhooks directly from us?' was due 2026-11-15 "
        "and is not resolved"
    )
    assert (overdue.section, overdue.severity) == ("16.2", Severity.WARNING)
    assert "Do merchants need webhooks" in _line_of(text, overdue)
    assert _found(text, template, "question-overdue", today=date(2026, 11, 15)) == []
    struck = _edit(
        (
            "| Do merchants need webhooks directly from us? |",
            "| ~~Do merchants need webhooks directly from us?~~ |",
        )
    )
    assert _found(struck, template, "question-overdue") == []


@pytest.mark.parametrize("target", ["fast", "200", ""])
def test_perf_goal_no_number(target: str, template: Template) -> None:
    text = _edit(("| Throughput | 3,000 req/s |", f"| Throughput | {target} |"))
    found = _found(text, template, "perf-goal-no-number")
    assert [f.message for f in found] == [
        "performance goal 'Throughput' has no numeric target with a unit"
    ]
    assert _line_of(text, found[0]).startswith("| Throughput |")


@pytest.mark.parametrize("target", ["< 200 ms", "99.9%", "1,500 req/s", "p99 ≤ 300ms"])
def test_perf_goal_with_number_and_unit_passes(target: str, template: Template) -> None:
    text = _edit(("| Throughput | 3,000 req/s |", f"| Throughput | {target} |"))
    assert _found(text, template, "perf-goal-no-number") == []


def test_approval_expired_comes_from_the_server(template: Template) -> None:
    doc = parse_document(filled_markdown(), template)
    assert [f.rule for f in lint(doc, template, today=TODAY).findings] == ["question-overdue"]
    report = lint(doc, template, today=TODAY, approval_expired_on=date(2026, 11, 20))
    (expired,) = [f for f in report.findings if f.rule == "approval-expired"]
    assert expired.section is None
    assert "2026-11-20" in expired.message
    assert expired.severity is Severity.WARNING
    quiet = LintConfig(disabled=frozenset({"approval-expired"}))
    assert "approval-expired" not in {
        f.rule
        for f in lint(
            doc, template, today=TODAY, config=quiet, approval_expired_on=date(2026, 11, 20)
        ).findings
    }


def test_every_rule_has_a_test_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{rule}"' in source for rule in RULE_IDS)


def test_config_selects_rules_and_severities(seed_text: str, template: Template) -> None:
    doc = parse_document(seed_text, template)
    default = lint(doc, template, today=TODAY)
    config = LintConfig(
        disabled=frozenset({"guidance-left"}),
        severities={"empty-table": Severity.ERROR, "placeholder": Severity.INFO},
    )
    custom = lint(doc, template, today=TODAY, config=config)
    assert not any(f.rule == "guidance-left" for f in custom.findings)
    assert {f.severity for f in custom.findings if f.rule == "empty-table"} == {Severity.ERROR}
    assert {f.severity for f in custom.findings if f.rule == "placeholder"} == {Severity.INFO}
    assert custom.score == default.score
    only = lint(doc, template, today=TODAY, config=LintConfig(enabled=frozenset({"empty-table"})))
    assert {f.rule for f in only.findings} == {"empty-table"}


def test_blocking_findings(template: Template) -> None:
    report = _report(filled_markdown(), template)
    assert LintConfig().blocking(report) == []
    strict = LintConfig(blocking_severities=frozenset({Severity.ERROR, Severity.WARNING}))
    assert [f.rule for f in strict.blocking(report)] == ["question-overdue"]


def test_unknown_rule_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown lint rule ids"):
        LintConfig(disabled=frozenset({"guidance-lefft"}))


def test_lint_matches_a_document_parsed_without_the_template(template: Template) -> None:
    doc: ParsedDocument = parse_document(filled_markdown())
    assert [f.rule for f in lint(doc, template, today=TODAY).findings] == ["question-overdue"]


def test_task_boxes_and_labels_from_the_template_are_content(seed_text: str) -> None:
    custom = parse_template(
        seed_text.replace(
            "### 1.2 Scope\n",
            "Checklist [Optional]:\n\n- [ ] Security review\n- [x] Owner named\n\n"
            "Owner: [Owner Name]\n\n### 1.2 Scope\n",
        )
    )
    text = _edit(
        (
            "### 1.2 Scope\n",
            "Checklist [Optional]:\n\n- [ ] Security review\n- [x] Owner named\n\n"
            "Owner: [Owner Name]\n\n### 1.2 Scope\n",
        )
    )
    found = [f.message for f in _found(text, custom, "placeholder")]
    assert found == ["placeholder '[Owner Name]' left in place"]
