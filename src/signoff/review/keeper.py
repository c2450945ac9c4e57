"""The revision listener of the review domain: an edit during a round dismisses the
approvals it made stale, and may complete the round (a removed reviewer, a resolved
blocking question)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import CursorCodec
from signoff.documents.reader import DocumentReader, LockedDocument
from signoff.documents.service.writer import Saved
from signoff.review.engine import Rounds
from signoff.review.metrics import ApprovalMetrics
from signoff.review.repository import ReviewRepository


class ReviewKeeper:
    def __init__(
        self,
        session: AsyncSession,
        events: EventRecorder,
        clock: Clock,
        *,
        cursors: CursorCodec,
        approvals: ApprovalMetrics,
    ) -> None:
        self._session = session
        self._rounds = Rounds(ReviewRepository(session, cursors), events, clock, approvals)

    async def __call__(self, document: LockedDocument, saved: Saved) -> None:
        round_ = await self._rounds.repo.open_round(document.id)
        if round_ is None:
            return
        if saved.changes:
            reader = DocumentReader(self._session, document.org_id)
            before = await reader.sections(document.id, saved.revision.number - 1)
            await self._rounds.dismiss_stale(
                document, round_, before, saved.sections, saved.revision.number
            )
        await self._rounds.complete_if_met(document, round_, saved.revision.created_by)
