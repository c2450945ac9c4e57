"""Audit tables. Rows are only ever inserted; each links to its predecessor by hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base
from signoff.core.types import JSONType, UTCDateTime, new_id

# The chain of events that belong to no organization (sign-ins, token refreshes).
GLOBAL_CHAIN = uuid.UUID(int=0)
GENESIS_HASH = "0" * 64


class AuditChain(Base):
    """The head of one chain; locking it serializes appends to that chain."""

    __tablename__ = "audit_chain"

    chain_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    chain_id: Mapped[uuid.UUID]
    seq: Mapped[int]
    event_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
