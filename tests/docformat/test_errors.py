"""Refused input: every error is a DocFormatError with a stable code and a position."""

from __future__ import annotations

import pytest

from signoff.docformat import (
    DocFormatError,
    DocumentTooLarge,
    FrontMatterError,
    FrontMatterFieldInvalid,
    FrontMatterNotMapping,
    FrontMatterTooComplex,
    FrontMatterUnterminated,
    Limits,
    NestingTooDeep,
    SectionTooLarge,
    TooManySections,
    parse_document,
)


def _error(markdown: str, limits: Limits | None = None) -> DocFormatError:
    with pytest.raises(DocFormatError) as caught:
        parse_document(markdown, limits=limits or Limits())
    return caught.value


def test_bad_yaml_reports_line_and_column() -> None:
    error = _error("---\ntitle: ok\nauthors: [a, b\n---\n\n## 1. Intro\n")
    assert isinstance(error, FrontMatterError)
    assert error.code == "front_matter_invalid_yaml"
    assert error.line == 3
    assert error.column is not None
    assert "line 3" in str(error)


def test_front_matter_must_be_a_mapping() -> None:
    error = _error("---\n- just\n- a list\n---\n")
    assert isinstance(error, FrontMatterNotMapping)
    assert (error.code, error.line) == ("front_matter_not_mapping", 2)


def test_unterminated_front_matter() -> None:
    error = _error("---\ntitle: x\n\n## 1. Intro\n")
    assert isinstance(error, FrontMatterUnterminated)
    assert (error.code, error.line) == ("front_matter_unterminated", 1)


def test_a_leading_thematic_break_is_not_front_matter() -> None:
    doc = parse_document("---\n\n## 1. Intro\n\ntext\n\n---\n\n## 2. Next\n")
    assert [s.number for s in doc.sections] == ["1", "2"]


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("title: x\nauthors:\n  name: Ana\n", 3),
        ("title: [a, b]\n", 2),
        ("title: x\ntitle: y\n", 3),
        ("? [a]\n: b\n", 2),
    ],
)
def test_front_matter_field_shapes(front: str, line: int) -> None:
    error = _error(f"---\n{front}---\n")
    assert isinstance(error, FrontMatterFieldInvalid)
    assert (error.code, error.line) == ("front_matter_field_invalid", line)


def test_alias_bombs_and_deep_nesting_are_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    error = _error(f"---\n{bomb}---\n")
    assert isinstance(error, FrontMatterTooComplex)
    assert error.code == "front_matter_too_complex"
    deep = _error("---\na: " + "[" * 5000 + "]" * 5000 + "\n---\n")
    assert isinstance(deep, FrontMatterTooComplex)


def test_recursive_alias_is_refused() -> None:
    error = _error("---\na: &a [*a]\n---\n")
    assert isinstance(error, FrontMatterError | FrontMatterTooComplex)


def test_document_size_limit() -> None:
    error = _error("## 1. Intro\n\n" + "x" * 200, Limits(max_document_bytes=100))
    assert isinstance(error, DocumentTooLarge)
    assert error.code == "document_too_large"


def test_section_size_limit_reports_the_heading_line() -> None:
    text = "---\ntitle: x\n---\n\n## 1. Small\n\nok\n\n## 2. Big\n\n" + "y" * 300 + "\n"
    error = _error(text, Limits(max_section_bytes=200))
    assert isinstance(error, SectionTooLarge)
    assert (error.code, error.line) == ("section_too_large", 9)


def test_section_count_limit() -> None:
    text = "".join(f"## {n}. S\n\n" for n in range(1, 8))
    error = _error(text, Limits(max_sections=5))
    assert isinstance(error, TooManySections)
    assert (error.code, error.line) == ("too_many_sections", 11)


@pytest.mark.parametrize("prefix", ["- ", "> ", "1. "])
def test_nesting_limit(prefix: str) -> None:
    indent = "  " if prefix == "- " else "   " if prefix == "1. " else ""
    lines = [(indent * i if indent else prefix * i) + prefix + "x" for i in range(8)]
    text = "## 1. Intro\n\n" + "\n".join(lines) + "\n"
    error = _error(text, Limits(max_nesting_depth=4))
    assert isinstance(error, NestingTooDeep)
    assert error.code == "nesting_too_deep"
    assert error.line == 7
    parse_document(text, limits=Limits(max_nesting_depth=8))


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_nesting_depth"):
        Limits(max_nesting_depth=1000)
