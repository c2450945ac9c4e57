"""How long relayed events are kept: the outbox, and the webhook deliveries and email
notices made from it, stop growing without bound (docs/design.md §6.2, §11.2).

An event is purged once it is older than the retention and settled everywhere: published
to every channel, and none of its deliveries or notices still pending. Dead and succeeded
deliveries can be redelivered until then; afterwards they are gone with their attempts.
The audit log is a separate record and is never purged here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.events import OutboxEvent
from signoff.delivery.rows import Queued


def id_floor(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of `moment`'s millisecond: ids below it were made before it, so
    the primary key finds old events without an index of its own."""
    return uuid.UUID(int=int(moment.timestamp() * 1000) << 80)


async def purge_settled_events(
    session: AsyncSession,
    now: datetime,
    *,
    retention: timedelta,
    batch: int,
    queues: Sequence[type[Queued]],
) -> int:
    """Delete up to `batch` settled events older than `retention`, with their finished
    deliveries in every channel's queue (`queues`); return how many events went.

    The children go first, each statement filtered on its own status, and then only the
    events left childless: on PostgreSQL a concurrent redelivery (which locks its delivery
    and makes it pending) either commits first, and the delete re-checks the row and keeps
    it and its event, or comes after, and finds the delivery gone (404)."""
    cutoff = now - retention
    candidates = list(
        (
            await session.scalars(
                select(OutboxEvent.id)
                .where(
                    OutboxEvent.id < id_floor(cutoff),
                    OutboxEvent.occurred_at < cutoff,
                    OutboxEvent.published_at.is_not(None),
                    *(
                        ~exists().where(q.event_id == OutboxEvent.id, q.status == "pending")
                        for q in queues
                    ),
                )
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
        ).all()
    )
    if not candidates:
        return 0
    for queue in queues:
        await session.execute(
            delete(queue).where(queue.event_id.in_(candidates), queue.status != "pending")
        )
    result = await session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.id.in_(candidates),
            *(~exists().where(q.event_id == OutboxEvent.id) for q in queues),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
