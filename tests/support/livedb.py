"""Databases of a test's own, for tests that need real commits seen by other connections and
processes (relays running in parallel, a worker killed and restarted).

The per-test connection of ``conftest.py`` rolls everything back, so nothing it writes is
visible elsewhere. Here a migrated template is made once per test process, and each test
gets a copy: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database, create_engine
from signoff.migrations.runner import upgrade_on
from tests.support.databases import (
    _dsn,
    backend_of,
    create_postgres_database,
    drop_postgres_database,
)


@pytest.fixture(scope="session")
async def live_template(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, worker_id_safe: str
) -> AsyncIterator[str]:
    if backend_of(database_url) == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('live') / 'template.db'}"
    else:
        url = await create_postgres_database(database_url, f"signoff_tpl_{worker_id_safe}")
    engine = create_engine(url, DatabaseSettings(url=url))
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    await engine.dispose()
    yield url
    if backend_of(url) == "postgresql":
        await drop_postgres_database(url)


@pytest.fixture
async def live_database(live_template: str, tmp_path: Path) -> AsyncIterator[DatabaseSettings]:
    """A migrated database of this test's own; everything written to it is committed."""
    if backend_of(live_template) == "sqlite":
        path = tmp_path / "live.db"
        shutil.copyfile(make_url(live_template).database or "", path)
        yield DatabaseSettings(url=f"sqlite+aiosqlite:///{path}", pool_size=5, max_overflow=5)
        return
    name = f"signoff_live_{uuid.uuid4().hex[:16]}"
    template = make_url(live_template).database
    admin = await asyncpg.connect(_dsn(live_template), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    url = make_url(live_template).set(database=name).render_as_string(hide_password=False)
    yield DatabaseSettings(url=url, pool_size=5, max_overflow=5)
    await drop_postgres_database(url)


@asynccontextmanager
async def serving(
    settings: Settings, database: DatabaseSettings, *, db: Database | None = None, **create: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """A client of an app on ``database`` with engines of its own (every request commits),
    or on ``db`` when given, and the app; ``create`` goes to ``create_app``."""
    from signoff.app import create_app

    db = db or Database.from_settings(database)
    app = create_app(settings.model_copy(update={"database": database}), database=db, **create)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, app
    finally:
        await db.dispose()
