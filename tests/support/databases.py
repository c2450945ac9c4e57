"""Per-process test databases on a shared PostgreSQL server."""

from __future__ import annotations

from typing import Literal

import asyncpg
import pytest
from sqlalchemy.engine import make_url

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def backend_of(url: str | None) -> Literal["sqlite", "postgresql"]:
    if not url or url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise pytest.UsageError(f"SIGNOFF_TEST_DATABASE_URL: unsupported backend in {url!r}")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(_dsn(url), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {make_url(url).render_as_string()}: {exc}. "
            f"Start it with: {START_POSTGRES}",
            pytrace=False,
        )


async def create_postgres_database(base_url: str, name: str) -> str:
    admin = await _admin(base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = await _admin(make_url(url).set(database="postgres").render_as_string(False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
