"""Sources that may send events, the inbox that makes each event count once, and where each
upstream requirement stands (for out-of-order events)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base
from signoff.core.types import UTCDateTime, new_id


class InboundSource(Base):
    """An upstream system allowed to send events to an organization, with its signing secret
    (Standard Webhooks, sealed at rest)."""

    __tablename__ = "inbound_source"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboxEntry(Base):
    """One event id per source, written in the transaction that applies it: a redelivered
    event finds its entry and changes nothing."""

    __tablename__ = "inbox_entry"

    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbound_source.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str] = mapped_column(String(200))
    # applied | stale (an older version than one already applied)
    outcome: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InboundRequirement(Base):
    """Where an upstream requirement is now, and the newest version of it applied."""

    __tablename__ = "inbound_requirement"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    requirement_id: Mapped[str] = mapped_column(String(50))
    version: Mapped[int]  # -1 when the source sends no versions: then occurred_at orders
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
