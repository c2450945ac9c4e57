"""Templates beyond the built-in one: unnumbered headings matched by heading path, titles
from front matter, the first `#` heading or the import, metadata lists, optional and
repeating sections (ADR 0022)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signoff.docformat import (
    MissingTitle,
    Template,
    document_from_template,
    lint,
    parse_document,
    parse_template,
    render_markdown,
    require_title,
    same_content,
)
from signoff.docformat.headings import is_template_key, path_segment
from signoff.docformat.model import DEFAULT_LIMITS
from signoff.docformat.skeleton import metadata_list

from .conftest import FIXTURES
from .strategies import WORD, title

TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def proposal() -> Template:
    return parse_template((FIXTURES / "proposal-template.md").read_text("utf-8"))


@pytest.fixture(scope="module")
def rfc() -> Template:
    return parse_template((FIXTURES / "rfc-template.md").read_text("utf-8"))


PROPOSAL_DOC = """\
- Status: implementable
- **Authors:** Ada, Bob

# KEP-42: Faster widgets

## Summary

Widgets get faster by caching.

## Motivation

Slow widgets anger users.

### Goals

Make widget listing ten times faster.

### Non-Goals

Faster gadgets.

## Proposal

We add a cache in front of the widget store.

### Risks and Mitigations

| Risk | Mitigation |
|------|------------|
| Stale reads | TTL of 5 s |

## Design Details

### Cache

An LRU in each instance.

### Invalidation

Events from the store evict entries.
"""

RFC_DOC = """\
- Feature Name: widget_cache
- Start Date: 2026-12-01

# Summary

Cache widgets.

# Motivation

Speed matters to the people who list widgets.

# Guide-level explanation

You list widgets and they come back fast.

# Reference-level explanation

## GET /widgets

Lists widgets from the cache.

## DELETE /widgets/{id}

Evicts a widget.

# Drawbacks

