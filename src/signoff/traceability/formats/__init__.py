"""formats: uploaded OpenAPI documents and JUnit XML reports into trace-link targets.

A pure library: no web framework, no database, no other `signoff` package.

OpenAPI
    `parse_openapi(data, *, content_type=None, limits=SpecLimits()) -> OpenApiSpec`: an
    OpenAPI 3.0.x or 3.1.x document, JSON or YAML, and its operations, each with an id
    (`operationId`, or the synthetic `METHOD path`) and a `content_hash` that changes with the
    operation's contract and not with layout (rules in `openapi_hash`).
    `diff_operations(old, new) -> OperationDiff`: added, removed, changed, unchanged by id.

JUnit XML
    `parse_junit(data, *, limits=JUnitLimits()) -> TestRun`: the test cases of a report from
    pytest (`xunit1`, `xunit2`), Maven Surefire, gotestsum or jest-junit, each with a stable
    `test_id` (rules in `junit_ids`) and an outcome; reruns of one test are merged.

Errors
    Every refusal is a `SpecError` or a `TestReportError` (both `FormatError`, a
    `ValueError`) with a stable `code`, a message and, when known, a 1-based `line`; a
    `SpecError` also carries the JSON `pointer` of the offending value. Nothing else is raised
    on any input.
"""

from signoff.traceability.formats.errors import (
    FormatError,
    SpecError,
    SpecErrorCode,
    TestReportError,
    TestReportErrorCode,
)
from signoff.traceability.formats.junit import (
    DEFAULT_JUNIT_LIMITS,
    OUTCOMES,
    Flavour,
    Outcome,
    TestCase,
    TestRun,
    parse_junit,
)
from signoff.traceability.formats.junit_xml import JUnitLimits
from signoff.traceability.formats.openapi import (
    DEFAULT_SPEC_LIMITS,
    METHODS,
    OpenApiSpec,
    Operation,
    OperationChange,
    OperationDiff,
    diff_operations,
    parse_openapi,
)
from signoff.traceability.formats.structured import SpecLimits

__all__ = [
    "DEFAULT_JUNIT_LIMITS",
    "DEFAULT_SPEC_LIMITS",
    "METHODS",
    "OUTCOMES",
    "Flavour",
    "FormatError",
    "JUnitLimits",
    "OpenApiSpec",
    "Operation",
    "OperationChange",
    "OperationDiff",
    "Outcome",
    "SpecError",
    "SpecErrorCode",
    "SpecLimits",
    "TestCase",
    "TestReportError",
    "TestReportErrorCode",
    "TestRun",
    "diff_operations",
    "parse_junit",
    "parse_openapi",
]
