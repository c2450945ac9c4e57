"""What the review domain says happened (``core.events.Event``). The wire format is the one
these events always had, key for key and in the same order: webhook consumers, NATS
subscribers, the events API and the audit chain read it (tests/core/test_typed_events.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict

from signoff.core.events import Event
from signoff.documents.reader import DocumentRef


class About(TypedDict):
    """Where a document's review event belongs, spread into its class: ``**about(doc)``."""

    org_id: uuid.UUID
    subject: str
    document_id: uuid.UUID
    key: str


def about(document: DocumentRef) -> About:
    return {
        "org_id": document.org_id,
        "subject": f"documents/{document.key}",
        "document_id": document.id,
        "key": document.key,
    }


@dataclass(frozen=True, kw_only=True)
class DocumentReviewEvent(Event):
    """Every review event on a document: its data begins with the document's id and key."""

    document_id: uuid.UUID
    key: str


@dataclass(frozen=True, kw_only=True)
class DocumentSubmitted(DocumentReviewEvent):
    """A review round opened, with the reviewers and section owners it asks."""

    TYPE = "documents.submitted"

    round: int
    revision: int
    version: str
    reviewers: dict[str, list[str]]
    owners: dict[str, list[str]]
    required_approvals: int


@dataclass(frozen=True, kw_only=True)
class DocumentWithdrawn(DocumentReviewEvent):
    TYPE = "documents.withdrawn"

    round: int


@dataclass(frozen=True, kw_only=True)
class DocumentApproved(DocumentReviewEvent):
    """The round met the policy: the head became a major version, with the section hashes
    every counted approval covered."""

    TYPE = "documents.approved"

    round: int
    revision: int
    version: str
    content_hash: str
    approvals: list[dict[str, Any]]
    teams: list[str]


@dataclass(frozen=True, kw_only=True)
class DocumentPolicyChanged(DocumentReviewEvent):
    """The document's own number of required approvals (None: the organization's)."""

    TYPE = "documents.review_policy_changed"

    required: int | None


@dataclass(frozen=True, kw_only=True)
class ReviewSubmitted(DocumentReviewEvent):
    TYPE = "reviews.submitted"

    round: int
    review_id: uuid.UUID
    verdict: str
    reviewer_id: uuid.UUID
    reviewer: str
    revision: int
    whole_document: bool
    sections: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class ApprovalDismissed(DocumentReviewEvent):
    """An edit changed a section an approval covered: the approval no longer counts."""

    TYPE = "approvals.dismissed"

    round: int
    review_id: uuid.UUID
    reviewer_id: uuid.UUID
    reviewer: str
    reason: str | None
    revision: int
    changes: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class CommentEvent(DocumentReviewEvent):
    """A comment thread's event: the thread and the section it is anchored to."""

    comment_id: uuid.UUID
    section_id: str
    section: str | None


Change = Literal["created", "resolved", "reopened", "updated"]


@dataclass(frozen=True, kw_only=True)
class CommentChanged(CommentEvent):
    """``comments.created``, ``.resolved``, ``.reopened`` or ``.updated`` (text or blocking)."""

    TYPE = "comments.{change}"
    NAMED_BY = ("change",)

    change: Change
    blocking: bool


@dataclass(frozen=True, kw_only=True)
class CommentReplied(CommentEvent):
    TYPE = "comments.replied"

    reply_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ReviewPolicyUpdated(Event):
    """The organization's review policy (``orgs/<slug>``)."""

    TYPE = "review_policy.updated"

    required_approvals: int
    approval_expiry_days: int | None


@dataclass(frozen=True, kw_only=True)
class SectionOwnersUpdated(Event):
    """The organization's section owner rules (``orgs/<slug>``)."""

    TYPE = "section_owners.updated"

    rules: list[dict[str, str]]


@dataclass(frozen=True, kw_only=True)
class ApprovalExpired(Event):
    """An approval passed its organization's maximum age; the document keeps it, flagged."""

    TYPE = "approvals.expired"

    document_id: uuid.UUID
    key: str
    version: str
    approved_at: datetime | None
    max_age_days: int