Memory use grows with the catalogue.
"""


def test_unnumbered_template_sections_are_keyed_by_heading_path(proposal: Template) -> None:
    keys = [(s.key, s.optional, s.repeats) for s in proposal.walk()]
    assert keys == [
        ("/summary", False, False),
        ("/motivation", False, False),
        ("/motivation/goals", False, False),
        ("/motivation/non-goals", False, False),
        ("/proposal", False, False),
        ("/proposal/user-stories", True, False),
        ("/proposal/notes-constraints-caveats", True, False),
        ("/proposal/risks-and-mitigations", False, False),
        ("/design-details", False, False),
        ("/design-details/component-name", False, True),
        ("/alternatives", True, False),
    ]
    assert proposal.title_pattern == "KEP-NNNN: [Your short, descriptive title]"
    assert proposal.document_control.fields == (("Status", "provisional"), ("Authors", "[name]"))
    stories = proposal.get("/proposal/user-stories")
    assert stories is not None
    assert [b.heading for b in stories.blocks] == ["Story 1", "Story 2"]


def test_document_matches_by_path_and_lint_ignores_absent_optional_sections(
    proposal: Template,
) -> None:
    doc = parse_document(PROPOSAL_DOC, proposal)
    assert doc.control.title == "KEP-42: Faster widgets"
    assert doc.control.status == "implementable"
    assert doc.control.authors == ("Ada", "Bob")
    assert doc.preamble == ""
    matched = [(s.title, s.template_number) for s in doc.sections]
    assert matched[-3:] == [
        ("Design Details", "/design-details"),
        ("Cache", "/design-details/component-name"),
        ("Invalidation", "/design-details/component-name"),
    ]
    report = lint(doc, proposal, today=TODAY)
    assert report.findings == ()
    # The optional sections are absent and not scored; the repeating one counts once.
    assert (report.score, report.sections_scored) == (100, 7)


def test_a_missing_required_section_is_named_by_its_path(proposal: Template) -> None:
    text = PROPOSAL_DOC.replace("### Goals\n\nMake widget listing ten times faster.\n\n", "")
    report = lint(parse_document(text, proposal), proposal, today=TODAY)
    assert [(f.rule, f.message) for f in report.findings] == [
        ("missing-section", "section 'Goals' (/motivation/goals) of the template is missing")
    ]
    assert report.score < 100


def test_guidance_left_and_empty_sections_are_found_in_unnumbered_sections(
    proposal: Template,
) -> None:
    text = PROPOSAL_DOC.replace(
        "Slow widgets anger users.", "Explain why this change is important and the benefits."
    ).replace("Faster gadgets.", "")
    report = lint(parse_document(text, proposal), proposal, today=TODAY)
    found = {(f.rule, f.section) for f in report.findings}
    assert found == {
        ("guidance-left", "/motivation"),
        ("empty-section", "/motivation/non-goals"),
    }


def test_same_title_under_another_parent_is_not_the_template_section(
    proposal: Template,
) -> None:
    text = PROPOSAL_DOC.replace("### Goals", "## Goals")
    doc = parse_document(text, proposal)
    goals = next(s for s in doc.sections if s.title == "Goals")
    # Its path is /goals now: only the title fallback can still claim it.
    assert goals.template_number == "/motivation/goals"
    non_goals = next(s for s in doc.sections if s.title == "Non-Goals")
    assert non_goals.template_number == "/motivation/non-goals"


def test_numbered_copies_of_an_unnumbered_template_match_by_heading_path(
    proposal: Template,
) -> None:
    numbered = (
        PROPOSAL_DOC.replace("## Summary", "## 1. Summary")
        .replace("## Motivation", "## 2. Motivation")
        .replace("### Goals", "### 2.1 Goals")
        .replace("### Non-Goals", "### 2.2 Non-Goals")
    )
    doc = parse_document(numbered, proposal)
    assert [s.template_number for s in doc.sections[:4]] == [
        "/summary",
        "/motivation",
        "/motivation/goals",
        "/motivation/non-goals",
    ]
    assert lint(doc, proposal, today=TODAY).findings == ()


def test_rfc_style_template_has_hash_sections_and_no_title(rfc: Template) -> None:
    assert rfc.title_pattern == ""
    assert rfc.h1_sections
    assert [s.key for s in rfc.sections][:2] == ["/summary", "/motivation"]
    assert rfc.get("/unresolved-questions") is not None
    assert rfc.get("/unresolved-questions").optional  # type: ignore[union-attr]
    assert [label for label, _ in rfc.document_control.fields] == [
        "Feature Name",
        "Start Date",
        "RFC PR",
    ]


def test_rfc_style_document_takes_its_title_from_the_import(rfc: Template) -> None:
    with pytest.raises(MissingTitle):
        require_title(parse_document(RFC_DOC, rfc))
    doc = parse_document(RFC_DOC, rfc, title="Widget  cache")
    assert doc.control.title == "Widget cache"
    assert doc.control.extra == {"Feature Name": "widget_cache", "Start Date": "2026-12-01"}
    endpoints = [
        s.title for s in doc.sections if s.template_number and "endpoint" in s.template_number
    ]
    assert endpoints == ["GET /widgets", "DELETE /widgets/{id}"]
    assert lint(doc, rfc, today=TODAY).findings == ()
    front = "---\ntitle: Widget cache\n---\n" + RFC_DOC
    assert parse_document(front, rfc).control.title == "Widget cache"


def test_rfc_style_export_parses_back_the_same(rfc: Template) -> None:
    doc = parse_document(RFC_DOC, rfc, title="Widget cache")
    again = parse_document(render_markdown(doc), rfc)
    assert again == doc


def test_new_document_from_unnumbered_template_is_bound_by_path(proposal: Template) -> None:
    doc = document_from_template(proposal, title="New")
    assert [s.template_number for s in doc.sections] == [s.key for s in proposal.walk()]
    assert parse_document(render_markdown(doc), proposal).sections == doc.sections


def test_stable_id_comment_carries_a_heading_path(proposal: Template) -> None:
    doc = parse_document(PROPOSAL_DOC, proposal)
    bound = dataclasses.replace(doc.sections[0], id="s1", title="Overview")
    doc = dataclasses.replace(doc, sections=(bound, *doc.sections[1:]))
    text = render_markdown(doc)
    assert "<!-- signoff:section id=s1 template=/summary -->" in text
    # Renamed, the section stays bound to /summary through its comment.
    assert parse_document(text, proposal).sections[0].template_number == "/summary"


def test_front_matter_marks_optional_and_repeating_sections() -> None:
    template = parse_template(
        "---\noptional: [/risks]\nrepeat: /services/service\n---\n"
        "# T\n\n## Services\n\n### Service\n\nWhat it does.\n\n## Risks\n\nRisks here.\n"
    )
    flags = {s.key: (s.optional, s.repeats) for s in template.walk()}
    assert flags == {
        "/services": (False, False),
        "/services/service": (False, True),
        "/risks": (True, False),
    }


def test_builtin_numbers_stay_the_keys(template: Template) -> None:
    assert all(s.key == s.number for s in template.walk())
    assert not template.h1_sections


def test_a_list_that_is_not_all_labels_stays_text() -> None:
    text = "# T\n\n- Status: Draft\n- and some prose here\n\n## Summary\n\nx\n"
    doc = parse_document(text)
    assert doc.control.status is None
    assert doc.preamble.startswith("- Status: Draft")


def test_a_document_control_table_wins_over_a_list() -> None:
    text = (
        "# T\n\n## Document Control\n\n| Field | Value |\n|---|---|\n| Status | Review |\n\n"
        "- Status: Draft\n\n## Summary\n\nx\n"
    )
    doc = parse_document(text)
    assert doc.control.status == "Review"
    assert "- Status: Draft" in doc.preamble


@given(st.text(max_size=40))
def test_every_heading_gives_a_valid_path_segment(heading: str) -> None:
    assert is_template_key("/" + path_segment(heading))


LABEL = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


@given(
    st.lists(st.tuples(LABEL, st.lists(WORD, max_size=3).map(" ".join)), min_size=1, max_size=6),
    st.booleans(),
)
def test_metadata_lists_read_back_as_rows(rows: list[tuple[str, str]], bold: bool) -> None:
    items = [f"- **{k}:** {v}" if bold else f"- {k}: {v}" for k, v in rows]
    found, rest = metadata_list("\n".join(items) + "\n\nAfter.", DEFAULT_LIMITS)
    assert found == tuple(rows)
    assert rest == "After."


@st.composite
def outline(draw: st.DrawFn) -> list[tuple[int, str]]:
    """Unnumbered headings (level, title) a team's template might have."""
    heads: list[tuple[int, str]] = []
    for _ in range(draw(st.integers(1, 8))):
        level = draw(st.integers(2, 3)) if heads else 2
        heads.append((level, draw(title())))
    return heads


