"""The read replica as it runs in production (design §14.6): a real PostgreSQL hot standby
streaming from its primary (tests/support/standby.py). Reads are served by the standby while
it is fresh and answers; when it lags past SIGNOFF_DATABASE__REPLICA_MAX_LAG_S, or stops,
reads go to the primary and are still answered."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text

from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database, create_engine
from signoff.migrations.runner import upgrade_on
from tests.deploy.test_replica import count_checkouts
from tests.support.identity import Actor, sign_up
from tests.support.livedb import serving
from tests.support.standby import Pair, streaming_pair

pytestmark = pytest.mark.postgres

MAX_LAG_S = 1.0
CHECK_S = 0.1


@pytest.fixture
async def pair(database_url: str) -> AsyncIterator[Pair]:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: runs in the PostgreSQL pass")
    with streaming_pair() as made:
        engine = create_engine(made.primary_url, DatabaseSettings(url=made.primary_url))
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_on)
        await engine.dispose()
        yield made


def replicated(pair: Pair) -> DatabaseSettings:
    return DatabaseSettings(
        url=pair.primary_url,
        replica_url=pair.standby_url,
        replica_max_lag_s=MAX_LAG_S,
        replica_check_s=CHECK_S,
        pool_size=3,
        max_overflow=2,
    )


def counted(pair: Pair) -> tuple[DatabaseSettings, Database, Counter[str]]:
    """The app's database on the pair, and the pool checkouts of each of its engines."""
    database = replicated(pair)
    db = Database.from_settings(database)
    used: Counter[str] = Counter()
    count_checkouts(db.primary, "primary", used)  # type: ignore[arg-type]
    count_checkouts(db.replica, "replica", used)  # type: ignore[arg-type]
    return database, db, used


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"not true within {timeout_s} s"
        await asyncio.sleep(0.05)


async def on_standby(pair: Pair, sql: str) -> None:
    engine = create_engine(pair.standby_url, DatabaseSettings(url=pair.standby_url))
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def served_by_replica(db: Database) -> bool:
    return db.reads_replica


async def make_team(client: httpx.AsyncClient, owner: Actor, slug: str) -> None:
    made = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/teams", json={"slug": slug, "name": slug}, headers=owner.headers
    )
    assert made.status_code == 201, made.text


async def test_reads_go_to_the_standby_and_to_the_primary_while_it_lags(
    settings: Settings, pair: Pair
) -> None:
    database, db, used = counted(pair)
    async with serving(settings, database, db=db) as (client, _):
        owner = await sign_up(client)
        teams = f"/v1/orgs/{owner.orgs[0]}/teams"
        await make_team(client, owner, "ops")

        async def standby_shows(slug: str) -> bool:
            used.clear()
            listed = await client.get(teams, headers=owner.headers)
            assert listed.status_code == 200, listed.text
            return slug in listed.text and used["replica"] >= 1 and used["primary"] == 0

        # The standby serves the reads, and shows what the primary committed.
        await eventually(lambda: standby_shows("ops"))

        # Replay paused: the standby falls behind once the primary writes again, and past the
        # bound reads go to the primary, which shows the newest write at once.
        await on_standby(pair, "SELECT pg_wal_replay_pause()")
        await make_team(client, owner, "dba")
        await asyncio.sleep(MAX_LAG_S + 2 * CHECK_S)

        async def primary_shows(slug: str) -> bool:
            used.clear()
            listed = await client.get(teams, headers=owner.headers)
            assert listed.status_code == 200, listed.text
            return slug in listed.text and used["replica"] == 0 and used["primary"] >= 1

        await eventually(lambda: primary_shows("dba"), timeout_s=3)
        assert db.gate is not None
        assert not db.gate.usable

        # Replay resumed: the standby catches up and serves the reads again.
        await on_standby(pair, "SELECT pg_wal_replay_resume()")
        await eventually(lambda: standby_shows("dba"))


async def test_reads_are_answered_by_the_primary_when_the_standby_stops(
    settings: Settings, pair: Pair
) -> None:
    database, db, used = counted(pair)
    async with serving(settings, database, db=db) as (client, _):
        owner = await sign_up(client)
        await make_team(client, owner, "ops")
        teams = f"/v1/orgs/{owner.orgs[0]}/teams"

        async def on_the_standby() -> bool:
            # After a spell without reads longer than the bound (a loaded machine's sign-up),
            # a read goes to the primary while the probe it started runs: read until one
            # is the standby's.
            assert (await client.get(teams, headers=owner.headers)).status_code == 200
            return served_by_replica(db)

        await eventually(on_the_standby)

        pair.stop("standby")
        # The very next read finds the replica's connections dead: it is run again on the
        # primary, and answered, and so is every read after it.
        for _ in range(5):
            used.clear()
            listed = await client.get(teams, headers=owner.headers)
            assert listed.status_code == 200, listed.text
            assert "ops" in listed.text
            assert used["primary"] >= 1
        assert not served_by_replica(db)
        ready = (await client.get("/health/ready")).json()
        assert ready["checks"]["database_replica"]["status"] == "fail"
        assert ready["checks"]["database"]["status"] == "pass"
