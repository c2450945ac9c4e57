"""No input string makes docformat raise anything but DocFormatError."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from signoff.docformat import (
    DocFormatError,
    ParsedDocument,
    Template,
    diff_sections,
    lint,
    parse_document,
    parse_tables,
    parse_template,
    render_html,
    render_markdown,
    section_hash,
)
from tests.support.proof import fuzzing

from .strategies import user_document

# Markdown-ish fragments make hypothesis reach the interesting branches far more often
# than uniformly random text.
_FRAGMENTS = st.sampled_from(
    [
        "---\n", "...\n", "# ", "## ", "### 1.1 ", "#### 5.2.1 ", "## Appendix A: ", "\n",
        "| a | b |\n", "|---|---|\n", "`", "```\n", "> ", "- ", "1. ", "\\|", "<!-- ",
        "signoff:section id=x template=3.3 -->\n", "**Context:**", "§3.3", "[Title]", "&a ",
        "*a", "{", "[", ": ", "\r\n", "\x00", "\ud800", "Â§", "\ufeff", "Document Control\n",
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(st.text(max_size=12), _FRAGMENTS), max_size=40).map("".join)


def _parse(markdown: str, template: Template) -> ParsedDocument | DocFormatError:
    try:
        return parse_document(markdown, template)
    except DocFormatError as error:
        return error


def _exercise(markdown: str, template: Template) -> None:
    doc = _parse(markdown, template)
    if isinstance(doc, DocFormatError):
        assert doc.code
        assert doc.message
        assert doc.line is None or doc.line >= 1
        return
    rendered = render_markdown(doc)
    assert parse_document(rendered, template) == doc
    render_html(doc)
    lint(doc, template, today=date(2026, 11, 26))
    diff_sections(doc, doc)
    for section in doc.sections:
        section_hash(section)
        parse_tables(section.body)


@fuzzing(150)
@given(markdown=st.one_of(st.text(), _TEXT))
def test_any_text(markdown: str, template: Template) -> None:
    _exercise(markdown, template)


@fuzzing(50)
@given(markdown=st.one_of(st.text(), _TEXT))
def test_any_text_as_a_template(markdown: str) -> None:
    try:
        parse_template(markdown)
    except DocFormatError as error:
        code = error.code
    else:
        code = "parsed"
    assert code


@fuzzing(50)
@given(markdown=user_document())
def test_user_documents(markdown: str, template: Template) -> None:
    _exercise(markdown, template)
