"""Cheap requests that used to be 500s (issue 17, items 1-3): integers the database cannot
hold, text it cannot store, cursors with any bytes. Each is a 4xx that names the field."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.core.bounds import DB_INT_MAX
from signoff.core.db import ValueNotStorableError, classify_db_error
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, sign_up

pytestmark = pytest.mark.requirement("REQ-005")

HUGE = "99999999999999999999999"


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Actor:
    actor = await sign_up(client)
    created = await client.post(
        f"/v1/orgs/{actor.orgs[0]}/documents", json={"title": "Edges"}, headers=actor.headers
    )
    assert created.status_code == 201, created.text
    return actor


def _where(response: httpx.Response) -> list[str]:
    return [e.get("parameter") or e.get("pointer") for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("suffix", "parameter"),
    [
        (f"/revisions/{HUGE}", "revision"),
        (f"/revisions/{DB_INT_MAX + 1}", "revision"),  # PostgreSQL's integer ends here
        (f"/diff?from=1&to={HUGE[:20]}", "to"),
        (f"/diff?from={DB_INT_MAX + 1}", "from"),
        (f"?revision={DB_INT_MAX + 1}", "revision"),
        ("?version=1.99999999999", "version"),
        (f"/lint?revision={HUGE}", "revision"),
        (f"/reviews?round={HUGE}", "round"),
    ],
)
async def test_integers_beyond_the_database_are_422_not_500(
    client: httpx.AsyncClient, owner: Actor, suffix: str, parameter: str
) -> None:
    response = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/documents/DD-1{suffix}", headers=owner.headers
    )
    assert_problem(response, 422, "validation_failed")
    assert _where(response) == [parameter]


async def test_the_largest_integer_the_database_holds_is_just_not_found(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    response = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/documents/DD-1/revisions/{DB_INT_MAX}", headers=owner.headers
    )
    assert_problem(response, 404, "revision_not_found")


async def test_integers_in_bodies_are_bounded_too(client: httpx.AsyncClient, owner: Actor) -> None:
    org = owner.orgs[0]
    review = await client.post(
        f"/v1/orgs/{org}/documents/DD-1/reviews",
        json={"verdict": "comment", "revision": 2**64},
        headers=owner.headers,
    )
    assert_problem(review, 422, "validation_failed")
    assert _where(review) == ["/revision"]


def test_every_integer_a_request_carries_is_bounded_in_the_openapi_document(
    app: FastAPI,
) -> None:
    """The rule behind the cases above, for every route, present and future: a conformance
    run generating from the OpenAPI document finds no integer the database cannot hold."""
    schema = app.openapi()
    unbounded = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                for where in _integers(parameter.get("schema", {}), schema):
                    if where.get("maximum", DB_INT_MAX + 1) > DB_INT_MAX:
                        unbounded.append(f"{method} {path} {parameter['name']}")
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                for where in _integers(media.get("schema", {}), schema):
                    if where.get("maximum", DB_INT_MAX + 1) > DB_INT_MAX:
                        unbounded.append(f"{method} {path} body")
    assert unbounded == []


def _integers(node: Any, root: dict[str, Any], seen: frozenset[str] = frozenset()) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                return []
            target: Any = root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return _integers(target, root, seen | {ref})
        if node.get("type") == "integer":
            found.append(node)
        for value in node.values():
            found.extend(_integers(value, root, seen))
    elif isinstance(node, list):
        for value in node:
            found.extend(_integers(value, root, seen))
    return found


async def test_nul_in_the_unauthenticated_token_request_is_422(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "a\x00@example.com", "password": "x"},
    )
    assert_problem(response, 422, "validation_failed")
    assert _where(response) == ["/username"]
    assert "U+0000" in response.json()["detail"]


async def test_nul_in_signup_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/signup",
        json={
            "email": "nul@example.com",
            "password": "correct horse battery staple",
            "name": "Nul\x00Person",
            "org_name": "Org",
            "org_slug": "nul-org",
        },
    )
    assert_problem(response, 422, "validation_failed")
    assert _where(response) == ["/name"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "pointer"),
    [
        ("POST", "/teams", {"slug": "sec", "name": "Sec\x00"}, "/name"),
        ("POST", "/documents", {"title": "a\x00"}, "/title"),
        ("POST", "/api-keys", {"name": "k\x00", "scopes": ["documents:read"]}, "/name"),
        (
            "POST",
            "/webhooks",
            {"url": "https://example.com/h", "event_types": ["*"], "description": "\x00"},
            "/description",
        ),
        ("POST", "/documents/DD-1/comments", {"section": "1.1", "body": "hi\x00"}, "/body"),
        ("POST", "/documents", b'{"title": "lone \\ud800 surrogate"}', "/title"),
        ("POST", "/documents", {"title": "fine", "\x00": 1}, "/\x00"),
    ],
)
async def test_nul_in_any_json_text_field_is_422_naming_it(
    client: httpx.AsyncClient,
    owner: Actor,
    method: str,
    suffix: str,
    body: dict[str, Any] | bytes,
    pointer: str,
) -> None:
    # A lone surrogate can only arrive escaped: httpx will not encode one.
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.request(
        method,
        f"/v1/orgs/{owner.orgs[0]}{suffix}",
        content=content,
        headers=owner.headers | {"Content-Type": "application/json"},
    )
    assert_problem(response, 422, "validation_failed")
    assert _where(response) == [pointer]
    assert response.json()["errors"][0]["code"] == "string_unstorable"


async def test_nul_in_a_section_body_and_in_markdown_is_422(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    url = f"/v1/orgs/{owner.orgs[0]}/documents/DD-1/sections/1.1"
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    section = await client.put(
        url, json={"body": "Purpose\x00"}, headers=owner.headers | {"If-Match": etag}
    )
    assert_problem(section, 422, "validation_failed")
    assert _where(section) == ["/body"]
    markdown = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/documents",
        content=b"# Title\x00\n",
        headers=owner.headers | {"Content-Type": "text/markdown"},
    )
    assert_problem(markdown, 422, "validation_failed")
    lint = await client.post(
        "/v1/lint",
        content=b"# T\x00",
        headers=owner.headers | {"Content-Type": "text/markdown"},
    )
    assert_problem(lint, 422, "validation_failed")


async def test_nul_in_path_and_query_parameters_is_422(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    in_path = await client.get("/v1/orgs/a%00b/documents", headers=owner.headers)
    assert_problem(in_path, 422, "validation_failed")
    assert _where(in_path) == ["org"]
    in_query = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/search", params={"q": "x\x00"}, headers=owner.headers
    )
    assert_problem(in_query, 422, "validation_failed")
    assert _where(in_query) == ["q"]


async def test_an_escaped_backslash_is_not_mistaken_for_nul(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    response = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/documents",
        content=b'{"title": "C:\\\\u0000 is a path"}',
        headers=owner.headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "C:\\u0000 is a path"


@pytest.mark.parametrize("cursor", ["eyJ4IjoxfQ.%C3%A9", "%F0%9F%98%80.%F0%9F%98%80", "a.b"])
async def test_a_cursor_with_any_bytes_is_400(
    client: httpx.AsyncClient, owner: Actor, cursor: str
) -> None:
    response = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/documents?cursor={cursor}", headers=owner.headers
    )
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("value", "cast"),
    [(2**70, ""), (DB_INT_MAX + 1, "integer"), ("nul\x00", "text"), ("lone \ud800", "text")],
)
async def test_what_the_database_refuses_as_data_is_a_422(
    connection: AsyncConnection, value: object, cast: str
) -> None:
    """The backstop for anything the edge lets through: the backend's own refusal of a
    value (an overflow, a NUL on PostgreSQL, a surrogate) is a 422, not a bug."""
    statement = f"SELECT CAST(:v AS {cast})" if cast else "SELECT :v"
    refused: Exception | None = None
    savepoint = await connection.begin_nested()
    try:
        await connection.execute(text(statement), {"v": value})
    except Exception as exc:
        refused = exc
    finally:
        await savepoint.rollback()
    if refused is None:
        # SQLite stores a NUL, and its integers are 64 bits: nothing to classify.
        assert connection.dialect.name == "sqlite"
    else:
        assert isinstance(classify_db_error(refused), ValueNotStorableError), repr(refused)
