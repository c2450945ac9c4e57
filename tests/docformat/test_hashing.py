"""section_hash: stable across re-rendering and formatting, sensitive to content."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings

from signoff.docformat import (
    ParsedDocument,
    Section,
    normalized_body,
    parse_document,
    render_markdown,
    section_hash,
)

from .strategies import user_document

BODY = "Some *text* here.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n```py\nif x:\n    y  =  1\n```"


def _hash(body: str, title: str = "Title", number: str | None = "1") -> str:
    return section_hash(Section(number, title, 2, body))


def test_hash_is_sha256_hex() -> None:
    digest = _hash(BODY)
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_formatting_does_not_change_the_hash() -> None:
    reformatted = (
        "Some   *text*  here.   \n\n\n\n| A   |  B |\n|:--|--:|\n|  1 | 2   |\n\n"
        "```py\nif x:\n    y  =  1   \n```\n\n"
    )
    assert _hash(reformatted) == _hash(BODY)
    assert _hash(BODY, number="7.2") == _hash(BODY)
    assert _hash(BODY, title="Title") == section_hash(Section("1", "Title", 3, BODY, id="z"))


def test_content_changes_change_the_hash() -> None:
    assert _hash(BODY.replace("text", "test")) != _hash(BODY)
    assert _hash(BODY.replace("| 1 | 2 |", "| 1 | 3 |")) != _hash(BODY)
    assert _hash(BODY.replace("    y", "  y")) != _hash(BODY)
    assert _hash(BODY, title="Other") != _hash(BODY)
    assert _hash("- a\n  - b") != _hash("- a\n- b")


def test_normalized_form_is_documented_shape() -> None:
    assert normalized_body("\n\n  a   b  \n\n\n| x |\n|:-:|\n\nc\t\td\n") == (
        "  a b\n\n| x |\n| --- |\n\nc d"
    )


@settings(max_examples=100, deadline=None)
@given(markdown=user_document())
def test_rendering_does_not_change_any_hash(markdown: str) -> None:
    doc = parse_document(markdown)
    again = parse_document(render_markdown(doc))
    assert [section_hash(s) for s in again.sections] == [section_hash(s) for s in doc.sections]


def test_filled_document_hashes_are_distinct(filled: ParsedDocument) -> None:
    hashes = {section_hash(s) for s in filled.sections}
    assert len(hashes) == len(filled.sections)
    edited = dataclasses.replace(filled.sections[1], body=filled.sections[1].body + "\n\nMore.")
    assert section_hash(edited) != section_hash(filled.sections[1])
