"""SIGNOFF_DATABASE__REPLICA_URL (design §14.6): reading requests are served by the replica
engine, writing ones by the primary. The "replica" here is a second engine on the same
database (the routing is what is tested, not replication); readiness checks it and its pool
is in the metrics."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from tests.core.test_metrics import samples
from tests.support.identity import sign_up
from tests.support.livedb import serving


def count_checkouts(engine: AsyncEngine, name: str, into: Counter[str]) -> None:
    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checkout(*_args: object) -> None:
        into[name] += 1


async def test_reads_go_to_the_replica_and_writes_to_the_primary(
    settings: Settings, live_database: DatabaseSettings
) -> None:
    database = live_database.model_copy(update={"replica_url": live_database.url})
    db = Database.from_settings(database)
    assert isinstance(db.replica, AsyncEngine)
    assert isinstance(db.primary, AsyncEngine)
    used: Counter[str] = Counter()
    count_checkouts(db.primary, "primary", used)
    count_checkouts(db.replica, "replica", used)
    async with serving(settings, database, db=db) as (client, _):
        owner = await sign_up(client)
        org = owner.orgs[0]

        used.clear()
        created = await client.post(
            f"/v1/orgs/{org}/teams", json={"slug": "ops", "name": "Ops"}, headers=owner.headers
        )
        assert created.status_code == 201, created.text
        assert used["replica"] == 0
        assert used["primary"] >= 1

        used.clear()
        listed = await client.get(f"/v1/orgs/{org}/teams", headers=owner.headers)
        assert listed.status_code == 200, listed.text
        assert "ops" in listed.text  # the replica sees what the primary committed
        assert used["replica"] >= 1

        ready = (await client.get("/health/ready")).json()
        assert ready["checks"]["database_replica"]["status"] == "pass"
        scraped = samples((await client.get("/metrics")).text)
    if db.dialect == "postgresql":  # SQLite's pool has no fixed size to report
        replica_size = (("pool", "replica"), ("state", "size"))
        assert scraped[("signoff_db_pool_connections", replica_size)] >= 1
