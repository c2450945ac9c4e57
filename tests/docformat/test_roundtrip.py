"""Round trips: parse(render(doc)) == doc, and render keeps what users wrote."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signoff.docformat import (
    ParsedDocument,
    Template,
    content_outline,
    document_from_template,
    parse_document,
    render_markdown,
    same_content,
)

from .strategies import document, user_document

pytestmark = pytest.mark.requirement("REQ-012")


@settings(max_examples=150, deadline=None)
@given(doc=document())
def test_documents_built_from_values_read_back_equal(doc: ParsedDocument) -> None:
    assert parse_document(render_markdown(doc)) == doc


@settings(max_examples=150, deadline=None)
@given(markdown=user_document(), use_template=st.booleans())
def test_parsed_documents_read_back_equal(
    markdown: str, use_template: bool, template: Template
) -> None:
    chosen = template if use_template else None
    doc = parse_document(markdown, chosen)
    rendered = render_markdown(doc)
    assert parse_document(rendered, chosen) == doc
    assert render_markdown(parse_document(rendered, chosen)) == rendered


@settings(max_examples=150, deadline=None)
@given(markdown=user_document())
def test_render_keeps_what_the_user_wrote(markdown: str) -> None:
    doc = parse_document(markdown)
    rendered = render_markdown(doc)
    assert content_outline(rendered) == content_outline(markdown)
    assert parse_document(rendered).control == doc.control


def test_seed_round_trips(seed_text: str, template: Template) -> None:
    doc = parse_document(seed_text, template)
    rendered = render_markdown(doc)
    assert parse_document(rendered, template) == doc
    assert same_content(seed_text, rendered)


def test_filled_document_round_trips(
    filled_text: str, filled: ParsedDocument, template: Template
) -> None:
    rendered = render_markdown(filled)
    assert parse_document(rendered, template) == filled
    assert same_content(filled_text, rendered)


def test_new_document_reproduces_the_template(seed_text: str, template: Template) -> None:
    doc = document_from_template(template)
    exported = render_markdown(doc)
    assert same_content(exported, seed_text)
    assert parse_document(exported, template) == doc
    assert parse_document(exported).control == parse_document(seed_text).control
    headings = [i for i in content_outline(exported) if i[0] == "heading"]
    assert ("heading", 4, None, "Decision 1: [Title]") in headings
    assert ("heading", 4, "5.2.1", "Responsibility") in headings
    assert len([h for h in headings if h[2] is not None]) == 83


def test_new_document_title_and_bindings(template: Template) -> None:
    doc = document_from_template(template, title="Parcel Tracking API")
    assert doc.control.title == "Parcel Tracking API"
    assert all(s.template_number == s.number for s in doc.sections)
    assert render_markdown(doc).startswith("---\ntitle: Parcel Tracking API\n")
