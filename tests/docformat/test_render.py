"""render_markdown layout, heading forms, stable-id comments and check_section_body."""

from __future__ import annotations

import pytest

from signoff.docformat import (
    DocumentControl,
    InvalidSectionBody,
    ParsedDocument,
    Section,
    check_section_body,
    parse_document,
    render_markdown,
)


def test_canonical_layout() -> None:
    doc = ParsedDocument(
        control=DocumentControl(
            title="Parcel Tracking API",
            version="1.10",
            status="Draft",
            authors=("Ana Lee", "Bo Chen"),
            extra={"team": "logistics"},
        ),
        sections=(
            Section("3", "Architectural Design", 2),
            Section(
                "3.3",
                "Key Architectural Decisions",
                3,
                "#### Decision 1: X",
                id="s-33",
                template_number="3.3",
            ),
            Section("5.2.1", "Responsibility", 4, "Owns ingest."),
            Section("A", "Supporting Diagrams", 2, id="s-a"),
            Section("A.1", "Flow", 3, "```mermaid\nflowchart LR\n```"),
            Section(None, "Notes", 2, "Free text."),
        ),
        preamble="Read this first.",
    )
    assert render_markdown(doc) == (
        "---\n"
        "title: Parcel Tracking API\n"
        "version: '1.10'\n"
        "status: Draft\n"
        "authors:\n- Ana Lee\n- Bo Chen\n"
        "team: logistics\n"
        "---\n\n"
        "# Design Document: Parcel Tracking API\n\n"
        "## Document Control\n\n"
        "| Field | Value |\n| --- | --- |\n| Version | 1.10 |\n| Status | Draft |\n"
        "| Last Updated | |\n| Author(s) | Ana Lee, Bo Chen |\n| Reviewers | |\n\n"
        "Read this first.\n\n"
        "---\n\n## 3. Architectural Design\n\n"
        "### 3.3 Key Architectural Decisions\n"
        "<!-- signoff:section id=s-33 template=3.3 -->\n\n#### Decision 1: X\n\n"
        "#### 5.2.1 Responsibility\n\nOwns ingest.\n\n"
        "---\n\n## Appendix A: Supporting Diagrams\n<!-- signoff:section id=s-a -->\n\n"
        "### A.1 Flow\n\n```mermaid\nflowchart LR\n```\n\n"
        "---\n\n## Notes\n\nFree text.\n"
    )
    assert parse_document(render_markdown(doc)) == doc


def test_empty_document_renders_and_reads_back() -> None:
    doc = ParsedDocument()
    assert render_markdown(doc).startswith("# Design Document:\n\n## Document Control\n")
    assert parse_document(render_markdown(doc)) == doc


def test_renumbered_and_renamed_section_keeps_identity(template: object) -> None:
    from signoff.docformat import Template

    assert isinstance(template, Template)
    original = parse_document(
        "## 3. Architectural Design\n\n### 3.3 Key Architectural Decisions\n\nText\n", template
    )
    decisions = original.sections[1]
    moved = Section("3.5", "Choices", 3, decisions.body, id="0193b2c4-7d1e", template_number="3.3")
    reread = parse_document(render_markdown(ParsedDocument(sections=(moved,))), template)
    assert reread.sections == (moved,)


def test_check_section_body_trims_and_accepts() -> None:
    assert check_section_body("\r\n\r\nSome Â§1 text\r\n\r\n#### Decision 1: X\n\n") == (
        "Some §1 text\n\n#### Decision 1: X"
    )
    assert check_section_body("Text\n\n---", level=3) == "Text\n\n---"


@pytest.mark.parametrize(
    "body",
    [
        "Text\n\n## 4. Sneaky heading",
        "Text\n\n### Unnumbered subsection",
        "Text\n\n#### 5.2.1 Numbered",
        "```\nunclosed fence",
        "<!-- signoff:section id=forged -->\n\nText",
        "Setext\n---",
    ],
)
def test_check_section_body_refuses_bodies_that_break_structure(body: str) -> None:
    with pytest.raises(InvalidSectionBody) as caught:
        check_section_body(body)
    assert caught.value.code == "invalid_section_body"
