"""The OpenAPI document: every error response of every route is a declared problem."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.requirement("REQ-002")

METHODS = ("get", "put", "post", "delete", "patch")


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    schema = app.openapi()
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_error_response_is_problem_json(app: FastAPI, probe: FastAPI) -> None:
    for each in (app, probe):
        ops = operations(each)
        assert ops
        for path, method, op in ops:
            responses = op["responses"]
            assert isinstance(responses, dict)
            assert "500" in responses, f"{method} {path} does not declare 500"
            for status, response in responses.items():
                if int(status) >= 400 and not path.startswith("/health"):
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }


def test_routes_with_bodies_declare_body_problems(probe: FastAPI) -> None:
    op = probe.openapi()["paths"]["/probe/shape"]["post"]
    assert {"400", "413", "415", "422", "500"} <= set(op["responses"])


def test_no_fastapi_default_error_schemas(app: FastAPI, probe: FastAPI) -> None:
    for each in (app, probe):
        schemas = each.openapi()["components"]["schemas"]
        assert "HTTPValidationError" not in schemas
        assert "Problem" in schemas
        assert "ProblemError" in schemas


def test_operation_ids_are_the_route_function_names(app: FastAPI) -> None:
    ids = [op["operationId"] for _, _, op in operations(app)]
    assert len(ids) == len(set(ids)) > 20
    assert {"get_readiness", "get_document", "create_trace_link"} <= set(ids)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids


@pytest.mark.parametrize(
    ("where", "name", "implied"),
    [
        ("query", "cursor", {"400": "`invalid_cursor`"}),
        ("header", "If-Match", {"412": "`precondition_failed`", "428": "`precondition_required`"}),
    ],
)
def test_parameters_imply_their_problems(
    app: FastAPI, where: str, name: str, implied: dict[str, str]
) -> None:
    taking = [
        (path, op)
        for path, _, op in operations(app)
        if any(p["name"] == name and p["in"] == where for p in op.get("parameters", []))
    ]
    assert len(taking) > 5
    for path, op in taking:
        for status, code in implied.items():
            assert code in op["responses"][status]["description"], (path, status)


def test_health_documents_its_own_media_type(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path, statuses in (("/health/live", ["200"]), ("/health/ready", ["200", "503"])):
        responses = paths[path]["get"]["responses"]
        for status in statuses:
            assert list(responses[status]["content"]) == ["application/health+json"], path
