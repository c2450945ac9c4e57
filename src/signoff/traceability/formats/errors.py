"""Errors raised by the format parsers: every refusal of an upload is one of these.

`code` is stable snake_case (the server maps it to a problem type); `line` and `column` are
1-based positions in the uploaded text when known. Nothing else escapes the parsers, whatever
the bytes: the fuzz tests hold them to that.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from signoff.input_errors import PositionedError

SpecErrorCode: TypeAlias = Literal[
    "too_large",  # more bytes than the limit
    "not_json_or_yaml",  # not UTF-8, or not parseable as JSON or YAML
    "duplicate_key",  # one mapping names the same key twice
    "too_complex",  # too deep, too many nodes, aliases expanding too far, refs too tangled
    "not_openapi",  # parses, but is not an OpenAPI document (no `openapi` field, not a mapping)
    "unsupported_version",  # Swagger 2.0, OpenAPI 3.2+, or a malformed `openapi` field
    "invalid_info",  # `info.title` / `info.version` missing or not text
    "invalid_paths",  # `paths`, a path item, an operation or a parameter has the wrong shape
    "invalid_security",  # a security requirement has the wrong shape
    "duplicate_operation_id",  # two operations share an `operationId` (or a synthetic id)
    "bad_ref",  # a `$ref` that is external, not a JSON pointer, or points at nothing
]

TestReportErrorCode: TypeAlias = Literal[
    "too_large",  # more bytes than the limit
    "not_xml",  # not well-formed XML
    "unsafe_xml",  # a DTD, entity declaration or external reference: never needed by JUnit
    "not_junit",  # well-formed XML whose root is not <testsuites> or <testsuite>
    "invalid_testcase",  # a <testcase> without a name
    "too_complex",  # too deep or too many elements
]


class FormatError(PositionedError):
    """An uploaded file that a format parser refuses, with where and why."""

    def __init__(
        self, code: str, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, line=line, column=column)
        self.code = code


class SpecError(FormatError):
    """An OpenAPI document refused by `parse_openapi`.

    `pointer` is the RFC 6901 JSON pointer of the offending value when there is one
    (`/paths/~1parcels/get/operationId`), so a client can find it in JSON and YAML alike.
    """

    code: SpecErrorCode

    def __init__(
        self,
        code: SpecErrorCode,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
    ) -> None:
        super().__init__(code, message, line=line, column=column)
        self.pointer = pointer


class TestReportError(FormatError):
    """A JUnit XML report refused by `parse_junit`."""

    __test__ = False  # a class named Test* is not a pytest test class
    code: TestReportErrorCode

    def __init__(
        self,
        code: TestReportErrorCode,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(code, message, line=line, column=column)
