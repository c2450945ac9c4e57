"""Refused OpenAPI documents: a SpecError with a stable code, a line and a JSON pointer."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from typing import Any

import pytest

from signoff.traceability.formats import (
    DEFAULT_SPEC_LIMITS,
    FormatError,
    SpecError,
    SpecErrorCode,
    SpecLimits,
    parse_openapi,
)

from .conftest import OPENAPI_30_YAML, OPENAPI_31_JSON

pytestmark = pytest.mark.requirement("REQ-023")

_HEAD = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\n"


def _json(paths: Any = None, **extra: Any) -> bytes:
    doc: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}}
    if paths is not None:
        doc["paths"] = paths
    doc.update(extra)
    return json.dumps(doc, indent=2).encode()


def _ok(**operation: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, **operation}


_LAUGHS = b"""openapi: 3.1.0
info: {title: T, version: '1'}
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    code: SpecErrorCode
    line: int | None = None
    pointer: str | None = None
    limits: SpecLimits = DEFAULT_SPEC_LIMITS
    content_type: str | None = None


CASES = [
    Case("too large", OPENAPI_31_JSON.read_bytes(), "too_large", limits=SpecLimits(max_bytes=1000)),
    Case("not utf-8", b"openapi: 3.1.0\ninfo: \x80\n", "not_json_or_yaml", line=2),
    Case("bad json", b'{\n  "openapi": "3.1.0",\n  "info": }\n', "not_json_or_yaml", line=3),
    Case("yaml flow mapping, undeclared", b"{openapi: 3.1.0}", "not_json_or_yaml", line=1),
    Case(
        "json declared, yaml sent",
        _HEAD.encode(),
        "not_json_or_yaml",
        line=1,
        content_type="application/json",
    ),
    Case("bad yaml", b"openapi: 3.1.0\ninfo: [a, b\n", "not_json_or_yaml", line=3),
    Case("two yaml documents", b"a: 1\n---\nb: 2\n", "not_json_or_yaml", line=2),
    Case("complex yaml key", b"? [a, b]\n: c\n", "not_json_or_yaml", line=1),
    Case("huge integer", b"openapi: 3.1.0\nn: " + b"9" * 5000 + b"\n", "not_json_or_yaml", line=2),
    Case("huge json integer", b'{"n": ' + b"9" * 5000 + b"}", "not_json_or_yaml"),
    Case(
        "duplicate yaml key", b"openapi: 3.1.0\ninfo: {}\nopenapi: 3.0.0\n", "duplicate_key", line=3
    ),
    Case("duplicate json key", b'{"openapi": "3.1.0", "openapi": "3.0.0"}', "duplicate_key"),
    Case("alias bomb", _LAUGHS, "too_complex"),
    Case("recursive alias", b"a: &a [*a]\n", "too_complex", line=1),
    Case("deep json", b"[" * 100 + b"]" * 100, "too_complex"),
    Case("very deep json", b"[" * 100_000 + b"]" * 100_000, "too_complex"),
    Case("deep yaml", b"a: " + b"[" * 100 + b"]" * 100, "too_complex", line=1),
    Case("very deep yaml", b"a: " + b"[" * 5000, "too_complex", line=1),
    Case(
        "many values",
        json.dumps(list(range(50))).encode(),
        "too_complex",
        limits=SpecLimits(max_nodes=20),
    ),
    Case(
        "many operations",
        OPENAPI_31_JSON.read_bytes(),
        "too_complex",
        line=125,
        pointer="/paths/~1parcels~1{parcelId}/get",
        limits=SpecLimits(max_operations=2),
    ),
    Case("empty", b"", "not_openapi", line=1),
    Case("a list", b"- openapi\n- 3.1.0\n", "not_openapi", line=1),
    Case(
        "no openapi field", b"info: {title: T, version: '1'}\n", "not_openapi", line=1, pointer=""
    ),
    Case(
        "swagger 2.0",
        b'{\n  "swagger": "2.0",\n  "info": {}\n}',
        "unsupported_version",
        line=2,
        pointer="/swagger",
    ),
    Case(
        "openapi 3.2",
        b"openapi: 3.2.0\ninfo: {title: T, version: '1'}\n",
        "unsupported_version",
        line=1,
        pointer="/openapi",
    ),
    Case(
        "openapi as a number", b"openapi: 3.1\n", "unsupported_version", line=1, pointer="/openapi"
    ),
    Case("no info", b"openapi: 3.1.0\n", "invalid_info", pointer="/info"),
    Case(
        "title not text",
        b"openapi: 3.0.0\ninfo:\n  title: [T]\n  version: '1'\n",
        "invalid_info",
        line=3,
        pointer="/info/title",
    ),
    Case(
        "no version",
        b"openapi: 3.0.0\ninfo:\n  title: T\n",
        "invalid_info",
        pointer="/info/version",
    ),
    Case(
        "3.0 without paths",
        b"openapi: 3.0.3\ninfo: {title: T, version: '1'}\n",
        "invalid_paths",
        pointer="",
    ),
    Case(
        "paths a list",
        (_HEAD + "paths: [/a]\n").encode(),
        "invalid_paths",
        line=3,
        pointer="/paths",
    ),
    Case(
        "path without slash",
        (_HEAD + "paths:\n  a: {}\n").encode(),
        "invalid_paths",
        line=4,
        pointer="/paths/a",
    ),
    Case("path item a list", _json({"/a": []}), "invalid_paths", line=8, pointer="/paths/~1a"),
    Case(
        "operation a string",
        _json({"/a": {"get": "x"}}),
        "invalid_paths",
        line=9,
        pointer="/paths/~1a/get",
    ),
    Case(
        "upper-case method",
        (_HEAD + "paths:\n  /a:\n    GET: {}\n").encode(),
        "invalid_paths",
        line=5,
        pointer="/paths/~1a/GET",
    ),
    Case(
        "empty operationId",
        _json({"/a": {"get": _ok(operationId=" ")}}),
        "invalid_paths",
        pointer="/paths/~1a/get/operationId",
    ),
    Case(
        "tags not a list",
        _json({"/a": {"get": _ok(tags="x")}}),
        "invalid_paths",
        pointer="/paths/~1a/get/tags",
    ),
    Case(
        "parameters not a list",
        _json({"/a": {"parameters": {}, "get": _ok()}}),
        "invalid_paths",
        pointer="/paths/~1a/parameters",
    ),
    Case(
        "parameter without in",
        _json({"/a": {"get": _ok(parameters=[{"name": "q"}])}}),
        "invalid_paths",
        pointer="/paths/~1a/get/parameters/0",
    ),
    Case(
        "security not a list",
        _json({"/a": {"get": _ok()}}, security={"oauth": []}),
        "invalid_security",
        pointer="/security",
    ),
    Case(
        "requirement not an object",
        _json({"/a": {"get": _ok(security=["oauth"])}}),
        "invalid_security",
        pointer="/paths/~1a/get/security/0",
    ),
    Case(
        "scopes not a list",
        _json({"/a": {"get": _ok(security=[{"oauth": "read"}])}}),
        "invalid_security",
        pointer="/paths/~1a/get/security/0/oauth",
    ),
    Case(
        "duplicate operationId",
        (
            _HEAD
            + "paths:\n  /a:\n    get: {operationId: x}\n  /b:\n    post:\n      operationId: x\n"
        ).encode(),
        "duplicate_operation_id",
        line=8,
        pointer="/paths/~1b/post/operationId",
    ),
    Case(
        "duplicate json operationId",
        _json({"/a": {"get": _ok(operationId="x")}, "/b": {"get": _ok(operationId="x")}}),
        "duplicate_operation_id",
        line=25,
        pointer="/paths/~1b/get/operationId",
    ),
    Case(
        "operationId equal to a synthetic id",
        _json({"/a": {"get": _ok(), "post": _ok(operationId="GET /a")}}),
        "duplicate_operation_id",
        pointer="/paths/~1a/post/operationId",
    ),
    Case(
        "missing ref target",
        (
            _HEAD
            + "paths:\n  /a:\n    get:\n      responses:\n"
            + "        '200': {$ref: '#/components/responses/Nope'}\n"
        ).encode(),
        "bad_ref",
        line=7,
        pointer="/paths/~1a/get/responses/200/$ref",
    ),
    Case(
        "external ref",
        _json({"/a": {"get": _ok(requestBody={"$ref": "bodies.yaml#/New"})}}),
        "bad_ref",
        pointer="/paths/~1a/get/requestBody/$ref",
    ),
    Case(
        "anchor ref",
        _json({"/a": {"get": _ok(requestBody={"$ref": "#new"})}}),
        "bad_ref",
        pointer="/paths/~1a/get/requestBody/$ref",
    ),
    Case(
        "ref not text",
        _json({"/a": {"get": _ok(requestBody={"$ref": 1})}}),
        "bad_ref",
        pointer="/paths/~1a/get/requestBody/$ref",
    ),
    Case(
        "ref into a list past its end",
        _json({"/a": {"get": _ok(requestBody={"$ref": "#/servers/3"})}}, servers=[]),
        "bad_ref",
        pointer="/paths/~1a/get/requestBody/$ref",
    ),
    Case(
        "path item ref to text",
        _json({"/a": {"$ref": "#/info/title"}}),
        "invalid_paths",
        pointer="/paths/~1a",
    ),
    Case(
        "path item ref loop",
        _json({"/a": {"$ref": "#/paths/~1b"}, "/b": {"$ref": "#/paths/~1a"}}),
        "bad_ref",
    ),
    Case(
        "undefined security scheme",
        _json({"/a": {"get": _ok(security=[{"nope": []}])}}),
        "bad_ref",
        pointer="/paths/~1a/get/security/0/nope",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refusals(case: Case) -> None:
    # Each refusal comes from a limit (bytes, nodes, aliases, steps), so it is quick by
    # construction; the hang guard is pytest-timeout's, not a clock here.
    with pytest.raises(SpecError) as caught:
        parse_openapi(case.data, content_type=case.content_type, limits=case.limits)
    error = caught.value
    assert isinstance(error, FormatError)
    assert isinstance(error, ValueError)
    assert error.code == case.code, error
    assert error.message
    if case.line is not None:
        assert error.line == case.line, error
    if case.pointer is not None:
        assert error.pointer == case.pointer, error


def test_every_code_is_exercised() -> None:
    assert {c.code for c in CASES} == set(typing.get_args(SpecErrorCode))


def test_swagger_is_refused_with_advice() -> None:
    with pytest.raises(SpecError) as caught:
        parse_openapi(b"swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}\n")
    assert "OpenAPI 3" in caught.value.message
    assert str(caught.value) == f"{caught.value.message} (line 1)"


def test_json_syntax_errors_have_a_column() -> None:
    with pytest.raises(SpecError) as caught:
        parse_openapi(b'{"openapi": "3.1.0",, }')
    assert (caught.value.line, caught.value.column) == (1, 21)


def test_the_fixtures_parse_within_the_default_limits() -> None:
    assert parse_openapi(OPENAPI_30_YAML.read_bytes()).operations
    assert parse_openapi(OPENAPI_31_JSON.read_bytes()).operations
