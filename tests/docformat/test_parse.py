"""parse_document: front matter, Document Control, sections, bodies, ids, matching."""

from __future__ import annotations

import pytest

from signoff.docformat import (
    DocumentControl,
    ParsedDocument,
    Section,
    Template,
    match_template,
    parse_document,
)


def test_front_matter_fields_and_extra() -> None:
    doc = parse_document(
        "---\ntitle: Parcel Tracking API\nkey: DD-7\nversion: 1.10\nstatus: Draft\n"
        "authors: [Ana Lee, Bo Chen]\nreviewers: Cy Diaz, Di Eve\ntemplate: backend-server\n"
        "last_updated: 2026-11-20\nteam: logistics\nlabels: [a, b]\n---\n\n## 1. Intro\n"
    )
    assert doc.control == DocumentControl(
        title="Parcel Tracking API",
        key="DD-7",
        version="1.10",
        status="Draft",
        authors=("Ana Lee", "Bo Chen"),
        reviewers=("Cy Diaz", "Di Eve"),
        template="backend-server",
        last_updated="2026-11-20",
        extra={"team": "logistics", "labels": ["a", "b"]},
    )


def test_document_control_table_and_h1_without_front_matter(seed_text: str) -> None:
    doc = parse_document(seed_text)
    assert doc.control == DocumentControl(
        title="[Backend Server Name]",
        version="1.0",
        status="Draft / In Review / Approved",
        last_updated="YYYY-MM-DD",
    )


def test_front_matter_wins_over_the_table_field_by_field() -> None:
    doc = parse_document(
        "---\nversion: '2.0'\n---\n# Design Document: From H1\n\n## Document Control\n\n"
        "| Field | Value |\n|---|---|\n| Version | 1.0 |\n| Status | Approved |\n"
        "| Author(s) | Ana, Bo |\n| Approver | Cy |\n"
    )
    assert doc.control.version == "2.0"
    assert doc.control.status == "Approved"
    assert doc.control.authors == ("Ana", "Bo")
    assert doc.control.title == "From H1"
    assert doc.control.extra == {"Approver": "Cy"}
    assert doc.sections == ()


def test_sections_of_the_filled_document(filled: ParsedDocument) -> None:
    numbers = [s.number for s in filled.sections]
    assert numbers[:4] == ["1", "1.1", "1.2", "1.3"]
    assert numbers[-3:] == ["A", "A.1", "B"]
    assert "5.3.4" in numbers
    assert all(s.number is not None for s in filled.sections)
    decisions = filled.section("3.3")
    assert decisions is not None
    assert decisions.body.count("#### Decision ") == 3
    assert decisions.line is not None
    assert decisions.body_line == decisions.line + 2


def test_body_is_exact_trimmed_and_without_separator() -> None:
    doc = parse_document(
        "## 1. Intro\n\n\n  indented text\nsecond  line   \n\n---\n\n## 2. Next\n\nLast\n\n---\n"
    )
    assert doc.sections[0].body == "  indented text\nsecond  line   "
    assert doc.sections[1].body == "Last\n\n---"


def test_separator_before_a_subsection_is_content() -> None:
    doc = parse_document("## 1. Intro\n\nText\n\n---\n\n### 1.1 Purpose\n\nMore\n")
    assert doc.sections[0].body == "Text\n\n---"


def test_unnumbered_deep_headings_are_body_numbered_ones_are_sections() -> None:
    doc = parse_document(
        "### 3.3 Decisions\n\n#### Decision 2: Use PostgreSQL\n\n- **Context:** x\n\n"
        "##### 1. Detail\n\n#### 3.3.1 Numbered\n\nbody\n"
    )
    assert [(s.number, s.title, s.level) for s in doc.sections] == [
        ("3.3", "Decisions", 3),
        ("3.3.1", "Numbered", 4),
    ]
    assert doc.sections[0].body.startswith("#### Decision 2: Use PostgreSQL")
    assert "##### 1. Detail" in doc.sections[0].body


def test_headings_inside_code_are_not_sections() -> None:
    doc = parse_document("## 1. Intro\n\n```md\n## 2. Fake\n```\n\n    ## 3. Indented\n")
    assert [s.number for s in doc.sections] == ["1"]
    assert "## 2. Fake" in doc.sections[0].body


