"""Scheduled work on reviews: flag approvals older than the organization allows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import FrozenClock
from signoff.core.events import EventListener, EventRecorder
from signoff.documents.service.expiry import flag_expired_approvals
from signoff.review.events import ApprovalExpired
from signoff.review.repository import ReviewRepository


async def expire_approvals(
    session: AsyncSession, now: datetime, listeners: Sequence[EventListener] = ()
) -> int:
    """Record `approvals.expired` once per approval that passed its organization's maximum
    age; the document then carries an `approval-expired` lint finding until approved again.
    Several instances may run this: rows another one holds are skipped, not waited for."""
    repo = ReviewRepository(session)
    events = EventRecorder(session, FrozenClock(now), listeners=listeners)
    flagged = 0
    for policy in await repo.expiring_policies():
        assert policy.approval_expiry_days is not None
        cutoff = now - timedelta(days=policy.approval_expiry_days)
        for document in await flag_expired_approvals(session, policy.org_id, cutoff, now):
            flagged += 1
            await events.emit(
                ApprovalExpired(
                    org_id=document.org_id,
                    subject=f"documents/{document.key}",
                    document_id=document.id,
                    key=document.key,
                    version=document.version,
                    approved_at=document.approved_at,
                    max_age_days=policy.approval_expiry_days,
                )
            )
    await session.flush()
    return flagged
