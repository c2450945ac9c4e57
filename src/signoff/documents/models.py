"""Documents and their history.

A document points at its head revision. A revision is immutable: its Document Control
snapshot and the ordered list of its sections. Each distinct state of a section is stored
once (``section_version``) and shared by every revision it appears in, so a revision that
changes one section of two hundred adds one section row, not two hundred.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base, one_of
from signoff.core.types import JSONType, UTCDateTime, new_id

KEY_PREFIX = "DD-"
STATUSES = ("draft", "in_review", "approved")
# How Document Control shows a status (the template's "Draft / In Review / Approved").
STATUS_LABELS = {"draft": "Draft", "in_review": "In Review", "approved": "Approved"}


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        one_of("status", STATUSES, name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    template_source: Mapped[str] = mapped_column(String(10))
    template_slug: Mapped[str] = mapped_column(String(63))
    template_version: Mapped[int]
    # draft | in_review | approved: derived by the server (see STATUSES), never typed.
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # `major.minor`: every saved revision after the last approval bumps minor; an approval
    # makes the next major (0.3 -> 1.0 -> 1.1 -> 2.0).
    version: Mapped[str] = mapped_column(String(16))
    major: Mapped[int] = mapped_column(default=0, server_default="0")
    minor: Mapped[int] = mapped_column(default=0, server_default="0")
    head_revision: Mapped[int]
    approved_revision: Mapped[int | None]
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the approval-expiry job when the org's policy says the approval is too old.
    approval_expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Approvals a review round needs; None: the organization's default.
    required_approvals: Mapped[int | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.number}"

    @property
    def template_name(self) -> str:
        """The template it was made from, as `TemplateService.resolve` reads it:
        `backend-server@1`, `org:kep@3`."""
        return template_name(self.template_source, self.template_slug, self.template_version)


class DocumentAuthor(Base):
    __tablename__ = "document_author"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]


class DocumentReviewer(Base):
    """A reviewer the document asks for: a member (user_id) or a team (team_id)."""

    __tablename__ = "document_reviewer"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_of_user_or_team"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), index=True
    )


class DocumentCounter(Base):
    """The last key number given out in an organization. Numbers are never reused."""

    __tablename__ = "document_counter"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    last: Mapped[int]


class Revision(Base):
    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        one_of("status", STATUSES, name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int]
    version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    # Names as they were when the revision was saved: an export of it never changes.
    authors: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    reviewers: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    preamble: Mapped[str] = mapped_column(Text)
    control_extra: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changes: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SectionVersion(Base):
    __tablename__ = "section_version"
    __table_args__ = (
        UniqueConstraint("document_id", "fingerprint"),
        Index("ix_section_version_document_id_section_id", "document_id", "section_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(128))
    number: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[int]
    template_number: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # docformat.section_hash: what approvals and trace links pin; formatting-insensitive.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Everything about this state of the section, so identical states are stored once.
    fingerprint: Mapped[str] = mapped_column(String(64))


class RevisionSection(Base):
    __tablename__ = "revision_section"

    revision_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("revision.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    section_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("section_version.id", ondelete="CASCADE"), index=True
    )


class SearchEntry(Base):
    """One searchable unit: a section of a document's head revision (``title``, ``body``),
    or the document's title (``doc_title``, on an entry of its own with no section).

    PostgreSQL adds a weighted ``tsvector`` column and a GIN index; SQLite keeps an FTS5
    index in step by triggers (both made by the migration, see documents/search.py).
    """

    __tablename__ = "search_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[str | None] = mapped_column(String(128))
    number: Mapped[str | None] = mapped_column(String(32))
    doc_title: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)


class LintPolicy(Base):
    """An organization's lint configuration (docformat.LintConfig)."""

    __tablename__ = "lint_policy"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[list[str] | None] = mapped_column(JSONType)
    disabled: Mapped[list[str]] = mapped_column(JSONType)
    severities: Mapped[dict[str, str]] = mapped_column(JSONType)
    blocking_severities: Mapped[list[str]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)


def template_name(source: str, slug: str, version: int) -> str:
    """`backend-server@1`, `org:kep@3` (also for a document's Core row: the fast lane)."""
    prefix = "org:" if source == "org" else ""
    return f"{prefix}{slug}@{version}"
