"""The relay: hands committed outbox events on to their destinations, after commit.

Two steps, each one transaction:

1. **Dispatch** (every backend): the oldest events not yet dispatched are locked with
   ``FOR UPDATE SKIP LOCKED`` (PostgreSQL: several relays take disjoint batches; SQLite: the
   write transaction is exclusive, so relays take turns), each destination adds its rows in
   the same transaction (a webhook delivery per matching subscription, an email notice per
   recipient when SMTP is configured), and the events are marked dispatched. Either both
   happen or neither: no event is lost or fanned out twice.
2. **Publish** (when NATS is configured): dispatched events go to JetStream in id order, each
   with ``Nats-Msg-Id`` = event id, and are marked published. One relay at a time publishes
   (a PostgreSQL advisory lock), so the stream keeps the order. While NATS is down the events
   wait; webhooks are not held up by it. A crash between publishing and marking publishes
   again, and JetStream drops the copy within its duplicate window (2 minutes by default).
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.db import Database, Transact
from signoff.core.events import OutboxEvent
from signoff.core.logging import get_logger
from signoff.core.metrics import Metrics, RefreshHook
from signoff.core.wakeup import Wakeup

log = get_logger("signoff.outbox")

# Destinations write their rows in the dispatching transaction; they return how many.
Destination = Callable[[AsyncSession, Sequence[OutboxEvent], datetime], Awaitable[int]]
_PUBLISH_LOCK = zlib.crc32(b"signoff.outbox.publish")


class EventStream(Protocol):
    """A channel outside the database (NATS JetStream)."""

    async def ready(self) -> bool: ...
    async def publish(self, event: OutboxEvent) -> None: ...
    async def close(self) -> None: ...


@dataclass
class RelayRound:
    dispatched: int = 0
    fanned_out: int = 0
    published: int = 0


class OutboxRelay:
    def __init__(
        self,
        transact: Transact,
        clock: Clock,
        destinations: Sequence[Destination],
        *,
        stream: EventStream | None = None,
        batch_size: int = 100,
        poll_s: float = 1.0,
        metrics: Metrics | None = None,
        on_fanned_out: Callable[[], None] | None = None,
    ) -> None:
        self._transact = transact
        self._clock = clock
        self._destinations = tuple(destinations)
        self._stream = stream
        self._batch = batch_size
        self._poll_s = poll_s
        self._metrics = metrics
        self._on_fanned_out = on_fanned_out
        self._wake = Wakeup()
        self._loop: asyncio.Task[None] | None = None
        self._swept = False
        self.totals = RelayRound()

    def wake(self) -> None:
        """Events were committed in this process: relay them now rather than at the poll."""
        self._wake.set()

    async def run_once(self) -> RelayRound:
        """Relay everything there is now; returns what was done."""
        done = RelayRound()
        while True:
            dispatched, fanned_out, types = await self._transact(self._dispatch)
            if self._metrics is not None:  # after the commit: each event is counted once
                for type_, count in types.items():
                    self._metrics.events.labels(type=type_).inc(count)
            done.dispatched += dispatched
            done.fanned_out += fanned_out
            if fanned_out and self._on_fanned_out is not None:
                self._on_fanned_out()  # after the commit: the deliveries are visible now
            if dispatched < self._batch:
                break
        if self._stream is None and not self._swept:
            await self._transact(_mark_published_without_stream)
            self._swept = True
        while self._stream is not None and await self._stream.ready():
            published = await self._transact(self._publish)
            done.published += published
            if published < self._batch:
                break
        self._count(done)
        return done

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="outbox:relay")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        if self._stream is not None:
            await self._stream.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the database may be away; try again at the next poll
                log.exception("outbox.relay_failed")
            await self._wake.wait(self._poll_s)

    async def _dispatch(self, session: AsyncSession) -> tuple[int, int, Counter[str]]:
        now = self._clock.now()
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
        )
        events = list(await session.scalars(query))
        if not events:
            return 0, 0, Counter()
        fanned_out = 0
        for destination in self._destinations:
            fanned_out += await destination(session, events, now)
        marks = {"dispatched_at": now} | ({} if self._stream else {"published_at": now})
        ids = [e.id for e in events]
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(marks))
        return len(events), fanned_out, Counter(e.type for e in events)

    async def _publish(self, session: AsyncSession) -> int:
        assert self._stream is not None
        if session.get_bind().dialect.name == "postgresql":
            # One publisher at a time across relays: JetStream then receives events in order.
            locked = await session.scalar(select(func.pg_try_advisory_xact_lock(_PUBLISH_LOCK)))
            if not locked:
                return 0
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None), OutboxEvent.dispatched_at.is_not(None))
            .order_by(OutboxEvent.id)
            .limit(self._batch)
        )
        published = []
        for event in await session.scalars(query):
            try:
                await self._stream.publish(event)
            except Exception as exc:  # NATS went away: the rest waits, in order
                log.warning("outbox.publish_failed", event_id=str(event.id), error=str(exc))
                break
            published.append(event.id)
        if published:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(published))
                .values(published_at=self._clock.now())
            )
        return len(published)

    def _count(self, done: RelayRound) -> None:
        self.totals.dispatched += done.dispatched
        self.totals.fanned_out += done.fanned_out
        self.totals.published += done.published
        if self._metrics is not None:
            self._metrics.outbox_relayed.labels(channel="webhooks").inc(done.dispatched)
            self._metrics.outbox_relayed.labels(channel="nats").inc(done.published)


async def _mark_published_without_stream(session: AsyncSession) -> None:
    # Events dispatched while NATS was configured, and never published: with no stream now,
    # nothing is left to do for them.
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.dispatched_at.is_not(None))
        .values(published_at=OutboxEvent.dispatched_at)
    )


def outbox_gauges(db: Database, metrics: Metrics, clock: Clock) -> RefreshHook:
    """Outbox lag (age of the oldest unpublished event) and backlog, read at scrape time."""

    async def refresh_outbox() -> None:
        query = select(func.min(OutboxEvent.occurred_at), func.count()).where(
            OutboxEvent.published_at.is_(None)
        )
        async with db.primary_connection() as conn:
            oldest, pending = (await conn.execute(query)).one()
        lag = (clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        metrics.outbox_lag.set(max(lag, 0.0))
        metrics.outbox_pending.set(pending)

    return refresh_outbox
