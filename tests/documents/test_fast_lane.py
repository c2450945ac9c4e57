"""The fast lane (core/fastlane.py): what it answers is what the full app answers, byte for
byte and header for header (but ``date`` and the request id), in as many statements; what it
cannot answer for certain goes on to the full app; the request limits, the metrics and the
access cache's revocations hold in it (design §10.6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.app import create_app
from signoff.core.config import RequestLimitSettings, Settings
from signoff.core.db import Database
from signoff.core.fastlane import FastLane
from signoff.core.services import Services
from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, join, sign_up
from tests.support.statements import counted

_VARIES = {"date", "x-request-id"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The access cache kept for the whole test (a loaded machine must not let it lapse)."""
    auth = settings.auth.model_copy(update={"access_cache_ttl_s": 300.0})
    return settings.model_copy(update={"auth": auth})


@pytest.fixture
async def full(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The same server with the fast lane off, on the same database."""
    server = settings.server.model_copy(update={"fast_lane": False})
    app = create_app(settings.model_copy(update={"server": server}), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as c:
        yield c


def lane_of(app: FastAPI) -> FastLane:
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, FastLane):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, FastLane), "the fast lane is not in the stack"
    return layer


async def answered_by_lane(
    app: FastAPI,
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    statements: list[str] | None = None,
) -> httpx.Response:
    """The lane's answer, after a first read that fills this app's caches; the statements
    of the lane's read are added to ``statements``."""
    await client.get(url, headers=headers)
    before = lane_of(app).answered
    engine = Services.of(app).db.primary
    with counted(engine) as seen:
        response = await client.get(url, headers=headers)
    assert lane_of(app).answered == before + 1, "the fast lane did not answer"
    if statements is not None:
        statements += seen
    return response


def same_answer(lane: httpx.Response, full: httpx.Response) -> None:
    assert lane.status_code == full.status_code
    assert lane.content == full.content
    mine = [(k, v) for k, v in lane.headers.multi_items() if k not in _VARIES]
    theirs = [(k, v) for k, v in full.headers.multi_items() if k not in _VARIES]
    assert mine == theirs, (lane.request.headers, mine, theirs)


async def test_the_lane_answers_a_document_read_as_the_full_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    full: httpx.AsyncClient,
    engine: AsyncEngine,
    owner: Actor,
    filled: str,
) -> None:
    created = await import_md(client, owner, filled)
    assert created.status_code == 201, created.text
    url = docs_url(owner, f"/{created.json()['key']}")
    for accept in ("application/json", "text/markdown", "*/*"):
        for encoding in ("gzip", "identity"):
            headers = owner.headers | {"Accept": accept, "Accept-Encoding": encoding}
            etag = (await full.get(url, headers=headers)).headers["etag"]
            # The body, then a 304 for a list of tags that holds the current one.
            for asked in (headers, headers | {"If-None-Match": f'W/"x", {etag}'}):
                lane_statements: list[str] = []
                lane = await answered_by_lane(app, client, url, asked, lane_statements)
                with counted(engine) as full_statements:
                    declared = await full.get(url, headers=asked)
                assert lane.status_code == (200 if asked is headers else 304)
                same_answer(lane, declared)
                # The document's row: one select, as the full app's.
                assert len(lane_statements) == len(full_statements) == 1, lane_statements


