"""No bytes make the parsers raise anything but their own errors; hashes ignore layout."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signoff.traceability.formats import (
    OpenApiSpec,
    SpecError,
    TestReportError,
    TestRun,
    diff_operations,
    parse_junit,
    parse_openapi,
)
from tests.support.proof import fuzzing

pytestmark = pytest.mark.requirement("REQ-023")

_SETTINGS = fuzzing(150)
_HEX64 = re.compile(r"[0-9a-f]{64}")

# Fragments make hypothesis reach the interesting branches far more often than random text.
_YAML_FRAGMENTS = st.sampled_from(
    [
        "openapi: 3.1.0\n", "openapi: 3.0.3\n", "swagger: '2.0'\n",
        "info: {title: T, version: '1'}\n",
        "info:\n  title: T\n  version: 1.10\n", "paths:\n", "  /a:\n", "  /b/{id}:\n", "    get:\n",
        "    post:\n", "      operationId: x\n", "      responses: {}\n",
        "      parameters: [{name: q, in: query}]\n", "      security: [{oauth: [read]}]\n",
        "      $ref: '#/components/schemas/A'\n",
        "components:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n",
        "&a ", "*a", "<<: ", "- ", "{", "}", "[", "]", ": ", ", ", "\n", "  ", "\t", "'", '"',
        "~", "!!binary ", "!x ", "? ", "---\n", "...\n", "%YAML 1.1\n", "1e400", ".nan", "0x1F",
        "\x00", "\ufeff", "\ud800", "# c\n", "\\u0000", "null", "true",
    ]
)  # fmt: skip
_YAML_TEXT = st.lists(st.one_of(st.text(max_size=8), _YAML_FRAGMENTS), max_size=40).map("".join)

_KEYS = st.sampled_from(
    [
        "type", "properties", "items", "description", "required", "enum", "x-a", "allOf", "a",
        "200", "name", "in", "schema", "responses", "content", "application/json", "default",
        "summary", "$ref", "requestBody", "examples", "title",
    ]
)  # fmt: skip
_REFS = st.sampled_from(
    [
        "#/components/schemas/A", "#/components/schemas/B", "#/components/schemas/Nope",
        "#/paths/~1a", "#/components/schemas/A/properties/a", "#", "other.yaml#/X", "#anchor",
    ]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(_KEYS, children, max_size=4)
        | _REFS.map(lambda ref: {"$ref": ref})
    ),
    max_leaves=15,
)
_OPERATION = st.dictionaries(
    st.sampled_from(["operationId", "responses", "parameters", "security", "requestBody", "tags"]),
    _JSON | st.sampled_from(["x", "y"]),
    max_size=4,
)
_PATH_ITEM = st.dictionaries(
    st.sampled_from(["get", "post", "parameters", "$ref", "GET", "summary"]),
    _OPERATION | _JSON,
    max_size=3,
)


_PATHS = st.sampled_from(["/a", "/b/{id}", "x-a", "c"])


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "openapi": draw(st.sampled_from(["3.0.3", "3.1.0"])),
        "info": {"title": "T", "version": "1"},
        "paths": draw(st.dictionaries(_PATHS, _PATH_ITEM, max_size=3)),
        "components": {
            "schemas": {"A": draw(_JSON), "B": draw(_JSON)},
            "securitySchemes": {"oauth": {"type": "oauth2", "flows": {}}},
        },
        "security": draw(st.sampled_from([[], [{"oauth": ["read"]}], [{"oauth": []}, {}]])),
    }  # fmt: skip


def _check_refusal(error: SpecError | TestReportError) -> None:
    assert error.code
    assert error.message
    assert error.line is None or error.line >= 1


def _parse_spec(data: bytes) -> OpenApiSpec | None:
    refusal: SpecError | None = None
    try:
        spec = parse_openapi(data)
    except SpecError as error:
        refusal = error
    if refusal is not None:
        _check_refusal(refusal)
        return None
    ids = [o.operation_id for o in spec.operations]
    assert len(set(ids)) == len(ids)
    assert all(_HEX64.fullmatch(o.content_hash) for o in spec.operations)
    assert not diff_operations(spec, spec).has_changes
    return spec


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@_SETTINGS
@given(st.binary(max_size=300))
def test_openapi_any_bytes(data: bytes) -> None:
    _parse_spec(data)


@_SETTINGS
@given(_YAML_TEXT)
def test_openapi_yaml_like_text(text: str) -> None:
    _parse_spec(text.encode("utf-8", "surrogatepass"))


@_SETTINGS
@given(_documents())
def test_openapi_documents_and_their_layout(doc: dict[str, Any]) -> None:
    spec = _parse_spec(json.dumps(doc).encode())
    if spec is None:
        return
    relaid = json.dumps(_reversed_keys(doc), indent=1).encode()
    again = parse_openapi(relaid)
    # Reversed keys reverse the order of operations too; ids and hashes stay.
    assert {o.operation_id: o.content_hash for o in again.operations} == {
        o.operation_id: o.content_hash for o in spec.operations
    }


_XML_FRAGMENTS = st.sampled_from(
    [
        "<?xml version='1.0'?>", "<testsuites>", "</testsuites>", "<testsuite name='pytest'>",
        "</testsuite>", "<testcase name='t' classname='tests.test_a.TestB'>",
        "<testcase name='t' file='tests/test_a.py' classname='tests.test_a' time='1,5'>",
        "<testcase classname='a'>", "</testcase>", "<testcase name='u'/>", "<failure message='m'>",
        "</failure>", "<error/>", "<skipped/>", "<flakyFailure>", "</flakyFailure>",
        "<!DOCTYPE x>", "<!ENTITY a 'b'>", "&a;", "&amp;", "<![CDATA[", "]]>", "<!-- c -->",
        "<x:testsuite xmlns:x='urn:x'>", "\x00", "\ufeff", " ", "\n", "<", ">", "'", "=",
    ]
)  # fmt: skip
_XML_TEXT = st.lists(st.one_of(st.text(max_size=6), _XML_FRAGMENTS), max_size=40).map("".join)


def _parse_run(data: bytes) -> TestRun | None:
    refusal: TestReportError | None = None
    try:
        run = parse_junit(data)
    except TestReportError as error:
        refusal = error
    if refusal is not None:
        _check_refusal(refusal)
        return None
    ids = [c.test_id for c in run.cases]
    assert len(set(ids)) == len(ids)
    assert all(c.time_s >= 0 and c.attempts >= 1 for c in run.cases)
    assert sum(run.totals().values()) == len(run.cases)
    return run


@_SETTINGS
@given(st.binary(max_size=300))
def test_junit_any_bytes(data: bytes) -> None:
    _parse_run(data)


@_SETTINGS
@given(_XML_TEXT)
def test_junit_xml_like_text(text: str) -> None:
    _parse_run(text.encode("utf-8", "surrogatepass"))
