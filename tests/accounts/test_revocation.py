"""Revocation is immediate (issue 17, item 8): signing out, revoking a token and the reuse of
a refresh token end the session, and its access tokens are refused on the next request,
on every instance (the revocation list, shared through Redis when configured)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from signoff.accounts.runtime import AccountsRuntime
from signoff.app import create_app
from signoff.core.config import RedisSettings, Settings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.support.fixtures import assert_problem
from tests.support.identity import sign_in, sign_up
from tests.support.server import free_port

pytestmark = pytest.mark.requirement("REQ-003")

REDIS = "redis://127.0.0.1:6379/0"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/me", headers=bearer(token))


def assert_revoked(response: httpx.Response) -> None:
    assert_problem(response, 401, "session_revoked")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_signing_out_refuses_the_access_token_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    actor = await sign_up(client)
    assert (await me(client, actor.token)).status_code == 200
    out = await client.post("/v1/auth/logout", headers=actor.headers)
    assert out.status_code == 204, out.text
    assert_revoked(await me(client, actor.token))
    refreshed = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": actor.refresh_token}
    )
    assert_problem(refreshed, 400, "invalid_grant")


async def test_revoking_the_refresh_token_refuses_its_access_tokens(
    client: httpx.AsyncClient,
) -> None:
    actor = await sign_up(client)
    revoked = await client.post("/v1/auth/revoke", data={"token": actor.refresh_token})
    assert revoked.status_code == 200
    assert_revoked(await me(client, actor.token))


async def test_revoking_an_access_token_ends_its_session(client: httpx.AsyncClient) -> None:
    actor = await sign_up(client)
    revoked = await client.post(
        "/v1/auth/revoke", data={"token": actor.token, "token_type_hint": "access_token"}
    )
    assert revoked.status_code == 200
    assert_revoked(await me(client, actor.token))


async def test_reuse_of_a_refresh_token_refuses_every_access_token_of_the_family(
    client: httpx.AsyncClient,
) -> None:
    actor = await sign_up(client)
    rotated = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": actor.refresh_token}
    )
    assert rotated.status_code == 200, rotated.text
    newer = rotated.json()["access_token"]
    assert (await me(client, newer)).status_code == 200
    reused = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": actor.refresh_token}
    )
    assert_problem(reused, 400, "invalid_grant")
    assert_revoked(await me(client, actor.token))
    assert_revoked(await me(client, newer))


async def test_other_sessions_of_the_same_person_keep_working(client: httpx.AsyncClient) -> None:
    actor = await sign_up(client)
    laptop = (await sign_in(client, actor.email))["access_token"]
    assert (await client.post("/v1/auth/logout", headers=actor.headers)).status_code == 204
    assert_revoked(await me(client, actor.token))
    assert (await me(client, laptop)).status_code == 200


async def test_machine_credentials_have_no_session_to_end(client: httpx.AsyncClient) -> None:
    actor = await sign_up(client)
    key = await client.post(
        f"/v1/orgs/{actor.orgs[0]}/api-keys",
        json={"name": "ci", "scopes": ["documents:read"]},
        headers=actor.headers,
    )
    assert key.status_code == 201, key.text
    refused = await client.post("/v1/auth/logout", headers=bearer(key.json()["secret"]))
    assert_problem(refused, 400, "no_session")


@asynccontextmanager
async def instance(
    settings: Settings, db: Database, redis: RedisSettings | None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"redis": redis or RedisSettings()}), database=db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://signoff.test"
        ) as client:
            yield client
    finally:
        await Services.of(app).part(AccountsRuntime).close()


async def test_a_restarted_instance_remembers_revoked_sessions(
    settings: Settings, db: Database
) -> None:
    async with instance(settings, db, None) as first:
        actor = await sign_up(first)
        assert (await first.post("/v1/auth/logout", headers=actor.headers)).status_code == 204
    async with instance(settings, db, None) as restarted:  # a fresh, empty list
        assert_revoked(await me(restarted, actor.token))


async def test_every_instance_refuses_at_once_through_redis(
    settings: Settings, db: Database, redis_prefix: str
) -> None:
    shared = RedisSettings(url=REDIS, key_prefix=redis_prefix)
    async with instance(settings, db, shared) as one, instance(settings, db, shared) as two:
        actor = await sign_up(one)
        assert (await me(two, actor.token)).status_code == 200  # two has looked once
        assert (await one.post("/v1/auth/logout", headers=actor.headers)).status_code == 204
        assert_revoked(await me(two, actor.token))
        transport = two._transport
        assert isinstance(transport, httpx.ASGITransport)
        assert Services.of(transport.app).part(AccountsRuntime).refresh.revocations.shared


async def test_without_redis_revocation_still_works_in_the_process(
    settings: Settings, db: Database
) -> None:
    gone = RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0", key_prefix="x", timeout_s=0.2)
    async with instance(settings, db, gone) as client:
        actor = await sign_up(client)
        assert (await client.post("/v1/auth/logout", headers=actor.headers)).status_code == 204
        assert_revoked(await me(client, actor.token))


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    prefix = f"signoff-test-{uuid.uuid4().hex[:8]}"
    client = aioredis.from_url(REDIS)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(
            "Redis must run on 127.0.0.1:6379 for this test: redis-server --daemonize yes "
            f"--bind 127.0.0.1 --port 6379 --save '' --appendonly no ({exc})"
        )
    yield prefix
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
