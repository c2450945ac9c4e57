"""How long the inbox keeps an event id (docs/design.md §6.2): the inbox stops growing
without bound.

An entry makes a redelivered event count once. Past the retention it is no longer needed
for that: a redelivery of an event that was applied finds the requirement's newer or equal
version (or time) in ``inbound_requirement`` and is answered ``stale``, changing nothing;
the ordering state is never purged. So the retention bounds only how long a redelivery is
answered ``duplicate`` rather than ``stale``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.inbound.models import InboxEntry


async def purge_inbox(
    session: AsyncSession, now: datetime, *, retention: timedelta, batch: int
) -> int:
    """Delete up to ``batch`` inbox entries received more than ``retention`` ago; return
    how many went."""
    old = (
        await session.execute(
            select(InboxEntry.source_id, InboxEntry.event_id)
            .where(InboxEntry.received_at < now - retention)
            .order_by(InboxEntry.received_at)
            .limit(batch)
        )
    ).all()
    if not old:
        return 0
    result = await session.execute(
        delete(InboxEntry).where(
            tuple_(InboxEntry.source_id, InboxEntry.event_id).in_([tuple(k) for k in old])
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
