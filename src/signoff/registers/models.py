"""Register rows, materialized from the head revision of each document.

The section text is the source; these rows are its projection, rewritten in the same
transaction as every revision, and queried by the API and the org-wide views. Typed
columns (status, owner, dates, levels) are derived from the text for filtering and sorting.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base
from signoff.core.types import JSONType, UTCDateTime, new_id


class RegisterItem(Base):
    __tablename__ = "register_item"
    __table_args__ = (
        Index("ix_register_item_document_id_kind_position", "document_id", "kind", "position"),
        Index("ix_register_item_org_id_kind_status", "org_id", "kind", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(500))
    fields: Mapped[dict[str, str]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    # Free text as written (a name or an email; owners may be outside the organization).
    owner: Mapped[str | None] = mapped_column(String(200))
    target_date: Mapped[date | None] = mapped_column(Date)
    likelihood: Mapped[int | None]
    impact: Mapped[int | None]
    # likelihood x impact (1-9), 0 when either is unknown: the order of the risk views.
    score: Mapped[int] = mapped_column(default=0)
    blocking: Mapped[bool] = mapped_column(default=False)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
