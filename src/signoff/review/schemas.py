"""Request and response bodies of the review routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from signoff.core.bounds import DB_INT_MAX
from signoff.documents.schemas import PersonRead
from signoff.review.comments import ThreadView
from signoff.review.engine import Policy, standing
from signoff.review.models import Review, ReviewRound
from signoff.review.service import ApprovalView

Verdict = Literal["approve", "request_changes", "comment"]


class OwnerRuleBody(BaseModel):
    pattern: str = Field(
        min_length=1,
        max_length=255,
        description="Section numbers: `7.*` (§7 and everything under it), `7.2`, `*.1`, `*`; "
        "or, in a template without numbers, heading paths: `/design-details/*`, `/summary`.",
        examples=["7.*"],
    )
    team: str = Field(min_length=1, max_length=63, description="A team's slug.")


class ReviewPolicyBody(BaseModel):
    required_approvals: int = Field(
        default=1, ge=1, le=20, description="Approvals a round needs unless a document says."
    )
    approval_expiry_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Flag approved documents for re-review after this many days (null: never).",
    )


class DocumentReviewPolicyBody(BaseModel):
    required_approvals: int | None = Field(
        default=None, ge=1, le=20, description="null: the organization's default."
    )


class DocumentReviewPolicyRead(DocumentReviewPolicyBody):
    effective_required_approvals: int


class SubmissionCreate(BaseModel):
    message: str = Field(default="", max_length=5000, description="A note to the reviewers.")


class RoundRead(BaseModel):
    number: int
    outcome: Literal["open", "approved", "withdrawn"]
    opened_revision: int
    opened_version: str
    opened_by: str
    opened_at: datetime
    message: str
    closed_at: datetime | None
    approved_revision: int | None
    approved_version: str | None


class ReviewCreate(BaseModel):
    verdict: Verdict
    body: str = Field(default="", max_length=20_000)
    sections: list[str] | None = Field(
        default=None,
        max_length=500,
        description="Section ids or numbers the verdict is about. Without: a requested "
        "reviewer's approval covers the whole document, a section owner's their team's sections.",
    )
    revision: int | None = Field(
        default=None,
        ge=1,
        le=DB_INT_MAX,
        description="The revision you read. Required to approve: an approval is refused "
        "when a section it covers changed since (409 stale_review).",
    )

    @model_validator(mode="after")
    def _approvals_name_what_they_saw(self) -> ReviewCreate:
        if self.verdict == "approve" and self.revision is None:
            raise ValueError("an approval must say which revision was read: give `revision`")
        return self


class CoveredSection(BaseModel):
    section_id: str
    number: str | None
    hash: str = Field(description="The section's content hash the verdict was given on.")


class ReviewRead(BaseModel):
    id: uuid.UUID
    round: int
    verdict: Verdict
    reviewer: PersonRead
    body: str
    whole_document: bool
    sections: list[CoveredSection]
    revision: int
    created_at: datetime
    dismissed_at: datetime | None
    dismissed_reason: str | None
    dismissed_by_revision: int | None = Field(
        default=None, description="The revision whose edit dismissed this approval."
    )


class ReviewCreated(ReviewRead):
    document_status: str
    document_version: str


class MissingRead(BaseModel):
    code: str = Field(
        description="team_approval_missing, reviewer_approval_missing, approvals_needed, "
        "changes_requested, blocking_thread_open, blocking_question_open, not_submitted"
    )
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class OwnerRead(BaseModel):
    team: str
    sections: list[CoveredSection]
    satisfied: bool


class ApprovalEntry(BaseModel):
    review_id: uuid.UUID
    reviewer: PersonRead
    at: datetime
    revision: int
    whole_document: bool
    sections: list[CoveredSection]
    counts: bool = Field(description="Whether it counts now (not by an author, content unchanged).")


class ApprovedRead(BaseModel):
    round: int
    version: str | None
    revision: int | None
    at: datetime | None
    approvals: list[dict[str, Any]] = Field(
        description="Who approved, when, and the section hashes each approval covered."
    )


class ApprovalRead(BaseModel):
    status: str
    version: str
    round: RoundRead | None
    required_approvals: int
    approvals: list[ApprovalEntry]
    dismissed: list[ReviewRead]
    owners: list[OwnerRead]
    missing: list[MissingRead]
    met: bool
    last_approved: ApprovedRead | None


class CommentCreate(BaseModel):
    section: str = Field(min_length=1, max_length=128, description="Section id or number.")
    body: str = Field(min_length=1, max_length=20_000)
    quote: str | None = Field(
        default=None, min_length=1, max_length=2000, description="A passage of the section."
    )
    blocking: bool = Field(default=False, description="Must be resolved before approval.")


class ReplyCreate(BaseModel):
    body: str = Field(min_length=1, max_length=20_000)


class CommentPatch(BaseModel):
    resolved: bool | None = None
    blocking: bool | None = None
    body: str | None = Field(default=None, min_length=1, max_length=20_000)


class PersonRef(BaseModel):
    id: uuid.UUID | None
    name: str


class ReplyRead(BaseModel):
    id: uuid.UUID
    body: str
    author: PersonRef
    created_at: datetime


class CommentSection(BaseModel):
    id: str
    number: str | None = Field(description="Its number now (null when it is gone).")
    number_when_opened: str | None


class CommentRead(BaseModel):
    id: uuid.UUID
    section: CommentSection
    quote: str | None
    body: str
    author: PersonRef
    blocking: bool
    resolved: bool
    resolved_at: datetime | None
    resolved_by: str | None
    outdated: bool = Field(description="The quoted passage or the section changed since.")
    revision: int = Field(description="The revision the thread was opened on.")
    replies: list[ReplyRead]
    created_at: datetime
    updated_at: datetime


def round_read(r: ReviewRound) -> RoundRead:
    return RoundRead(
        number=r.number,
        outcome=r.outcome,
        opened_revision=r.opened_revision,
        opened_version=r.opened_version,
        opened_by=r.opened_by,
        opened_at=r.opened_at,
        message=r.message,
        closed_at=r.closed_at,
        approved_revision=r.approved_revision,
        approved_version=r.approved_version,
    )


def review_read(r: Review, round_number: int) -> ReviewRead:
    return ReviewRead(
        id=r.id,
        round=round_number,
        verdict=r.verdict,
        reviewer=PersonRead(id=r.reviewer_id, name=r.reviewer_name, email=r.reviewer_email),
        body=r.body,
        whole_document=r.whole_document,
        sections=[CoveredSection.model_validate(c) for c in r.covered],
        revision=r.revision,
        created_at=r.created_at,
        dismissed_at=r.dismissed_at,
        dismissed_reason=r.dismissed_reason,
        dismissed_by_revision=r.dismissed_by_revision,
    )


def policy_read(p: Policy) -> ReviewPolicyBody:
    return ReviewPolicyBody(
        required_approvals=p.required_approvals, approval_expiry_days=p.approval_expiry_days
    )


def approval_read(view: ApprovalView) -> ApprovalRead:
    judged, document = view.judged, view.document
    state, evaluation = judged.state, judged.evaluation
    counted = {v.review_id for v in evaluation.counted}
    numbers = state.numbers
    missing = [MissingRead(code=m.code, detail=m.detail, data=m.data) for m in evaluation.missing]
    if view.round is None:
        missing = [
            MissingRead(
                code="not_submitted",
                detail="No review round is open: submit the document (POST .../submission).",
            )
        ]
    live = standing(view.reviews)
    last = view.last_approved
    return ApprovalRead(
        status=document.status,
        version=document.version,
        round=round_read(view.round) if view.round else None,
        required_approvals=state.required_approvals,
        approvals=[
            ApprovalEntry(
                review_id=r.id,
                reviewer=PersonRead(id=r.reviewer_id, name=r.reviewer_name, email=r.reviewer_email),
                at=r.created_at,
                revision=r.revision,
                whole_document=r.whole_document,
                sections=[CoveredSection.model_validate(c) for c in r.covered],
                counts=r.id in counted,
            )
            for r in live
            if r.verdict == "approve"
        ],
        dismissed=[
            review_read(r, view.round.number)
            for r in view.reviews
            if r.dismissed_at is not None and view.round is not None
        ],
        owners=[
            OwnerRead(
                team=team,
                sections=[
                    CoveredSection(section_id=s, number=numbers.get(s), hash=state.sections[s])
                    for s in ids
                ],
                satisfied=team in evaluation.satisfied_teams,
            )
            for team, ids in judged.owners.items()
        ],
        missing=missing,
        met=view.round is not None and evaluation.met,
        last_approved=ApprovedRead(
            round=last.number,
            version=last.approved_version,
            revision=last.approved_revision,
            at=last.closed_at,
            approvals=last.approvals,
        )
        if last
        else None,
    )


def comment_read(view: ThreadView) -> CommentRead:
    t = view.thread
    return CommentRead(
        id=t.id,
        section=CommentSection(
            id=t.section_id,
            number=view.section.number if view.section else None,
            number_when_opened=t.section_number,
        ),
        quote=t.quote,
        body=t.body,
        author=PersonRef(id=t.author_id, name=t.author_name),
        blocking=t.blocking,
        resolved=t.resolved_at is not None,
        resolved_at=t.resolved_at,
        resolved_by=t.resolved_by,
        outdated=view.outdated,
        revision=t.revision,
        replies=[
            ReplyRead(
                id=r.id,
                body=r.body,
                author=PersonRef(id=r.author_id, name=r.author_name),
                created_at=r.created_at,
            )
            for r in view.replies
        ],
        created_at=t.created_at,
        updated_at=t.updated_at,
    )
