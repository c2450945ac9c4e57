"""The relay: events are handed on after commit, atomically with their destinations' rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.core.events import EventRecorder, OutboxEvent
from signoff.core.metrics import Metrics
from signoff.outbox.relay import OutboxRelay
from signoff.runtime.worker import Transactions
from tests.support.webhooks import record_events

pytestmark = pytest.mark.requirement("REQ-008", "REQ-024")

CLOCK = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


async def marks(db: Database, ids: Sequence[str]) -> list[tuple[bool, bool]]:
    async def read(session: AsyncSession) -> list[tuple[bool, bool]]:
        rows = await session.execute(
            select(OutboxEvent.dispatched_at, OutboxEvent.published_at)
            .where(OutboxEvent.id.in_([uuid.UUID(i) for i in ids]))
            .order_by(OutboxEvent.id)
        )
        return [(d is not None, p is not None) for d, p in rows]

    return await Transactions(db)(read)


async def test_events_are_dispatched_once_in_order(db: Database) -> None:
    seen: list[list[str]] = []

    async def destination(
        session: AsyncSession, events: Sequence[OutboxEvent], now: datetime
    ) -> int:
        seen.append([str(e.id) for e in events])
        return len(events)

    ids = await record_events(db, CLOCK, None, [("documents.created", f"d/{n}") for n in range(5)])
    relay = OutboxRelay(Transactions(db), CLOCK, [destination], batch_size=2)
    done = await relay.run_once()
    ours = [i for batch in seen for i in batch if i in ids]
    assert ours == ids
    assert max(len(batch) for batch in seen) <= 2
    assert done.fanned_out == done.dispatched >= 5
    assert await marks(db, ids) == [(True, True)] * 5  # no stream: published too
    seen.clear()
    assert (await relay.run_once()).dispatched == 0
    assert seen == []


async def test_a_failing_destination_leaves_the_batch_for_later(db: Database) -> None:
    calls = 0

    async def flaky(session: AsyncSession, events: Sequence[OutboxEvent], now: datetime) -> int:
        nonlocal calls
        calls += 1
        session.add(  # a row written in the dispatching transaction...
            OutboxEvent(type="tests.side_row", subject="x", data={}, occurred_at=now, org_id=None)
        )
        await session.flush()
        if calls == 1:
            raise RuntimeError("destination down")  # ...goes when the transaction fails
        return 0

    ids = await record_events(db, CLOCK, None, [("documents.created", "d/1")])
    relay = OutboxRelay(Transactions(db), CLOCK, [flaky])
    with pytest.raises(RuntimeError):
        await relay.run_once()
    assert await marks(db, ids) == [(False, False)]
    await relay.run_once()
    assert await marks(db, ids) == [(True, True)]

    async def side_rows(session: AsyncSession) -> int:
        query = select(func.count()).where(OutboxEvent.type == "tests.side_row")
        return int(await session.scalar(query) or 0)

    assert await Transactions(db)(side_rows) >= 1


async def test_events_left_unpublished_by_a_removed_stream_are_closed(db: Database) -> None:
    ids = await record_events(db, CLOCK, None, [("documents.created", "d/1")])

    async def dispatched_only(session: AsyncSession) -> None:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == uuid.UUID(ids[0]))
            .values(dispatched_at=CLOCK.now())
        )

    await Transactions(db)(dispatched_only)
    assert await marks(db, ids) == [(True, False)]
    await OutboxRelay(Transactions(db), CLOCK, []).run_once()
    assert await marks(db, ids) == [(True, True)]


async def test_a_commit_wakes_the_relay_and_a_rollback_does_not(db: Database) -> None:
    woken: list[str] = []
    for outcome in ("commit", "rollback"):

        def wake(outcome: str = outcome) -> None:
            woken.append(outcome)

        async with db.session() as session:
            recorder = EventRecorder(session, CLOCK, on_commit=wake)
            await recorder.record("documents.created", org_id=None, subject="d", data={})
            await recorder.record("documents.updated", org_id=None, subject="d", data={})
            await (session.commit() if outcome == "commit" else session.rollback())
    assert woken == ["commit"]


async def test_relayed_events_are_counted_by_type_once(db: Database) -> None:
    metrics = Metrics()

    async def destination(
        session: AsyncSession, events: Sequence[OutboxEvent], now: datetime
    ) -> int:
        return len(events)

    types = [("documents.submitted", "d/1"), ("documents.approved", "d/1")]
    await record_events(db, CLOCK, None, [*types, ("documents.submitted", "d/2")])
    relay = OutboxRelay(Transactions(db), CLOCK, [destination], metrics=metrics)
    await relay.run_once()
    await relay.run_once()  # nothing new: nothing counted twice

    def count(type_: str) -> float | None:
        return metrics.registry.get_sample_value("signoff_outbox_events_total", {"type": type_})

    assert count("documents.submitted") == 2
    assert count("documents.approved") == 1
