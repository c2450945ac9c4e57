"""An organization's own request budgets (design §10.5): admins set them, every caller of the
organization is counted against them together, and they only tighten the server's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import RequestLimitSettings, Settings
from signoff.core.db import Database
from tests.core.test_metrics import samples
from tests.core.test_request_limits import away_from_the_window_edge
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, join, sign_up

# The server's budgets stay out of the way; the organization's are what is tested.
SERVER = RequestLimitSettings(reads="", writes="", org_reads="6000/minute", org_writes="")


@pytest.fixture
def limited_app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings.model_copy(update={"request_limits": SERVER}), database=db)


@pytest.fixture
async def client(limited_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def url(org: str) -> str:
    return f"/v1/orgs/{org}/request-limits"


async def put(
    client: httpx.AsyncClient, actor: Actor, org: str, body: object, etag: str | None
) -> httpx.Response:
    headers = actor.headers | ({"If-Match": etag} if etag else {})
    return await client.put(url(org), json=body, headers=headers)


async def test_an_admin_sets_the_budgets_and_members_read_them(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    first = await client.get(url(org), headers=member.headers)
    assert first.status_code == 200
    assert first.json() == {
        "reads_per_minute": None,
        "writes_per_minute": None,
        "server_reads": "6000/minute",
        "server_writes": "",
    }
    body = {"reads_per_minute": 600, "writes_per_minute": None}
    assert_problem(await put(client, owner, org, body, None), 428, "precondition_required")
    assert_problem(
        await put(client, member, org, body, first.headers["etag"]), 403, "insufficient_role"
    )
    saved = await put(client, owner, org, body, first.headers["etag"])
    assert saved.status_code == 200, saved.text
    assert saved.json()["reads_per_minute"] == 600
    assert saved.headers["etag"] != first.headers["etag"]
    assert_problem(
        await put(client, owner, org, body, first.headers["etag"]), 412, "precondition_failed"
    )
    again = await client.get(url(org), headers=member.headers)
    assert again.json()["reads_per_minute"] == 600
    assert again.headers["etag"] == saved.headers["etag"]


@pytest.mark.parametrize(
    "body",
    [
        {"reads_per_minute": 0, "writes_per_minute": None},
        {"reads_per_minute": None, "writes_per_minute": -5},
        {"reads_per_minute": 1_000_001, "writes_per_minute": None},
        {"reads_per_minute": "many", "writes_per_minute": None},
        {"reads_per_minute": 1.5, "writes_per_minute": None},
        {"reads_per_minute": 10},
    ],
)
async def test_a_budget_out_of_bounds_is_a_422_problem(
    client: httpx.AsyncClient, body: object
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    etag = (await client.get(url(org), headers=owner.headers)).headers["etag"]
    problem = assert_problem(await put(client, owner, org, body, etag), 422, "validation_failed")
    assert problem["errors"]


async def test_the_organizations_callers_share_its_budget_at_once(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    member = await join(client, owner, owner.orgs[0], "member")
    etag = (await client.get(url(owner.orgs[0]), headers=owner.headers)).headers["etag"]
    body = {"reads_per_minute": 4, "writes_per_minute": None}
    saved = await put(client, owner, owner.orgs[0], body, etag)
    assert saved.status_code == 200
    org = f"/v1/orgs/{owner.orgs[0]}"
    # Counted from the change on, in this process at once: four reads of the organization,
    # by either caller, then the fifth is refused, to both.
    for actor in (owner, member, owner, member):
        assert (await client.get(org, headers=actor.headers)).status_code == 200
    refused = await client.get(org, headers=member.headers)
    problem = assert_problem(refused, 429, "request_limited")
    assert "organization may send 4 reads per 60 s" in str(problem["detail"])
    assert refused.headers["RateLimit-Policy"] == '"org-own-reads";q=4;w=60'
    assert (await client.get(org, headers=owner.headers)).status_code == 429
    # Writes have no budget of the organization's own, nor of the server's here.
    made = await client.post(
        f"{org}/teams", json={"slug": "dba", "name": "DBA"}, headers=owner.headers
    )
    assert made.status_code == 201
    # Another organization is not held back.
    other = await sign_up(client)
    assert (await client.get(f"/v1/orgs/{other.orgs[0]}", headers=other.headers)).status_code == 200
    scraped = samples((await client.get("/metrics")).text)
    assert (
        scraped[("signoff_request_limit_refusals_total", (("kind", "reads"), ("scope", "org")))]
        == 2
    )


__all__ = ["away_from_the_window_edge"]  # the fixture: counts stay in one window
