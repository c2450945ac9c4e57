"""Every query of the review domain. Reads of teams, authors, reviewers and open questions
go straight to their tables: review sits above those domains and only reads them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.documents.models import Document, DocumentAuthor, DocumentReviewer
from signoff.orgs.models import Team, TeamMember
from signoff.registers.models import RegisterItem
from signoff.review.models import CommentReply, CommentThread, Review, ReviewPolicy, ReviewRound


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

    async def authors(self, document_id: uuid.UUID) -> frozenset[uuid.UUID]:
        query = select(DocumentAuthor.user_id).where(DocumentAuthor.document_id == document_id)
        return frozenset(await self.session.scalars(query))

    async def reviewers(self, document_id: uuid.UUID) -> tuple[frozenset[uuid.UUID], list[str]]:
        """The users and the team slugs the document asks to review it."""
        rows = (
            await self.session.execute(
                select(DocumentReviewer.user_id, Team.slug)
                .outerjoin(Team, Team.id == DocumentReviewer.team_id)
                .where(DocumentReviewer.document_id == document_id)
                .order_by(DocumentReviewer.position)
            )
        ).all()
        users = frozenset(u for u, _ in rows if u is not None)
        return users, [slug for _, slug in rows if slug is not None]

    async def team_members(
        self, org_id: uuid.UUID, slugs: Sequence[str]
    ) -> dict[str, frozenset[uuid.UUID]]:
        found: dict[str, set[uuid.UUID]] = {slug: set() for slug in slugs}
        if slugs:
            rows = await self.session.execute(
                select(Team.slug, TeamMember.user_id)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .where(Team.org_id == org_id, Team.slug.in_(list(slugs)))
            )
            for slug, user_id in rows:
                found[slug].add(user_id)
        return {slug: frozenset(ids) for slug, ids in found.items()}

    async def teams_exist(self, org_id: uuid.UUID, slugs: Sequence[str]) -> set[str]:
        if not slugs:
            return set()
        query = select(Team.slug).where(Team.org_id == org_id, Team.slug.in_(list(slugs)))
        return set(await self.session.scalars(query))

    async def teams_of(self, org_id: uuid.UUID, user_id: uuid.UUID) -> set[str]:
        query = (
            select(Team.slug)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.org_id == org_id, TeamMember.user_id == user_id)
        )
        return set(await self.session.scalars(query))

    async def blocking_questions(self, document_id: uuid.UUID) -> list[str]:
        query = select(RegisterItem.key).where(
            RegisterItem.document_id == document_id,
            RegisterItem.kind == "questions",
            RegisterItem.status == "open",
            RegisterItem.blocking.is_(True),
        )
        return list(await self.session.scalars(query.order_by(RegisterItem.position)))

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
        self, document_id: uuid.UUID, page: PageRequest, filters: dict[str, object]
    ) -> tuple[list[CommentThread], str | None]:
        stmt = select(CommentThread).where(CommentThread.document_id == document_id)
        if filters.get("section") is not None:
            stmt = stmt.where(CommentThread.section_id == filters["section"])
        if filters.get("resolved") is not None:
            resolved = CommentThread.resolved_at.is_not(None)
            stmt = stmt.where(resolved if filters["resolved"] else ~resolved)
        if filters.get("blocking") is not None:
            stmt = stmt.where(CommentThread.blocking.is_(bool(filters["blocking"])))
        scope = ":".join(f"{k}={v}" for k, v in sorted(filters.items()))
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

    async def approved_documents(
        self, org_id: uuid.UUID, approved_before: datetime
    ) -> list[Document]:
        """Approved documents whose approval is older than ``approved_before`` and not yet
        flagged, locked for the expiry job (skipping those another instance holds)."""
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
        return list(await self.session.scalars(query))

    async def expiring_policies(self) -> list[ReviewPolicy]:
        query = select(ReviewPolicy).where(ReviewPolicy.approval_expiry_days.is_not(None))
        return list(await self.session.scalars(query))
