"""Approvals that passed their organization's maximum age are flagged on the document
(the review domain's expiry job decides the age, and records the event)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.documents.models import Document
from signoff.documents.reader import DocumentHead, head_of


async def flag_expired_approvals(
    session: AsyncSession, org_id: uuid.UUID, approved_before: datetime, now: datetime
) -> list[DocumentHead]:
    """Flag the organization's approved documents whose approval is older than
    ``approved_before`` and not flagged yet; locked, skipping those another instance holds.
    Returns them as they are now."""
    query = (
        select(Document)
        .where(
            Document.org_id == org_id,
            Document.status == "approved",
            Document.archived_at.is_(None),
            Document.approval_expired_at.is_(None),
            Document.approved_at < approved_before,
        )
        .with_for_update(skip_locked=True)
    )
    flagged = []
    for document in await session.scalars(query):
        document.approval_expired_at = now
        flagged.append(head_of(document))
    return flagged
