"""SQLite: after a migration that copies search_entry (as Alembic's batch mode does), search
still finds the right rows, and new writes are indexed again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from signoff.migrations.runner import downgrade, upgrade
from tests.support.identity import Actor, sign_up

pytestmark = pytest.mark.requirement("REQ-019")


@pytest.fixture
def own_sqlite(tmp_path: Path, database_url: str) -> DatabaseSettings:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL's tsvector lives in the row itself")
    return DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/rebuild.db")


async def titles(client: httpx.AsyncClient, owner: Actor, q: str) -> list[str]:
    response = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/search", params={"q": q}, headers=owner.headers
    )
    return [h["document"]["title"] for h in response.json()["items"]]


async def test_search_survives_a_table_copy(
    settings: Settings, own_sqlite: DatabaseSettings
) -> None:
    await asyncio.to_thread(upgrade, own_sqlite)
    db = Database.from_settings(own_sqlite)
    app = create_app(settings.model_copy(update={"database": own_sqlite}), database=db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            owner = await sign_up(client)
            url = f"/v1/orgs/{owner.orgs[0]}/documents"
            for title in ("Alpha pumpkin", "Bravo zucchini", "Charlie turnip"):
                await client.post(url, json={"title": title}, headers=owner.headers)
            await client.delete(f"{url}/DD-1", headers=owner.headers)  # leaves a gap of rowids
            # What batch mode does to a table: copy, drop, rename (rowids renumbered,
            # triggers gone).
            sync = create_engine(own_sqlite.url.get_secret_value().replace("+aiosqlite", ""))
            with sync.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE search_copy AS SELECT * FROM search_entry")
                conn.exec_driver_sql("DROP TABLE search_entry")
                conn.exec_driver_sql("ALTER TABLE search_copy RENAME TO search_entry")
            sync.dispose()
            assert await titles(client, owner, "turnip") != ["Charlie turnip"]  # now wrong
            await asyncio.to_thread(downgrade, own_sqlite, "-1")
            await asyncio.to_thread(upgrade, own_sqlite)  # a migration ran: index rebuilt
            assert await titles(client, owner, "turnip") == ["Charlie turnip"]
            assert await titles(client, owner, "zucchini") == ["Bravo zucchini"]
            await client.post(url, json={"title": "Delta radish"}, headers=owner.headers)
            assert await titles(client, owner, "radish") == ["Delta radish"]  # triggers back
    finally:
        await db.dispose()