@given(outline(), st.data())
def test_documents_on_an_unnumbered_template_match_by_path(
    heads: list[tuple[int, str]], data: st.DataObject
) -> None:
    markdown = "# Title\n\n" + "\n\n".join(
        f"{'#' * lv} {t}\n\nGuide {i}." for i, (lv, t) in enumerate(heads)
    )
    template = parse_template(markdown)
    keys = [s.key for s in template.walk()]
    assert len(set(keys)) == len(keys)
    assert all(is_template_key(k) for k in keys)
    # A filled-in document, headings written with other spacing and case, matches back.
    filled = "# Doc\n\n" + "\n\n".join(
        f"{'#' * lv}  {data.draw(st.sampled_from([t, t.upper(), t.lower()]))}\n\nFilled {i}."
        for i, (lv, t) in enumerate(heads)
    )
    doc = parse_document(filled, template)
    assert [s.template_number for s in doc.sections] == keys
    assert not [f for f in lint(doc, template, today=TODAY).findings if f.rule == "missing-section"]


def test_render_keeps_the_content_of_a_document_with_a_metadata_list(
    proposal: Template,
) -> None:
    doc = parse_document(PROPOSAL_DOC, proposal)
    assert same_content(PROPOSAL_DOC, render_markdown(doc))
    prose = PROPOSAL_DOC.replace(
        "- Status: implementable\n", "- Status: implementable\n- and prose\n"
    )
    rendered = render_markdown(parse_document(prose, proposal))
    # Not metadata: the list stays text, in place.
    assert "- Status: implementable\n- and prose" in rendered
    assert same_content(prose, rendered)
