"""Login throttling against the real Redis on 127.0.0.1:6379: counts shared by every
instance, and sign-in that keeps working, throttled per instance, while Redis is down."""

from __future__ import annotations

import socket
import uuid

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from signoff.accounts.runtime import AccountsRuntime
from signoff.app import create_app
from signoff.core.config import RedisSettings, Settings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.accounts.test_throttle import TIGHT, attempt, client_from
from tests.support.fixtures import assert_problem
from tests.support.identity import PASSWORD, sign_up

pytestmark = pytest.mark.requirement("REQ-028")

REDIS = "redis://127.0.0.1:6379/0"
START_REDIS = "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"


@pytest.fixture
async def prefix() -> str:
    """A key prefix of this test's own, in the real Redis; its keys are removed after."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"Redis must run on 127.0.0.1:6379 ({exc}): {START_REDIS}")
    return f"test-{uuid.uuid4().hex[:12]}"


def instance(settings: Settings, db: Database, redis: RedisSettings) -> FastAPI:
    return create_app(settings.model_copy(update={"throttle": TIGHT, "redis": redis}), database=db)


async def keys_under(prefix: str) -> list[bytes]:
    client = Redis.from_url(REDIS)
    try:
        found: list[bytes] = [k async for k in client.scan_iter(f"{prefix}:*")]
        if found:
            await client.delete(*found)
        return found
    finally:
        await client.aclose()


async def test_instances_share_the_counts_in_redis(
    settings: Settings, db: Database, prefix: str
) -> None:
    shared = RedisSettings(url=REDIS, key_prefix=prefix)
    first, second = instance(settings, db, shared), instance(settings, db, shared)
    async with client_from(first, "203.0.113.70") as client:
        owner = await sign_up(client)
        for _ in range(3):
            assert (await attempt(client, owner.email, "wrong")).status_code == 400
    async with client_from(second, "203.0.113.70") as client:
        assert_problem(await attempt(client, owner.email, PASSWORD), 429, "login_throttled")
    # Instances with only their own counts would have let it in: the control.
    alone = RedisSettings(url=None)
    async with client_from(instance(settings, db, alone), "203.0.113.70") as client:
        assert (await attempt(client, owner.email, PASSWORD)).status_code == 200
    stored = await keys_under(prefix)
    assert stored, "the counts are in Redis"
    assert all(owner.email.encode() not in key for key in stored)  # keyed hashes only


async def test_sign_in_goes_on_while_redis_is_down(
    settings: Settings, db: Database, prefix: str
) -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = RedisSettings(
        url=f"redis://127.0.0.1:{closed}/0", key_prefix=prefix, timeout_s=0.2, retry_after_s=60
    )
    app = instance(settings, db, down)
    async with client_from(app, "203.0.113.71") as client:
        owner = await sign_up(client)
        assert (await attempt(client, owner.email, PASSWORD)).status_code == 200
        # Counting in the process now.
        assert not Services.of(app).part(AccountsRuntime).throttle.counters.shared
        for _ in range(3):
            assert (await attempt(client, owner.email, "wrong")).status_code == 400
        # Still throttled, by this instance's own counts.
        assert_problem(await attempt(client, owner.email, PASSWORD), 429, "login_throttled")
