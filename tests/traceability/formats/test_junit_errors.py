"""Refused reports: every error is a TestReportError with a stable code, and hostile XML is
stopped by defusedxml before it expands or reaches out."""

from __future__ import annotations

import typing

import pytest

from signoff.traceability.formats import (
    FormatError,
    JUnitLimits,
    TestReportError,
    TestReportErrorCode,
    parse_junit,
)

pytestmark = pytest.mark.requirement("REQ-023")

_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE testsuites [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuites><testsuite name="&lol3;"/></testsuites>
"""
_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE testsuites [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="&secret;"/></testsuites>
"""
_DOCTYPE_ONLY = b'<?xml version="1.0"?>\n<!DOCTYPE testsuites>\n<testsuites/>\n'

CASES: list[tuple[str, bytes, JUnitLimits, TestReportErrorCode, int | None]] = [
    ("too large", b"<testsuites/>", JUnitLimits(max_bytes=5), "too_large", None),
    ("empty", b"", JUnitLimits(), "not_xml", 1),
    ("binary", b"\x00\x01\x02", JUnitLimits(), "not_xml", 1),
    ("json", b'{"tests": []}', JUnitLimits(), "not_xml", 1),
    ("truncated", b"<testsuites>\n<testsuite>\n", JUnitLimits(), "not_xml", 3),
    ("mismatched", b"<testsuites>\n</testsuite>", JUnitLimits(), "not_xml", 2),
    ("bad encoding", b'<?xml version="1.0" encoding="nope"?><a/>', JUnitLimits(), "not_xml", 1),
    ("billion laughs", _LAUGHS, JUnitLimits(), "unsafe_xml", 2),
    ("external entity", _XXE, JUnitLimits(), "unsafe_xml", 2),
    ("any doctype", _DOCTYPE_ONLY, JUnitLimits(), "unsafe_xml", 2),
    ("html", b"<html><body/></html>", JUnitLimits(), "not_junit", 1),
    (
        "nameless case",
        b"<testsuite>\n<testcase classname='a'/></testsuite>",
        JUnitLimits(),
        "invalid_testcase",
        2,
    ),
    (
        "blank name",
        b"<testsuite><testcase name='  '/></testsuite>",
        JUnitLimits(),
        "invalid_testcase",
        1,
    ),
    (
        "deep",
        b"<testsuites>" + b"<x>" * 40 + b"</x>" * 40 + b"</testsuites>",
        JUnitLimits(),
        "too_complex",
        1,
    ),
    (
        "many elements",
        b"<testsuites>" + b"<x/>" * 50 + b"</testsuites>",
        JUnitLimits(max_elements=20),
        "too_complex",
        1,
    ),
    (
        "many cases",
        b"<testsuite>" + b"<testcase name='t'/>" * 5 + b"</testsuite>",
        JUnitLimits(max_cases=3),
        "too_complex",
        1,
    ),
]


@pytest.mark.parametrize(
    ("data", "limits", "code", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refusals(data: bytes, limits: JUnitLimits, code: str, line: int | None) -> None:
    with pytest.raises(TestReportError) as caught:
        parse_junit(data, limits=limits)
    error = caught.value
    assert isinstance(error, FormatError)
    assert isinstance(error, ValueError)
    assert (error.code, error.line) == (code, line)
    assert error.message
    assert str(error).startswith(error.message)


def test_every_code_is_exercised() -> None:
    assert {c[3] for c in CASES} == set(typing.get_args(TestReportErrorCode))


def test_syntax_errors_have_a_column() -> None:
    with pytest.raises(TestReportError) as caught:
        parse_junit(b"<testsuites>\n  <testsuite name='a>\n</testsuites>")
    assert caught.value.line is not None
    assert caught.value.column is not None
    assert "line" in str(caught.value)
