"""Retention: relayed events and their finished deliveries go once old enough; nothing
still owed to a receiver, or not yet relayed, ever does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.events import OutboxEvent
from signoff.delivery.outcome import Outcome
from signoff.delivery.retention import id_floor
from signoff.runtime.worker import Transactions
from signoff.webhooks.models import WebhookAttempt
from tests.support.identity import sign_up
from tests.support.receiver import Receiver
from tests.support.webhooks import (
    deliveries,
    org_id,
    record_events,
    run_job,
    serving,
    subscribe_receiver,
)
from tests.webhooks.test_delivery import deliver

pytestmark = pytest.mark.requirement("REQ-024")

RETENTION_DAYS = 30


async def purge(app: FastAPI) -> int:
    return await run_job(app, "purge_settled_events")


async def remaining(db: Database, ids: list[str]) -> set[str]:
    async def work(session: AsyncSession) -> set[str]:
        found = await session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.id.in_([uuid.UUID(i) for i in ids]))
        )
        return {str(i) for i in found}

    return await Transactions(db)(work)


async def size_of(db: Database, table: type[OutboxEvent | WebhookAttempt]) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    return await Transactions(db)(work)


async def attempts_of(db: Database) -> int:
    return await size_of(db, WebhookAttempt)


async def outbox_size(db: Database) -> int:
    return await size_of(db, OutboxEvent)


def test_the_id_floor_orders_with_uuid7_ids() -> None:
    at = datetime(2026, 11, 26, 12, 0, 0, 500_000, tzinfo=UTC)
    floor = id_floor(at)
    assert floor.int >> 80 == int(at.timestamp() * 1000)
    assert id_floor(at - timedelta(milliseconds=1)) < floor < id_floor(at + timedelta(seconds=1))


async def test_settled_events_go_after_the_retention_and_owed_ones_stay(
    settings: Settings,
    db: Database,
    clock: FrozenClock,
    receiver: Receiver,
    hook_settings: Settings,
) -> None:
    worker = hook_settings.worker.model_copy(
        update={"event_retention_days": RETENTION_DAYS, "purge_batch": 2}
    )
    app = create_app(hook_settings.model_copy(update={"worker": worker}), database=db, clock=clock)
    client: httpx.AsyncClient
    async with serving(app) as client:
        admin = await sign_up(client)
        hook = await subscribe_receiver(client, admin, receiver, ["documents.*"])
        org = await org_id(client, admin)
        delivered = await record_events(
            db, clock, org, [("documents.created", f"documents/DD-{n}") for n in range(5)]
        )
        [owed] = await record_events(db, clock, org, [("documents.created", "documents/DD-9")])
        receiver.failing_ids.add(owed)
        assert sorted(await deliver(app)) == sorted([Outcome.SUCCEEDED] * 5 + [Outcome.RETRYING])
        # Recorded after the relay ran: not dispatched, so never purged however old.
        [unrelayed] = await record_events(db, clock, org, [("teams.created", "teams/x")])
        attempts_before = await attempts_of(db)
        everything = [*delivered, owed, unrelayed]

        clock.advance(timedelta(days=RETENTION_DAYS - 1))
        assert await purge(app) == 0
        assert await remaining(db, everything) == set(everything)

        clock.advance(timedelta(days=2))
        # Every settled event (the five above, and those of the sign-up and the subscription),
        # in batches of two, one transaction each: all of them go.
        before = await outbox_size(db)
        assert before > 7
        assert await purge(app) == before - 2
        assert await outbox_size(db) == 2
        assert await remaining(db, everything) == {owed, unrelayed}
        [kept] = await deliveries(client, admin, hook["id"])
        assert (kept["event_id"], kept["status"]) == (owed, "pending")
        assert await attempts_of(db) == attempts_before - 5  # their attempts went with them
        assert await purge(app) == 0

        # Once the owed event is delivered, and the other one relayed, both are settled
        # (no webhook wants `teams.*`) and go at the next run.
        receiver.failing_ids.clear()
        assert await deliver(app) == [Outcome.SUCCEEDED]
        assert await purge(app) == 2
        assert await remaining(db, everything) == set()
        assert await deliveries(client, admin, hook["id"]) == []
