"""The fuzz targets: bytes in, and any exception but the target's documented refusal is a
crash (so is a broken property: what a codec writes it must read back).

The checks are the ones the hypothesis tests make (tests/docformat/test_fuzz.py,
tests/traceability/formats/test_fuzz.py, tests/proof/test_fuzz.py): one idea, one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from signoff.docformat import (
    DocFormatError,
    Template,
    document_from_template,
    parse_document,
    parse_template,
    render_html,
    render_markdown,
)
from signoff.docformat.frontmatter import parse_front_matter, split_front_matter
from signoff.docformat.tables import parse_tables, render_table
from signoff.registers.codec import read_decisions, read_rows, write_rows
from signoff.registers.kinds import TABLE_KINDS
from tests.docformat.conftest import seed_markdown
from tests.traceability.formats.test_fuzz import _parse_run, _parse_spec


def text(data: bytes) -> str:
    """Every byte string is some text: invalid UTF-8 becomes lone surrogates, which the
    parsers must refuse or survive like any other character."""
    return data.decode("utf-8", "surrogateescape")


@cache
def _template() -> Template:
    return parse_template(seed_markdown())


def _refusal(error: DocFormatError) -> None:
    """A refusal says what and where."""
    assert error.code
    assert error.message
    assert error.line is None or error.line >= 1


def _round_trip(markdown: str, template: Template) -> None:
    """The parser's promise, without lint and diff (tests/docformat/test_fuzz.py runs those;
    lint alone is four fifths of the time and would cut the runs a target gets fivefold)."""
    try:
        doc = parse_document(markdown, template)
    except DocFormatError as error:
        _refusal(error)
        return
    assert parse_document(render_markdown(doc), template) == doc
    render_html(doc)


def markdown(data: bytes) -> None:
    _round_trip(text(data), _template())


def template(data: bytes) -> None:
    try:
        parsed = parse_template(text(data))
    except DocFormatError as error:
        _refusal(error)
        return
    # A new document can be started on any template the parser took (parsing documents is
    # the markdown target's: here it would take four fifths of each run).
    render_markdown(document_from_template(parsed))


def tables(data: bytes) -> None:
    body = text(data)
    for table in parse_tables(body):
        render_table(table)
    for kind in TABLE_KINDS:
        rows = read_rows(kind, body)
        assert read_rows(kind, write_rows(kind, body, rows)) == rows
    read_decisions(body)


def front_matter(data: bytes) -> None:
    try:
        split = split_front_matter(text(data))
        if split.yaml_text is not None:
            parse_front_matter(split.yaml_text)
    except DocFormatError as error:
        _refusal(error)


def openapi(data: bytes) -> None:
    _parse_spec(data)


def junit(data: bytes) -> None:
    _parse_run(data)


@dataclass(frozen=True)
class Target:
    run: Callable[[bytes], None]
    refuses_with: str  # the documented refusal, caught inside `run`
    max_len: int  # libFuzzer's bound on an input's length, in bytes


TARGETS: dict[str, Target] = {
    "markdown": Target(markdown, "DocFormatError", 2048),
    "template": Target(template, "DocFormatError", 2048),
    "tables": Target(tables, "nothing (any text is a body)", 2048),
    "front_matter": Target(front_matter, "DocFormatError", 2048),
    "openapi": Target(openapi, "SpecError", 4096),
    "junit": Target(junit, "TestReportError", 4096),
}