def test_heading_forms() -> None:
    doc = parse_document(
        "## 4 API Design\n\n### 4.1. Overview\n\n## Appendix A - Diagrams\n\n"
        "### A.1 Flow\n\n## Appendix B: References\n\n## 2024 Roadmap\n\nFoo #\n===\n"
    )
    found = [(s.number, s.title, s.level) for s in doc.sections]
    assert found == [
        ("4", "API Design", 2),
        ("4.1", "Overview", 3),
        ("A", "Diagrams", 2),
        ("A.1", "Flow", 3),
        ("B", "References", 2),
        (None, "2024 Roadmap", 2),
        (None, "Foo \\#", 1),
    ]


def test_preamble_keeps_text_outside_sections() -> None:
    doc = parse_document(
        "Before the title.\n\n# Design Document: X\n\nAfter the title.\n\n"
        "## Document Control\n\n| Field | Value |\n|---|---|\n| Status | Draft |\n\n"
        "Under the table.\n\n---\n\n## 1. Intro\n"
    )
    assert doc.preamble == "Before the title.\n\nAfter the title.\n\nUnder the table."
    assert doc.control.status == "Draft"


def test_stable_id_is_read_back_and_binds_template_section(template: Template) -> None:
    doc = parse_document(
        "### 9.9 Choices we made\n<!-- signoff:section id=0193b2c4-aa template=3.3 -->\n\nText\n",
        template,
    )
    (section,) = doc.sections
    assert section.id == "0193b2c4-aa"
    assert section.template_number == "3.3"
    assert section.body == "Text"


def test_bare_id_form_is_accepted_and_bad_comments_stay_in_the_body() -> None:
    doc = parse_document(
        "## 1. A\n<!-- signoff:section 0193 -->\n\n## 2. B\n<!-- signoff:section id=bad id! -->\n"
    )
    assert doc.sections[0].id == "0193"
    assert doc.sections[1].id is None
    assert doc.sections[1].body == "<!-- signoff:section id=bad id! -->"


def test_matching_strategies(template: Template) -> None:
    doc = parse_document(
        "## 1. Introduction\n\n### 1.9 Scope\n\n### 1.1 Why we build it\n\n"
        "### 7.7 Notes\n\n### 3.4 Key Architectural Decisions\n",
        template,
    )
    matched = [(s.number, s.template_number) for s in doc.sections]
    assert matched == [("1", "1"), ("1.9", "1.2"), ("1.1", "1.1"), ("7.7", None), ("3.4", "3.3")]
    assert [s.number for s in doc.extra_sections()] == ["7.7"]


def test_match_template_is_idempotent(filled: ParsedDocument, template: Template) -> None:
    assert match_template(filled, template) == filled
    assert [s.number for s in filled.sections if s.is_extra] == [
        "5.3",
        "5.3.1",
        "5.3.2",
        "5.3.3",
        "5.3.4",
    ]


def test_document_normalization() -> None:
    lf = parse_document("## 1. Intro\n\nSee Â§2.1 and café\n")
    crlf = parse_document("\ufeff## 1. Intro\r\n\r\nSee Â§2.1 and café\r\n")
    assert lf == crlf
    assert lf.sections[0].body == "See §2.1 and café"


def test_section_lookup(filled: ParsedDocument) -> None:
    section = filled.section("16.2")
    assert section is not None
    assert section.title == "Open Questions"
    assert filled.section("99") is None
    with_id = ParsedDocument(sections=(Section("1", "A", 2, id="2"), Section("2", "B", 2)))
    found = with_id.section("2")
    assert found is not None
    assert found.title == "A"


def test_invalid_sections_are_refused() -> None:
    with pytest.raises(ValueError, match="dotted"):
        Section("5", "Deep", 4)
    with pytest.raises(ValueError, match="one stripped line"):
        Section("5", "Two\nlines", 2)
    with pytest.raises(ValueError, match="invalid section id"):
        Section("5", "Id", 2, id="has space")
    with pytest.raises(ValueError, match="standard fields"):
        DocumentControl(extra={"title": "x"})


def test_template_binding_without_template_and_with_an_unknown_number(template: Template) -> None:
    text = "### 9.9 Choices\n<!-- signoff:section id=s1 template=3.3 -->\n\n### 1.2 Scope\n"
    unbound = parse_document(text)
    assert [s.template_number for s in unbound.sections] == ["3.3", None]
    stale = "### 1.2 Scope\n<!-- signoff:section id=s1 template=99.9 -->\n"
    (section,) = parse_document(stale, template).sections
    assert (section.id, section.template_number) == ("s1", "1.2")
