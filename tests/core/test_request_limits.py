"""Request limits per authenticated caller and per organization (design §10.5): in the
process, and in the real Redis on 127.0.0.1:6379 shared by every instance."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import RedisSettings, RequestLimitSettings, Settings
from signoff.core.db import Database
from tests.accounts.test_throttle_redis import REDIS, keys_under, prefix
from tests.core.test_metrics import samples
from tests.support.fixtures import assert_problem
from tests.support.identity import api_key, join, sign_up, unique

# sign_up reads /v1/me once: each caller starts with one read counted.
TIGHT = RequestLimitSettings(reads="3/minute", writes="100/minute", org_reads="", org_writes="")


@pytest.fixture(autouse=True)
async def away_from_the_window_edge() -> None:
    """The sliding windows are aligned on the minute: a test that crosses into the next one
    sees its earlier requests weighted down (by design) and its counts shift. Tests take a
    few seconds; near the edge they wait for the next minute."""
    left = 60 - time.time() % 60
    if left < 10:
        await asyncio.sleep(left + 0.2)


def limited(
    settings: Settings, db: Database, limits: RequestLimitSettings, redis: RedisSettings
) -> FastAPI:
    update = {"request_limits": limits, "redis": redis}
    return create_app(settings.model_copy(update=update), database=db)


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(limited(settings, db, TIGHT, RedisSettings())) as c:
        yield c


async def test_a_caller_over_its_read_budget_gets_429_with_the_headers(
    client: httpx.AsyncClient,
) -> None:
    owner, other = await sign_up(client), await sign_up(client)
    for _ in range(2):
        assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200
    refused = await client.get("/v1/me", headers=owner.headers)
    body = assert_problem(refused, 429, "request_limited")
    assert "3 reads per 60 s" in str(body["detail"])
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 61
    assert refused.headers["ratelimit-policy"] == '"principal-reads";q=3;w=60'
    assert refused.headers["ratelimit"] == f'"principal-reads";r=0;t={retry_after}'
    # Per caller: another caller still reads; writes have their own budget.
    assert (await client.get("/v1/me", headers=other.headers)).status_code == 200
    created = await client.post(
        "/v1/orgs",
        json={"name": "Second", "slug": f"o-{uuid.uuid4().hex[:8]}"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    scraped = samples((await client.get("/metrics")).text)
    refusals = (("kind", "reads"), ("scope", "principal"))
    assert scraped[("signoff_request_limit_refusals_total", refusals)] == 1


async def test_an_organization_has_a_budget_shared_by_its_members(
    settings: Settings, db: Database
) -> None:
    org_limit = RequestLimitSettings(
        reads="100/minute", writes="100/minute", org_reads="3/minute", org_writes=""
    )
    async with client_of(limited(settings, db, org_limit, RedisSettings())) as client:
        owner = await sign_up(client)
        org = owner.orgs[0]
        member = await join(client, owner, org, "member")
        for who in (owner, member, owner):
            assert (await client.get(f"/v1/orgs/{org}", headers=who.headers)).status_code == 200
        refused = await client.get(f"/v1/orgs/{org}", headers=member.headers)
        assert_problem(refused, 429, "request_limited")
        assert refused.headers["ratelimit-policy"] == '"org-reads";q=3;w=60'
        # Outside the organization the member's own budget is untouched.
        assert (await client.get("/v1/me", headers=member.headers)).status_code == 200


async def test_no_limit_when_the_setting_is_empty(settings: Settings, db: Database) -> None:
    unlimited = RequestLimitSettings(reads="", writes="", org_reads="", org_writes="")
    async with client_of(limited(settings, db, unlimited, RedisSettings())) as client:
        owner = await sign_up(client)
        for _ in range(5):
            assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200


async def test_instances_share_the_budget_in_redis(
    settings: Settings, db: Database, prefix: str
) -> None:
    shared = RedisSettings(url=REDIS, key_prefix=prefix)
    first, second = limited(settings, db, TIGHT, shared), limited(settings, db, TIGHT, shared)
    async with client_of(first) as client:
        owner = await sign_up(client)
        assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200
    async with client_of(second) as client:
        assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200
        assert_problem(await client.get("/v1/me", headers=owner.headers), 429, "request_limited")
    assert await keys_under(prefix), "the counts are in Redis"
    # The control: an instance counting alone has seen none of these reads.
    async with client_of(limited(settings, db, TIGHT, RedisSettings())) as client:
        assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200


__all__ = ["prefix"]  # the fixture: a Redis key prefix of the test's own


async def test_answers_that_are_not_refused_carry_the_ratelimit_headers(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)  # its first read of /v1/me: 2 of 3 left
    answered = await client.get("/v1/me", headers=owner.headers)
    assert answered.status_code == 200
    assert answered.headers["ratelimit-policy"] == '"principal-reads";q=3;w=60'
    remaining, reset = answered.headers["ratelimit"].removeprefix('"principal-reads";').split(";")
    assert remaining == "r=1"
    assert 1 <= int(reset.removeprefix("t=")) <= 60
    # Writes are counted against their own budget, and say so.
    created = await client.post(
        "/v1/orgs", json={"name": "Second", "slug": unique("o")}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    assert created.headers["ratelimit-policy"] == '"principal-writes";q=100;w=60'
    assert created.headers["ratelimit"].startswith('"principal-writes";r=99;t=')
    # An anonymous request is counted against nothing, and claims no budget.
    assert "ratelimit" not in (await client.get("/health/live")).headers


ORG_ONLY = RequestLimitSettings(reads="", writes="", org_reads="4/minute", org_writes="")


async def mixed_traffic_shares_one_budget(client: httpx.AsyncClient) -> None:
    """A member naming the organization by its slug (a route's {org}) and an API key of the
    organization on a route without one (counted under the key's organization id) spend the
    same budget: with two counter sets the fifth read would pass."""
    owner = await sign_up(client)
    org = owner.orgs[0]
    made = await api_key(client, owner, org, ["documents:read"])
    key = {"Authorization": f"Bearer {made['secret']}"}
    by_slug = await client.get(f"/v1/orgs/{org}", headers=owner.headers)
    assert by_slug.status_code == 200
    assert by_slug.headers["ratelimit"].startswith('"org-reads";r=3;')
    by_id = await client.get("/v1/me", headers=key)
    assert by_id.status_code == 200, by_id.text
    assert by_id.headers["ratelimit"].startswith('"org-reads";r=2;'), "one counter, not two"
    assert (await client.get(f"/v1/orgs/{org}", headers=owner.headers)).status_code == 200
    assert (await client.get("/v1/me", headers=key)).status_code == 200
    assert_problem(
        await client.get(f"/v1/orgs/{org}", headers=owner.headers), 429, "request_limited"
    )
    assert_problem(await client.get("/v1/me", headers=key), 429, "request_limited")


async def test_an_organization_is_one_budget_by_slug_or_by_api_key(
    settings: Settings, db: Database
) -> None:
    async with client_of(limited(settings, db, ORG_ONLY, RedisSettings())) as client:
        await mixed_traffic_shares_one_budget(client)


async def test_an_organization_is_one_budget_in_redis_too(
    settings: Settings, db: Database, prefix: str
) -> None:
    shared = RedisSettings(url=REDIS, key_prefix=prefix)
    async with client_of(limited(settings, db, ORG_ONLY, shared)) as client:
        await mixed_traffic_shares_one_budget(client)
    assert await keys_under(prefix), "the counts are in Redis"