async def test_what_the_lane_cannot_answer_goes_to_the_full_app(
    app: FastAPI, client: httpx.AsyncClient, full: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    created = await import_md(client, owner, filled)
    key = created.json()["key"]
    url = docs_url(owner, f"/{key}")
    await client.get(url, headers=owner.headers)
    lane = lane_of(app)
    before = lane.answered
    cases: list[tuple[str, dict[str, str]]] = [
        (url, {}),  # no credentials: 401
        (url, {"Authorization": "Bearer nonsense"}),
        (url, owner.headers | {"Accept": "text/html"}),  # HTML: not kept by the lane
        (url, owner.headers | {"Accept": "image/png"}),  # 406
        (url + "?format=markdown", owner.headers),
        (docs_url(owner, "/DD-999999"), owner.headers),  # 404
        (f"/v1/orgs/{'x' * 64}/documents/{key}", owner.headers),  # 422
        (f"/v1/orgs/nowhere/documents/{key}", owner.headers),  # 404, not cached
    ]
    for target, headers in cases:
        mine, theirs = (
            await client.get(target, headers=headers),
            await full.get(target, headers=headers),
        )
        assert mine.status_code == theirs.status_code, (target, headers, mine.text)
        if mine.headers["content-type"] == "application/problem+json":
            problem, other = mine.json(), theirs.json()
            problem.pop("request_id"), other.pop("request_id")
            assert problem == other
        else:
            assert mine.content == theirs.content
    assert lane.answered == before, "the lane answered what is the full app's"


async def test_the_lane_answers_liveness_as_the_full_app(
    app: FastAPI, client: httpx.AsyncClient, full: httpx.AsyncClient
) -> None:
    lane = await answered_by_lane(app, client, "/health/live", {})
    same_answer(lane, await full.get("/health/live"))
    assert lane.json() == {"status": "pass", "checks": {}}


async def test_requests_the_lane_answers_are_counted_in_the_metrics(
    app: FastAPI, client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    created = await import_md(client, owner, filled)
    url = docs_url(owner, f"/{created.json()['key']}")
    registry = Services.of(app).metrics.registry
    labels = {"method": "GET", "route": "/v1/orgs/{org}/documents/{doc}", "status": "200"}
    await client.get(url, headers=owner.headers)
    before = registry.get_sample_value("signoff_http_requests_total", labels) or 0.0
    await answered_by_lane(app, client, url, owner.headers)
    after = registry.get_sample_value("signoff_http_requests_total", labels)
    assert after == before + 2


async def test_a_revoked_key_and_a_removed_member_are_refused_despite_the_cache(
    app: FastAPI, client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    org = owner.orgs[0]
    created = await import_md(client, owner, filled)
    url = docs_url(owner, f"/{created.json()['key']}")
    key = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "ci", "scopes": ["documents:read"]},
            headers=owner.headers,
        )
    ).json()
    by_key = {"Authorization": f"Bearer {key['secret']}"}
    member = await join(client, owner, org, "member")
    for headers in (by_key, member.headers):
        assert (await answered_by_lane(app, client, url, headers)).status_code == 200
    revoked = await client.delete(f"/v1/orgs/{org}/api-keys/{key['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    assert_problem(await client.get(url, headers=by_key), 401, "invalid_token")
    removed = await client.delete(f"/v1/orgs/{org}/members/{member.user_id}", headers=owner.headers)
    assert removed.status_code == 204
    assert_problem(await client.get(url, headers=member.headers), 404, "org_not_found")


@pytest.fixture
def limited_settings(settings: Settings) -> Settings:
    limits = RequestLimitSettings(reads="5/minute", writes="", org_reads="", org_writes="")
    return settings.model_copy(update={"request_limits": limits})


async def test_the_lane_counts_each_read_once_against_the_request_limits(
    limited_settings: Settings, db: Database
) -> None:
    app = create_app(limited_settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        owner = await sign_up(client)
        created = await import_md(client, owner, "# Limited\n\n## 1. Scope\n\nText.\n")
        assert created.status_code == 201, created.text
        url = docs_url(owner, f"/{created.json()['key']}")
        # sign_up's GET /v1/me is the first read of five; the first read of the document
        # loads the caches (the full app counts it), the next three are the lane's.
        answers = [await client.get(url, headers=owner.headers) for _ in range(5)]
    assert [a.status_code for a in answers[:4]] == [200] * 4, [a.text for a in answers]
    refused = assert_problem(answers[4], 429, "request_limited")
    assert refused["instance"] == url
    assert answers[4].headers["retry-after"]
    assert answers[4].headers["ratelimit-policy"].startswith('"principal-reads";q=5')
    assert lane_of(app).answered >= 3


async def test_the_lane_lists_documents_as_the_full_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    full: httpx.AsyncClient,
    engine: AsyncEngine,
    owner: Actor,
    filled: str,
) -> None:
    for _ in range(3):
        assert (await import_md(client, owner, filled)).status_code == 201
    url = docs_url(owner, "")
    for query in ("?limit=2", "", "?limit=50"):
        lane_statements: list[str] = []
        lane = await answered_by_lane(app, client, url + query, owner.headers, lane_statements)
        await full.get(url + query, headers=owner.headers)  # fills its caches too
        with counted(engine) as full_statements:
            declared = await full.get(url + query, headers=owner.headers)
        assert lane.status_code == 200
        same_answer(lane, declared)
        assert len(lane_statements) == len(full_statements) == 1, lane_statements
    first = (await client.get(url + "?limit=2", headers=owner.headers)).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    # The lane's cursor lists on through the route (a query the lane leaves to it).
    rest = await full.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner.headers
    )
    assert [d["key"] for d in rest.json()["items"]] == ["DD-1"]
    for refused in ("0", "201", "x"):
        mine = await client.get(url, params={"limit": refused}, headers=owner.headers)
        assert mine.status_code == 422, refused
