"""The life of a review round, shared by the API and by the revision listener: the state
the rules judge, completion (the approval that freezes a major version) and dismissal of the
approvals an edit made stale."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.documents.reader import (
    DocumentReader,
    DocumentRef,
    HeadSection,
    LockedDocument,
    SectionDigest,
    SectionRef,
)
from signoff.documents.service.writer import RevisionWriter
from signoff.review.events import ApprovalDismissed, DocumentApproved, about
from signoff.review.metrics import ApprovalMetrics
from signoff.review.models import Review, ReviewPolicy, ReviewRound
from signoff.review.ownership import OwnerRule, owned_sections
from signoff.review.repository import ReviewRepository
from signoff.review.rules import Evaluation, RoundState, Verdict, evaluate

MAX_DIFF_CHARS = 8000


@dataclass(frozen=True)
class Policy:
    owners: tuple[OwnerRule, ...] = ()
    required_approvals: int = 1
    approval_expiry_days: int | None = None
    version: int = 0


def policy_of(row: ReviewPolicy | None) -> Policy:
    if row is None:
        return Policy()
    return Policy(
        tuple(OwnerRule(r["pattern"], r["team"]) for r in row.owners),
        row.required_approvals,
        row.approval_expiry_days,
        row.version,
    )


def standing(reviews: Sequence[Review]) -> list[Review]:
    """Each reviewer's latest approve or request_changes (comments change no verdict); an
    approval dismissed by an edit leaves its reviewer with no verdict at all."""
    latest: dict[uuid.UUID, Review] = {}
    for review in reviews:  # in order of creation
        if review.verdict != "comment":
            latest[review.reviewer_id] = review
    return [r for r in latest.values() if r.dismissed_at is None]


def covered_hashes(review: Review) -> dict[str, str]:
    return {c["section_id"]: c["hash"] for c in review.covered}


def approval_record(review: Review) -> dict[str, Any]:
    return {
        "review_id": str(review.id),
        "reviewer_id": str(review.reviewer_id),
        "reviewer": review.reviewer_name,
        "email": review.reviewer_email,
        "at": review.created_at.isoformat(),
        "revision": review.revision,
        "whole_document": review.whole_document,
        "sections": list(review.covered),
    }


@dataclass(frozen=True)
class Judged:
    state: RoundState
    evaluation: Evaluation
    sections: Sequence[SectionRef]
    owners: dict[str, list[str]]
    reviews: list[Review]  # every verdict of the round, in order of creation


class Rounds:
    def __init__(
        self,
        repo: ReviewRepository,
        events: EventRecorder,
        clock: Clock,
        approvals: ApprovalMetrics,
    ) -> None:
        self.repo = repo
        self._events = events
        self._clock = clock
        self._approvals = approvals
        self._writer = RevisionWriter.of_session(repo.session, repo.cursors, events, clock)

    async def policy(self, org_id: uuid.UUID) -> Policy:
        return policy_of(await self.repo.policy(org_id))

    async def head_sections(self, document: DocumentRef) -> list[SectionDigest]:
        reader = DocumentReader(self.repo.session, document.org_id)
        return await reader.sections(document.id, document.head_revision)

    async def judge(
        self,
        document: DocumentRef,
        round_: ReviewRound | None,
        head: Sequence[HeadSection] | None = None,
    ) -> Judged:
        """The round's state and what the rules make of it. ``head``: the sections of the
        document's head revision when the caller has read them already (a page that shows
        them), so that they are not read twice."""
        # Sessions do not autoflush: what this transaction changed (a thread resolved, a
        # review recorded) must reach the database before the queries below read it back.
        await self.repo.session.flush()
        sections = list(head) if head is not None else await self.head_sections(document)
        policy = await self.policy(document.org_id)
        owners = owned_sections(
            policy.owners, [(s.section_id, s.number, s.template_number) for s in sections]
        )
        users, teams = await self.repo.reviewers(document)
        members = await self.repo.team_members(document.org_id, sorted(set(owners) | set(teams)))
        reviews = await self.repo.reviews(round_.id) if round_ else []
        state = RoundState(
            sections={s.section_id: s.content_hash for s in sections},
            numbers={s.section_id: s.number for s in sections},
            owners=owners,
            team_members=members,
            reviewer_users=users,
            reviewer_teams=frozenset(teams),
            authors=await self.repo.authors(document),
            required_approvals=document.required_approvals or policy.required_approvals,
            verdicts=[
                Verdict(
                    r.id,
                    r.reviewer_id,
                    r.reviewer_name,
                    r.verdict,
                    covered_hashes(r),
                    r.whole_document,
                )
                for r in standing(reviews)
            ],
            blocking_threads=await self.repo.blocking_threads(document.id),
            blocking_questions=await self.repo.blocking_questions(document),
        )
        return Judged(state, evaluate(state), sections, owners, reviews)

    async def complete_if_met(
        self, document: LockedDocument, round_: ReviewRound, actor: str | None
    ) -> bool:
        """Approve the document when the round meets the policy: in this transaction, the
        head becomes the next major version, frozen, and `documents.approved` is recorded
        with the section hashes every counted approval covered."""
        judged = await self.judge(document, round_)
        if not judged.evaluation.met:
            return False
        counted = {v.review_id for v in judged.evaluation.counted}
        approvals = [approval_record(r) for r in judged.reviews if r.id in counted]
        saved = await self._writer.approve(document, actor)
        now = self._clock.now()
        round_.outcome, round_.closed_at, round_.closed_by = "approved", now, actor
        round_.approved_revision, round_.approved_version = saved.revision.number, document.version
        round_.approvals = approvals
        await self.repo.session.flush()
        approved = DocumentApproved(
            **about(document),
            round=round_.number,
            revision=saved.revision.number,
            version=document.version,
            content_hash=saved.revision.content_hash,
            approvals=approvals,
            teams=list(judged.evaluation.satisfied_teams),
        )
        await self._events.emit(approved)
        self._approvals.approved(self.repo.session, now - round_.opened_at)
        return True

    async def dismiss_stale(
        self,
        document: DocumentRef,
        round_: ReviewRound,
        before: Sequence[SectionRef],
        after: Sequence[SectionRef],
        revision: int,
    ) -> list[Review]:
        """Dismiss exactly the approvals that covered a section this revision changed (and
        whole-document approvals when a section was added or removed)."""
        now_hashes = {s.section_id: s.content_hash for s in after}
        old = {s.section_id: s for s in before}
        new = {s.section_id: s for s in after}
        reshaped = set(old) != set(new)
        dismissed = []
        for review in standing(await self.repo.reviews(round_.id)):
            if review.verdict != "approve":
                continue
            touched = [c for c in review.covered if now_hashes.get(c["section_id"]) != c["hash"]]
            if not touched and not (review.whole_document and reshaped):
                continue
            review.dismissed_at = self._clock.now()
            review.dismissed_by_revision = revision
            if touched:
                names = ", ".join(f"§{c['number'] or c['section_id']}" for c in touched)
                review.dismissed_reason = f"{names} changed in revision {revision}"
            else:
                review.dismissed_reason = f"sections were added or removed in revision {revision}"
            dismissed.append(review)
            dismissal = ApprovalDismissed(
                **about(document),
                round=round_.number,
                review_id=review.id,
                reviewer_id=review.reviewer_id,
                reviewer=review.reviewer_name,
                reason=review.dismissed_reason,
                revision=revision,
                changes=[
                    {
                        "section_id": c["section_id"],
                        "number": c["number"],
                        "diff": _diff(old.get(c["section_id"]), new.get(c["section_id"])),
                    }
                    for c in touched
                ],
            )
            await self._events.emit(dismissal)
        await self.repo.session.flush()
        return dismissed


def _diff(old: SectionRef | None, new: SectionRef | None) -> str:
    before = (old.body if old else "").splitlines(keepends=True)
    after = (new.body if new else "").splitlines(keepends=True)
    text = "".join(difflib.unified_diff(before, after, "approved", "now", n=2))
    if len(text) > MAX_DIFF_CHARS:
        return text[:MAX_DIFF_CHARS] + "\n... (diff cut; see GET .../diff)\n"
    return text
