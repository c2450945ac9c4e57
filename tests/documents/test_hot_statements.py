"""SQL statements per hot request, counted on the engine (issue 16; design §10.4).

The counts are deterministic, so these are not timing tests: a change that adds a query to
a hot path fails here and has to say why in design §10.4. Transaction control (BEGIN,
SAVEPOINT, RELEASE, ROLLBACK: the test's own savepoints on SQLite) is not counted.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.config import Settings
from tests.documents.conftest import docs_url, import_md
from tests.support.identity import Actor
from tests.support.statements import counted


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The access cache kept for the whole test: with its 5 s TTL, a loaded machine let the
    entries from the import lapse between a warm-up GET and the counted one (2 statements
    more, once, at load 18); what is counted here is the cached path."""
    auth = settings.auth.model_copy(update={"access_cache_ttl_s": 300.0})
    return settings.model_copy(update={"auth": auth})


async def _document(client: httpx.AsyncClient, owner: Actor, filled: str) -> str:
    created = await import_md(client, owner, filled)
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


async def test_a_cached_document_read_is_one_select(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    key = await _document(client, owner, filled)
    url = docs_url(owner, f"/{key}")
    for accept in ("application/json", "text/markdown"):
        first = await client.get(url, headers=owner.headers | {"Accept": accept})
        assert first.status_code == 200
        with counted(engine) as statements:
            again = await client.get(url, headers=owner.headers | {"Accept": accept})
        assert again.status_code == 200
        assert again.content == first.content
        # The document's row (its head, status and title key the cached bytes).
        assert len(statements) == 1, statements


async def test_a_304_is_one_select(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    key = await _document(client, owner, filled)
    url = docs_url(owner, f"/{key}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    with counted(engine) as statements:
        response = await client.get(url, headers=owner.headers | {"If-None-Match": etag})
    assert response.status_code == 304
    assert len(statements) == 1, statements


async def test_a_list_is_one_select(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    for _ in range(3):
        await _document(client, owner, filled)
    await client.get(docs_url(owner, "?limit=50"), headers=owner.headers)
    with counted(engine) as statements:
        listed = await client.get(docs_url(owner, "?limit=50"), headers=owner.headers)
    assert len(listed.json()["items"]) == 3
    assert len(statements) == 1, statements


async def test_a_section_put_sends_what_design_10_4_lists(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    key = await _document(client, owner, filled)
    sections = (await client.get(docs_url(owner, f"/{key}/sections"), headers=owner.headers)).json()
    target = sections[3]["id"]
    url = docs_url(owner, f"/{key}/sections/{target}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    with counted(engine) as statements:
        put = await client.put(
            url, json={"body": "Counted."}, headers=owner.headers | {"If-Match": etag}
        )
    assert put.status_code == 200, put.text
    assert len(statements) == PUT_STATEMENTS, "\n".join(statements)


async def test_a_document_creation_sends_what_design_10_4_lists(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor
) -> None:
    """A write's statements are its round trips: on a distant database each costs one (issue
    11 row 2). A new document's registers are empty, so they are not read at all."""
    await client.post(docs_url(owner, ""), json={"title": "warm"}, headers=owner.headers)
    with counted(engine) as statements:
        created = await client.post(
            docs_url(owner, ""),
            json={"title": "Counted"},
            headers=owner.headers | {"Idempotency-Key": "counted"},
        )
    assert created.status_code == 201, created.text
    assert not any("FROM register_item" in s for s in statements), statements
    assert len(statements) == CREATE_STATEMENTS, "\n".join(statements)


# Each is justified in design §10.4; lowering it is welcome, raising it needs a reason there.
PUT_STATEMENTS = 24
CREATE_STATEMENTS = 33


async def test_the_lean_path_answers_as_the_declared_route(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    """A read with no query parameter is answered by the lean resolver (core.routing.lean),
    one with ``format`` by the route as FastAPI solves it: the same bytes, headers and
    statements, and the same refusals."""
    key = await _document(client, owner, filled)
    url = docs_url(owner, f"/{key}")
    for accept, fmt in (("application/json", "json"), ("text/markdown", "markdown")):
        headers = owner.headers | {"Accept": accept}
        await client.get(url, headers=headers)
        with counted(engine) as lean_statements:
            lean = await client.get(url, headers=headers)
        with counted(engine) as declared_statements:
            declared = await client.get(url, params={"format": fmt}, headers=headers)
        assert lean.status_code == declared.status_code == 200
        assert lean.content == declared.content
        for name in ("etag", "content-type", "content-encoding", "vary", "cache-control"):
            assert lean.headers.get(name) == declared.headers.get(name), name
        assert len(lean_statements) == len(declared_statements) == 1
    anonymous = await client.get(url)
    assert anonymous.status_code == 401
    assert (
        anonymous.json()["code"]
        == (await client.get(url, params={"format": "json"})).json()["code"]
    )
    too_long = await client.get(f"/v1/orgs/{'x' * 64}/documents/{key}", headers=owner.headers)
    assert too_long.status_code == 422
    missing = await client.get(docs_url(owner, "/DD-999999"), headers=owner.headers)
    assert missing.status_code == 404


async def test_the_lean_list_answers_as_the_declared_route(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Actor, filled: str
) -> None:
    """``?limit=`` alone is listed by the lean resolver, with a filter by the route as FastAPI
    solves it: the same bytes and statements; a limit the route refuses is still refused."""
    for _ in range(3):
        await _document(client, owner, filled)
    url = docs_url(owner, "")
    await client.get(url, params={"limit": 2}, headers=owner.headers)
    with counted(engine) as lean_statements:
        lean = await client.get(url, params={"limit": 2}, headers=owner.headers)
    with counted(engine) as declared_statements:
        declared = await client.get(
            url, params={"limit": 2, "archived": "false"}, headers=owner.headers
        )
    assert lean.status_code == declared.status_code == 200
    assert lean.content == declared.content
    assert lean.headers["content-type"] == declared.headers["content-type"]
    assert len(lean.json()["items"]) == 2
    assert lean.json()["next_cursor"]
    assert len(lean_statements) == len(declared_statements) == 1
    for refused in ("0", "201", "x"):
        answer = await client.get(url, params={"limit": refused}, headers=owner.headers)
        assert answer.status_code == 422, refused
    assert (await client.get(url)).status_code == 401
