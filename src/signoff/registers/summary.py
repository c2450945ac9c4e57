"""The registers summary shown with a document."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.documents.reader import DocumentRef
from signoff.registers.kinds import KINDS
from signoff.registers.models import RegisterItem


async def register_counts(session: AsyncSession, document: DocumentRef) -> dict[str, Any]:
    rows = await session.execute(
        select(RegisterItem.kind, func.count())
        .where(RegisterItem.document_id == document.id)
        .group_by(RegisterItem.kind)
    )
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: int(count) for kind, count in rows.all()})
    open_questions = await session.scalar(
        select(func.count()).where(
            RegisterItem.document_id == document.id,
            RegisterItem.kind == "questions",
            RegisterItem.status == "open",
        )
    )
    return {"rows": counts, "open_questions": int(open_questions or 0)}
