"""Migrations build the schema the models describe, and come back down cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import CheckConstraint, Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.config import DatabaseSettings
from signoff.core.db import create_engine
from signoff.migrations.metadata import metadata
from signoff.migrations.runner import (
    check_on,
    current_revision,
    downgrade_on,
    head_revision,
    upgrade_on,
)
from tests.support.databases import backend_of, create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.requirement("REQ-004")


@pytest.fixture
async def empty_engine(
    database_settings: DatabaseSettings, tmp_path: object, worker_id_safe: str
) -> AsyncIterator[AsyncEngine]:
    url = database_settings.url.get_secret_value()
    if backend_of(url) == "sqlite":
        fresh = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    else:
        fresh = await create_postgres_database(url, f"signoff_mig_{worker_id_safe}")
    engine = create_engine(fresh, DatabaseSettings(url=fresh))
    yield engine
    await engine.dispose()
    if backend_of(fresh) == "postgresql":
        await drop_postgres_database(fresh)


def missing_checks(connection: Connection) -> set[str]:
    """The models' CHECK constraints that the migrated database lacks."""
    inspector = inspect(connection)
    wanted = {
        str(c.name)
        for table in metadata.tables.values()
        for c in table.constraints
        if isinstance(c, CheckConstraint)
    }
    found = {
        str(c["name"]) for table in metadata.tables for c in inspector.get_check_constraints(table)
    }
    assert wanted, "the models declare CHECK constraints"
    return wanted - found


async def test_upgrade_downgrade_upgrade_and_models_agree(empty_engine: AsyncEngine) -> None:
    async with empty_engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head_revision()
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert set(metadata.tables) <= tables
        await conn.run_sync(check_on)  # raises when models and migrations differ
        # Alembic's comparison does not see CHECK constraints: compare them by name.
        assert await conn.run_sync(missing_checks) == set()
    async with empty_engine.begin() as conn:
        await conn.run_sync(downgrade_on, "base")
    async with empty_engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
        assert await conn.run_sync(current_revision) is None
    async with empty_engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    async with empty_engine.connect() as conn:
        await conn.run_sync(check_on)


def test_migration_files_follow_the_naming_rule() -> None:
    import re
    from pathlib import Path

    import signoff.migrations

    versions = Path(signoff.migrations.__file__).parent / "versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}_\d{4}_[a-z0-9_]+\.py$", n) for n in names), names
