"""Scheduled work on registers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import FrozenClock
from signoff.core.events import EventListener, EventRecorder
from signoff.documents.reader import DocumentReader, live_document_ids
from signoff.registers.events import QuestionOverdue
from signoff.registers.models import RegisterItem


async def mark_overdue_questions(
    session: AsyncSession, now: datetime, listeners: Sequence[EventListener] = ()
) -> int:
    """Record `questions.overdue` once for each open question whose target date has passed
    (again only if its date is moved and passes anew)."""
    rows = (
        await session.scalars(
            select(RegisterItem)
            .where(
                RegisterItem.kind == "questions",
                RegisterItem.status == "open",
                RegisterItem.target_date < now.date(),
                RegisterItem.overdue_notified_at.is_(None),
                RegisterItem.document_id.in_(live_document_ids()),
            )
            .with_for_update(skip_locked=True)
        )
    ).all()
    keys: dict[uuid.UUID, str] = {}
    for org_id in {item.org_id for item in rows}:
        heads = await DocumentReader(session, org_id).heads(
            item.document_id for item in rows if item.org_id == org_id
        )
        keys |= {id: head.key for id, head in heads.items()}
    events = EventRecorder(session, FrozenClock(now), listeners=listeners)
    for item in rows:
        item.overdue_notified_at = now
        assert item.target_date is not None
        key = keys[item.document_id]
        await events.emit(
            QuestionOverdue(
                org_id=item.org_id,
                subject=f"documents/{key}",
                document=key,
                item_id=item.id,
                question=item.fields.get("question", ""),
                owner=item.owner,
                target_date=item.target_date,
            )
        )
    return len(rows)
