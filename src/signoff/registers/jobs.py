"""Scheduled work on registers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import FrozenClock
from signoff.core.events import EventListener, EventRecorder
from signoff.documents.models import Document
from signoff.registers.models import RegisterItem


async def mark_overdue_questions(
    session: AsyncSession, now: datetime, listeners: Sequence[EventListener] = ()
) -> int:
    """Record `questions.overdue` once for each open question whose target date has passed
    (again only if its date is moved and passes anew)."""
    rows = (
        await session.execute(
            select(RegisterItem, Document)
            .join(Document, Document.id == RegisterItem.document_id)
            .where(
                RegisterItem.kind == "questions",
                RegisterItem.status == "open",
                RegisterItem.target_date < now.date(),
                RegisterItem.overdue_notified_at.is_(None),
                Document.archived_at.is_(None),
            )
            .with_for_update(of=RegisterItem, skip_locked=True)
        )
    ).all()
    events = EventRecorder(session, FrozenClock(now), listeners=listeners)
    for item, document in rows:
        item.overdue_notified_at = now
        assert item.target_date is not None
        await events.record(
            "questions.overdue",
            org_id=item.org_id,
            subject=f"documents/{document.key}",
            data={
                "document": document.key,
                "item_id": str(item.id),
                "question": item.fields.get("question", ""),
                "owner": item.owner,
                "target_date": item.target_date.isoformat(),
            },
        )
    return len(rows)
