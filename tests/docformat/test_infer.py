"""`infer_template`: a template from a document's outline, then documents on it (ADR 0022)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from signoff.docformat import DocFormatError, lint, parse_document, parse_template
from signoff.docformat.infer import infer_template

from .strategies import WORD, title, user_document
from .test_unnumbered import PROPOSAL_DOC, RFC_DOC

TODAY = date(2026, 12, 3)

SERVICES_DOC = """\
# Design: Billing

## Overview

Billing charges customers.

## Services

### Invoicer

| Endpoint | Purpose |
|----------|---------|
| POST /invoices | create |

### Ledger

| Endpoint | Purpose |
|----------|---------|
| GET /entries | list |

## Decisions

#### Decision 1: Use PostgreSQL

- **Context:** we need transactions.
- **Decision:** PostgreSQL.

#### Decision 2: Use NATS

- **Context:** we publish events.
- **Decision:** NATS JetStream.
"""

OTHER_SERVICES_DOC = """\
# Design: Shipping

## Overview

Shipping moves parcels.

## Services

### Tracker

| Endpoint | Purpose |
|----------|---------|
| GET /parcels | track |

### Router

| Endpoint | Purpose |
|----------|---------|
| POST /routes | plan |

### Notifier

| Endpoint | Purpose |
|----------|---------|
| POST /notices | tell |

## Decisions

#### Decision 1: Use Redis

- **Context:** routes are hot.
- **Decision:** Redis.
"""


def test_a_proposal_document_gives_its_outline_and_lints_clean_against_it() -> None:
    inferred = infer_template(PROPOSAL_DOC)
    assert inferred.startswith("# KEP-NN: [Title]\n\n- Status:\n- Authors:\n\n## Summary")
    template = parse_template(inferred)
    assert [s.key for s in template.walk()][:3] == ["/summary", "/motivation", "/motivation/goals"]
    risks = template.get("/proposal/risks-and-mitigations")
    assert risks is not None
    assert [t.columns for t in risks.tables] == [("Risk", "Mitigation")]
    # Prose is content, not guidance: none of it is copied.
    assert "caching" not in inferred
    report = lint(parse_document(PROPOSAL_DOC, template), template, today=TODAY)
    assert [f.rule for f in report.findings] == []


def test_an_rfc_style_document_keeps_hash_sections() -> None:
    template = parse_template(infer_template(RFC_DOC))
    assert template.h1_sections
    assert [s.key for s in template.sections][:2] == ["/summary", "/motivation"]
    doc = parse_document(RFC_DOC, template, title="Widgets")
    assert all(s.template_number is not None for s in doc.sections)


def test_repeating_sections_and_blocks_are_found_and_other_documents_fit() -> None:
    inferred = infer_template(SERVICES_DOC)
    template = parse_template(inferred)
    service = template.get("/services/service-name")
    assert service is not None
    assert service.repeats
    assert [t.columns for t in service.tables] == [("Endpoint", "Purpose")]
    decisions = template.get("/decisions")
    assert decisions is not None
    assert [(b.heading, b.fields) for b in decisions.blocks] == [
        ("Decision 1: [Title]", ("Context", "Decision"))
    ]
    other = parse_document(OTHER_SERVICES_DOC, template)
    assert [s.template_number for s in other.sections] == [
        "/overview",
        "/services",
        "/services/service-name",
        "/services/service-name",
        "/services/service-name",
        "/decisions",
    ]
    assert lint(other, template, today=TODAY).findings == ()


def test_a_repeating_section_keeps_its_subsections() -> None:
    text = (
        "# D\n\n## Endpoints\n\n### GET /a\n\nx\n\n#### Request\n\n| Field | Type |\n|---|---|\n"
        "| id | int |\n\n### GET /b\n\ny\n\n#### Request\n\n| Field | Type |\n|---|---|\n"
        "| n | str |\n\n## Risks\n\nnone\n"
    )
    template = parse_template(infer_template(text))
    endpoint = template.get("/endpoints/endpoint-name")
    assert endpoint is not None
    assert endpoint.repeats
    assert [b.heading for b in endpoint.blocks] == ["Request"]
    assert [s.key for s in template.sections] == ["/endpoints", "/risks"]


def test_a_numbered_document_keeps_its_numbers(filled_text: str) -> None:
    template = parse_template(infer_template(filled_text))
    assert [s.key for s in template.walk()][:4] == ["1", "1.1", "1.2", "1.3"]
    assert template.document_control.fields[0] == ("Version", "")
    three_three = template.get("3.3")
    assert three_three is not None
    assert three_three.blocks[0].heading == "Decision 1: [Title]"


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = [f"# {draw(title())}"]
    for index in range(draw(st.integers(1, 8))):
        level = draw(st.integers(2, 3)) if index else 2
        parts.append(f"{'#' * level} {draw(title())}")
        body = draw(st.sampled_from(["text", "table", "empty"]))
        if body == "text":
            parts.append(f"Some words {draw(WORD)} here.")
        elif body == "table":
            columns = draw(st.lists(WORD, min_size=1, max_size=3, unique_by=str.casefold))
            parts.append("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
            parts[-1] += "\n| " + " | ".join("x" for _ in columns) + " |"
    return "\n\n".join(parts) + "\n"


@settings(max_examples=60)
@given(documents())
def test_every_document_fits_the_template_inferred_from_it(text: str) -> None:
    template = parse_template(infer_template(text))
    doc = parse_document(text, template)
    assert all(s.template_number is not None for s in doc.sections)
    findings = lint(doc, template, today=TODAY).findings
    assert not [f for f in findings if f.rule == "missing-section"]


@settings(max_examples=80)
@given(user_document())
def test_any_document_gives_a_template_that_parses(text: str) -> None:
    try:
        inferred = infer_template(text)
    except DocFormatError:
        return  # refused input is refused the same way as by parse_document
    template = parse_template(inferred)
    # Every section heading of the document is a section of its template, except that a
    # run of sections of one shape is one repeating section.
    specs, sections = list(template.walk()), parse_document(text).sections
    if any(spec.repeats for spec in specs):
        assert len(specs) < len(sections)
    else:
        assert len(specs) == len(sections)
