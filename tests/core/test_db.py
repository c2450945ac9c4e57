"""Database details that must hold on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.core.events import EventRecorder, OutboxEvent


async def test_sqlite_pragmas(connection: AsyncConnection, db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


async def test_postgres_session_settings(connection: AsyncConnection, db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "15s"
    assert (await connection.execute(text("SHOW timezone"))).scalar() == "UTC"


async def test_datetimes_come_back_aware_and_utc(db: Database) -> None:
    plus_two = datetime(2026, 11, 26, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as session:
        event = await EventRecorder(session, FrozenClock(plus_two)).record(
            "probe.timed", org_id=None, subject="t", data={}
        )
        await session.flush()
        session.expunge_all()
        stored = await session.get(OutboxEvent, event.id)
        assert stored is not None
        assert stored.occurred_at == plus_two
        assert stored.occurred_at.tzinfo is not None
        assert stored.occurred_at.utcoffset() == timedelta(0)
        await session.rollback()


async def test_naive_datetimes_are_refused(db: Database) -> None:
    async with db.session() as session:
        session.add(
            OutboxEvent(type="probe.naive", subject="t", data={}, occurred_at=datetime(2026, 1, 1))
        )
        with pytest.raises(Exception, match="naive datetime"):
            await session.flush()
        await session.rollback()


async def test_event_types_are_checked() -> None:
    recorder = EventRecorder(None, FrozenClock(datetime.now(UTC)))  # type: ignore[arg-type]
    for bad in ("Documents.Created", "documents", "documents.", "documents created"):
        with pytest.raises(ValueError, match="event type"):
            await recorder.record(bad, org_id=None, subject="s", data={})
