"""Review rounds, verdicts, comment threads and the organization's review policy.

A verdict is never edited: a reviewer who changes their mind adds a new one, and the latest
counts. An approval records the content hash of every section it covers; when one of those
sections changes, the approval is dismissed (kept, with why and when) and no longer counts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base, one_of, partial_index
from signoff.core.types import JSONType, UTCDateTime, new_id

VERDICTS = ("approve", "request_changes", "comment")
OUTCOMES = ("open", "approved", "withdrawn")


class ReviewPolicy(Base):
    """Per organization: who owns which sections, approvals needed, approval expiry."""

    __tablename__ = "review_policy"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"pattern": "7.*", "team": "security"}, ...]: every matching rule's team owns.
    owners: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    required_approvals: Mapped[int] = mapped_column(default=1)
    approval_expiry_days: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewRound(Base):
    """One submission of a document for review, until it is approved or withdrawn."""

    __tablename__ = "review_round"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        one_of("outcome", OUTCOMES, name="outcome"),
        Index("ix_review_round_document_id_outcome", "document_id", "outcome"),
        # At most one open round per document (the document lock already serializes).
        partial_index(
            "uq_review_round_one_open", "document_id", where="outcome = 'open'", unique=True
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int]
    opened_revision: Mapped[int]
    opened_version: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(10), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    approved_revision: Mapped[int | None]
    approved_version: Mapped[str | None] = mapped_column(String(16))
    # The approvals that made the round pass, with the section hashes each covered: the
    # record of exactly what was signed (also in the audit log, with documents.approved).
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class Review(Base):
    """A verdict in a round. `covered` is what an approval (or change request) is about:
    `[{section_id, number, hash}]` as the reviewer saw it."""

    __tablename__ = "review"
    __table_args__ = (
        one_of("verdict", VERDICTS, name="verdict"),
        Index("ix_review_round_id_created_at", "round_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    reviewer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE")
    )
    reviewer_name: Mapped[str] = mapped_column(String(200))
    reviewer_email: Mapped[str] = mapped_column(String(320))
    verdict: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    # Whole document (no section list given, and not only a team's sections) or not.
    whole_document: Mapped[bool]
    covered: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    revision: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    dismissed_by_revision: Mapped[int | None]


class CommentThread(Base):
    """A discussion anchored to a section (by stable id) and optionally a quoted passage."""

    __tablename__ = "comment_thread"
    __table_args__ = (
        Index("ix_comment_thread_document_id_created_at", "document_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    round_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("review_round.id", ondelete="SET NULL")
    )
    section_id: Mapped[str] = mapped_column(String(128))
    section_number: Mapped[str | None] = mapped_column(String(32))
    quote: Mapped[str | None] = mapped_column(Text)
    # The section's content hash when the thread was opened: "outdated" once it moves.
    anchor_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(200))
    blocking: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    replies: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)


class CommentReply(Base):
    __tablename__ = "comment_reply"
    __table_args__ = (Index("ix_comment_reply_thread_id_created_at", "thread_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    thread_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comment_thread.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommentMention(Base):
    """A name a thread's text or one of its replies may mention (``review/mentions.py``):
    the inbox finds the threads that mention a person by this index, not by scanning text."""

    __tablename__ = "comment_mention"
    __table_args__ = (Index("ix_comment_mention_org_id_handle", "org_id", "handle"),)

    thread_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comment_thread.id", ondelete="CASCADE"), primary_key=True
    )
    handle: Mapped[str] = mapped_column(String(254), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
