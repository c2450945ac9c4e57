"""What in the reviews waits for one person's attention (the web inbox shows it): open
threads that mention them, their approvals an edit dismissed in a round still open, and
their approvals of approved documents that expire soon under the organization's policy.

A mention is ``@`` and the person's email (``@ann@example.com``) or the part of it before
the ``@`` (``@ann``), in any case, not followed by more of a name (``@anna`` is not
``@ann``). Signoff has no separate handles: the email is what members already know of each
other. The threads that may mention a person are found by index (``comment_mention``,
filled as comments are written: ``mentions.py``), then matched exactly here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from signoff.core.clock import Clock
from signoff.documents.reader import DocumentHead, DocumentReader
from signoff.orgs.service import OrgAccess
from signoff.review.mentions import names_of
from signoff.review.models import CommentThread, Review
from signoff.review.repository import ReviewRepository

# How far ahead an approval's expiry is shown, and how many rows each list shows at most.
SOON = timedelta(days=14)
LIMIT = 50


@dataclass(frozen=True)
class Mention:
    thread: CommentThread
    document: DocumentHead


@dataclass(frozen=True)
class DismissedApproval:
    review: Review
    document: DocumentHead


@dataclass(frozen=True)
class ExpiringApproval:
    document: DocumentHead
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


def mention_pattern(email: str) -> re.Pattern[str]:
    local = email.partition("@")[0]
    names = "|".join(re.escape(n) for n in sorted({email, local}, key=len, reverse=True))
    return re.compile(rf"(?<![\w@.])@(?:{names})(?![\w@-]|\.\w)", re.IGNORECASE)


class AttentionService:
    def __init__(self, repo: ReviewRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def mentions(self, access: OrgAccess, email: str) -> list[Mention]:
        """Unresolved threads of live documents that mention the person, newest first."""
        candidates = await self._repo.open_threads_mentioning(access.org_id, names_of(email), LIMIT)
        replies = await self._repo.replies([t.id for t in candidates])
        pattern = mention_pattern(email)
        found = [
            t
            for t in candidates
            if pattern.search(t.body) or any(pattern.search(r.body) for r in replies[t.id])
        ]
        heads = await self._heads(access, (t.document_id for t in found))
        return [Mention(t, heads[t.document_id]) for t in found if t.document_id in heads]

    async def dismissed(self, access: OrgAccess, user_id: uuid.UUID) -> list[DismissedApproval]:
        """The person's approvals dismissed by an edit, in rounds still open, where they have
        given no verdict since: their approval is wanted again."""
        latest: dict[uuid.UUID, Review] = {}
        for review, _ in await self._repo.reviews_by(access.org_id, user_id, "open"):
            latest[review.round_id] = review  # oldest first: the last one stays
        wanted = [
            r for r in latest.values() if r.verdict == "approve" and r.dismissed_at is not None
        ][:LIMIT]
        heads = await self._heads(access, (r.document_id for r in wanted))
        return [
            DismissedApproval(r, heads[r.document_id]) for r in wanted if r.document_id in heads
        ]

    async def expiring(self, access: OrgAccess, user_id: uuid.UUID) -> list[ExpiringApproval]:
        """Approved documents whose current approval the person gave and which expire within
        ``SOON`` (or have expired) under the organization's maximum approval age."""
        policy = await self._repo.policy(access.org_id)
        if policy is None or policy.approval_expiry_days is None:
            return []
        max_age = timedelta(days=policy.approval_expiry_days)
        mine = await self._repo.reviews_by(access.org_id, user_id, "approved")
        approved = {
            round_.document_id: round_.approved_revision
            for review, round_ in mine
            if review.verdict == "approve" and review.dismissed_at is None
        }
        heads = await self._heads(access, approved)
        horizon = self._clock.now() + SOON
        found = [
            ExpiringApproval(head, head.approved_at + max_age)
            for doc_id, revision in approved.items()
            if (head := heads.get(doc_id)) is not None
            and head.status == "approved"
            and head.approved_revision == revision
            and head.approved_at is not None
            and head.approved_at + max_age <= horizon
        ]
        return sorted(found, key=lambda e: e.expires_at)[:LIMIT]

    async def _heads(
        self, access: OrgAccess, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, DocumentHead]:
        heads = await DocumentReader(self._repo.session, access.org_id).heads(ids)
        return {k: h for k, h in heads.items() if h.archived_at is None}
