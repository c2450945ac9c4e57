"""Every query of the review domain. Reads of teams, authors, reviewers and open questions
go straight to their tables: review sits above those domains and only reads them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.documents.reader import DocumentReader, DocumentRef
from signoff.orgs.reader import TeamReader
from signoff.registers.reader import RegisterReader
from signoff.review.filters import ThreadFilter
from signoff.review.models import (
    CommentMention,
    CommentReply,
    CommentThread,
    Review,
    ReviewPolicy,
    ReviewRound,
)


class ReviewRepository:
    def __init__(self, session: AsyncSession, cursors: CursorCodec | None = None) -> None:
        self.session = session
        self._cursors = cursors

    @property
    def cursors(self) -> CursorCodec:
        assert self._cursors is not None, "a repository for lists needs the cursor codec"
        return self._cursors

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def policy(self, org_id: uuid.UUID) -> ReviewPolicy | None:
        return await self.session.get(ReviewPolicy, org_id)

    async def open_round(self, document_id: uuid.UUID) -> ReviewRound | None:
        return await self.session.scalar(
            select(ReviewRound).where(
                ReviewRound.document_id == document_id, ReviewRound.outcome == "open"
            )
        )

    async def last_round(
        self, document_id: uuid.UUID, outcome: str | None = None
    ) -> ReviewRound | None:
        query = select(ReviewRound).where(ReviewRound.document_id == document_id)
        if outcome is not None:
            query = query.where(ReviewRound.outcome == outcome)
        return await self.session.scalar(query.order_by(ReviewRound.number.desc()).limit(1))

    async def open_and_approved(
        self, document_id: uuid.UUID
    ) -> tuple[ReviewRound | None, ReviewRound | None]:
        """The open round and the last approved one, in one statement: a round opens only
        when none is open, so the open round, when there is one, is the newest."""
        query = (
            select(ReviewRound)
            .where(
                ReviewRound.document_id == document_id,
                ReviewRound.outcome.in_(("open", "approved")),
            )
            .order_by(ReviewRound.number.desc())
            .limit(2)
        )
        rounds = list(await self.session.scalars(query))
        open_ = rounds[0] if rounds and rounds[0].outcome == "open" else None
        approved = [r for r in rounds if r.outcome == "approved"]
        return open_, approved[0] if approved else None

    async def approved_round(self, document_id: uuid.UUID, version: str) -> ReviewRound | None:
        query = select(ReviewRound).where(
            ReviewRound.document_id == document_id,
            ReviewRound.outcome == "approved",
            ReviewRound.approved_version == version,
        )
        return await self.session.scalar(query)

    async def round_by_number(self, document_id: uuid.UUID, number: int) -> ReviewRound | None:
        return await self.session.scalar(
            select(ReviewRound).where(
                ReviewRound.document_id == document_id, ReviewRound.number == number
            )
        )

    async def next_round_number(self, document_id: uuid.UUID) -> int:
        last = await self.session.scalar(
            select(func.max(ReviewRound.number)).where(ReviewRound.document_id == document_id)
        )
        return int(last or 0) + 1

    async def reviews(self, round_id: uuid.UUID) -> list[Review]:
        query = select(Review).where(Review.round_id == round_id)
        return list(await self.session.scalars(query.order_by(Review.created_at, Review.id)))

    async def review_page(
        self, document_id: uuid.UUID, round_id: uuid.UUID | None, page: PageRequest
    ) -> tuple[list[Review], str | None]:
        stmt = select(Review).where(Review.document_id == document_id)
        if round_id is not None:
            stmt = stmt.where(Review.round_id == round_id)
        rows, cursor = await keyset_page(
            self.session,
            stmt,
            [Review.created_at, Review.id],
            page,
            self.cursors,
            scope=f"reviews:{document_id}:{round_id}",
        )
        return [r[0] for r in rows], cursor

    async def rounds(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReviewRound]:
        if not ids:
            return {}
        found = await self.session.scalars(select(ReviewRound).where(ReviewRound.id.in_(ids)))
        return {r.id: r for r in found}

    async def authors(self, document: DocumentRef) -> frozenset[uuid.UUID]:
        return await DocumentReader(self.session, document.org_id).authors(document.id)

    async def reviewers(self, document: DocumentRef) -> tuple[frozenset[uuid.UUID], list[str]]:
        """The users and the team slugs the document asks to review it."""
        users, team_ids = await DocumentReader(self.session, document.org_id).reviewers(document.id)
        slugs = await TeamReader(self.session, document.org_id).slugs(team_ids)
        return users, [slugs[t] for t in team_ids if t in slugs]

    async def team_members(
        self, org_id: uuid.UUID, slugs: Sequence[str]
    ) -> dict[str, frozenset[uuid.UUID]]:
        return await TeamReader(self.session, org_id).members(slugs)

    async def teams_exist(self, org_id: uuid.UUID, slugs: Sequence[str]) -> set[str]:
        return await TeamReader(self.session, org_id).existing(slugs)

    async def teams_of(self, org_id: uuid.UUID, user_id: uuid.UUID) -> set[str]:
        return await TeamReader(self.session, org_id).of_user(user_id)

    async def blocking_questions(self, document: DocumentRef) -> list[str]:
        return await RegisterReader(self.session, document.org_id).blocking_questions(document.id)

    async def blocking_threads(self, document_id: uuid.UUID) -> list[uuid.UUID]:
        query = select(CommentThread.id).where(
            CommentThread.document_id == document_id,
            CommentThread.blocking.is_(True),
            CommentThread.resolved_at.is_(None),
        )
        return list(await self.session.scalars(query.order_by(CommentThread.created_at)))

    async def thread(self, document_id: uuid.UUID, thread_id: uuid.UUID) -> CommentThread | None:
        return await self.session.scalar(
            select(CommentThread).where(
                CommentThread.id == thread_id, CommentThread.document_id == document_id
            )
        )

    async def thread_page(
        self, document_id: uuid.UUID, page: PageRequest, filters: ThreadFilter
    ) -> tuple[list[CommentThread], str | None]:
        stmt = select(CommentThread).where(CommentThread.document_id == document_id)
        if filters.section is not None:
            stmt = stmt.where(CommentThread.section_id == filters.section)
        if filters.resolved is not None:
            resolved = CommentThread.resolved_at.is_not(None)
            stmt = stmt.where(resolved if filters.resolved else ~resolved)
        if filters.blocking is not None:
            stmt = stmt.where(CommentThread.blocking.is_(filters.blocking))
        scope = filters.scope
        rows, cursor = await keyset_page(
            self.session,
            stmt,
            [CommentThread.created_at, CommentThread.id],
            page,
            self.cursors,
            scope=f"comments:{document_id}:{scope}",
        )
        return [r[0] for r in rows], cursor

    async def replies(self, thread_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[CommentReply]]:
        found: dict[uuid.UUID, list[CommentReply]] = {t: [] for t in thread_ids}
        if thread_ids:
            query = (
                select(CommentReply)
                .where(CommentReply.thread_id.in_(list(thread_ids)))
                .order_by(CommentReply.created_at, CommentReply.id)
            )
            for reply in await self.session.scalars(query):
                found[reply.thread_id].append(reply)
        return found

    async def expiring_policies(self) -> list[ReviewPolicy]:
        query = select(ReviewPolicy).where(ReviewPolicy.approval_expiry_days.is_not(None))
        return list(await self.session.scalars(query))

    async def open_threads_mentioning(
        self, org_id: uuid.UUID, names: Sequence[str], limit: int
    ) -> list[CommentThread]:
        """Unresolved threads indexed under any of ``names`` (``comment_mention``), newest
        first: the candidates a caller then matches exactly."""
        mentioned = select(CommentMention.thread_id).where(
            CommentMention.org_id == org_id, CommentMention.handle.in_(list(names))
        )
        query = (
            select(CommentThread)
            .where(
                CommentThread.org_id == org_id,
                CommentThread.resolved_at.is_(None),
                CommentThread.id.in_(mentioned),
            )
            .order_by(CommentThread.created_at.desc(), CommentThread.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def index_mentions(
        self, thread: CommentThread, names: set[str], *, replace: bool = False
    ) -> None:
        """Add ``names`` to the thread's mentions (``replace``: they become all of them)."""
        if replace:
            await self.session.execute(
                delete(CommentMention).where(CommentMention.thread_id == thread.id)
            )
            known: set[str] = set()
        else:
            known = set(
                await self.session.scalars(
                    select(CommentMention.handle).where(CommentMention.thread_id == thread.id)
                )
            )
        for name in sorted(names - known):
            self.session.add(CommentMention(thread_id=thread.id, handle=name, org_id=thread.org_id))
        await self.session.flush()

    async def reviews_by(
        self, org_id: uuid.UUID, reviewer_id: uuid.UUID, outcome: str
    ) -> list[tuple[Review, ReviewRound]]:
        """A person's verdicts in the organization's rounds with this outcome, oldest first."""
        query = (
            select(Review, ReviewRound)
            .join(ReviewRound, ReviewRound.id == Review.round_id)
            .where(
                Review.org_id == org_id,
                Review.reviewer_id == reviewer_id,
                ReviewRound.outcome == outcome,
            )
            .order_by(Review.created_at, Review.id)
        )
        return [(r, round_) for r, round_ in (await self.session.execute(query)).all()]
