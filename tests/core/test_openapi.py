"""The OpenAPI document: every error response of every route is a declared problem."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, ServerSettings, Settings
from signoff.core.db import Database
from tests.support.fixtures import assert_problem
from tests.support.identity import sign_up

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
        # 428 only where If-Match is required: test_if_match_is_required_wherever_...
        ("header", "If-Match", {"412": "`precondition_failed`"}),
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


# Issue 17, item 10: the OpenAPI document says what the server enforces, and production can
# keep it to itself.


def test_if_match_is_required_wherever_the_server_answers_428(app: FastAPI) -> None:
    schema = app.openapi()
    checked = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] != "If-Match":
                    continue
                checked += 1
                optional = (path, method) == (
                    "/v1/orgs/{org}/documents/{doc}/comments/{comment_id}",
                    "patch",
                )
                assert parameter["required"] is not optional, (method, path)
                assert ("428" in operation["responses"]) is not optional, (method, path)
                assert "x-signoff-required" not in parameter["schema"]
    assert checked >= 10


async def test_idempotency_key_is_bounded_in_the_document_and_by_the_server(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    [key] = [
        p
        for p in app.openapi()["paths"]["/v1/orgs"]["post"]["parameters"]
        if p["name"] == "idempotency-key"
    ]
    [string] = [s for s in key["schema"]["anyOf"] if s["type"] == "string"]
    assert string["maxLength"] == 255
    assert string["pattern"] == "^[\\x21-\\x7e]+$"
    actor = await sign_up(client)
    for bad in ("k" * 256, "with space", ""):
        response = await client.post(
            "/v1/orgs",
            json={"name": "Idem", "slug": "idem-org"},
            headers=actor.headers | {"Idempotency-Key": bad},
        )
        assert_problem(response, 422, "validation_failed")
        assert response.json()["errors"][0]["parameter"] == "idempotency-key"


async def test_the_api_docs_can_be_turned_off_and_are_off_in_production(
    settings: Settings, db: Database
) -> None:
    off = create_app(
        settings.model_copy(update={"server": ServerSettings(api_docs=False)}), database=db
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=off), base_url="http://t"
    ) as client:
        for path in ("/docs", "/openapi.json"):
            assert_problem(await client.get(path), 404, "not_found")
        assert (await client.get("/health/live")).status_code == 200
    production = Settings(
        env="production",
        secret_key="a-production-secret-of-at-least-32-characters",
        database=DatabaseSettings(url="postgresql+asyncpg://signoff@db.internal/signoff"),
    )
    assert production.api_docs is False
    assert settings.api_docs is True
