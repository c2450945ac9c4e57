"""The stored ``Idempotency-Key`` responses (``core.idempotency``): the table, and the purge
of expired keys. Apart from the HTTP side so that the worker, which purges them, does not
load the web framework (rule 2)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base
from signoff.core.types import JSONType, UTCDateTime, new_id


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_headers: Mapped[dict[str, str]] = mapped_column(JSONType)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
