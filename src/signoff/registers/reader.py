"""What other domains may read of the registers (rule 1): frozen rows of one document's
register, through ``RegisterReader``. Traceability imports this module, never
``registers.models`` (import-linter holds it to it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from signoff.core.repository import TenantRepository
from signoff.registers.models import RegisterItem


@dataclass(frozen=True)
class RegisterRow:
    id: uuid.UUID
    document_id: uuid.UUID
    kind: str
    key: str
    position: int
    fields: dict[str, Any]
    content_hash: str


class RegisterReader(TenantRepository[RegisterItem]):
    model = RegisterItem

    async def rows(self, document_id: uuid.UUID, kind: str) -> list[RegisterRow]:
        """The rows of one register of a document, in their order in the section."""
        query = (
            self.scoped()
            .where(RegisterItem.document_id == document_id, RegisterItem.kind == kind)
            .order_by(RegisterItem.position)
        )
        return [_row(i) for i in await self.session.scalars(query)]

    async def by_key(self, document_id: uuid.UUID, kind: str, key: str) -> RegisterRow | None:
        """The row of a register with this (normalized) key, if there is one."""
        item = await self.session.scalar(
            self.scoped().where(
                RegisterItem.document_id == document_id,
                RegisterItem.kind == kind,
                RegisterItem.key == key,
            )
        )
        return None if item is None else _row(item)

    async def blocking_questions(self, document_id: uuid.UUID) -> list[str]:
        """The keys of the document's open questions that block approval, in order."""
        query = (
            select(RegisterItem.key)
            .where(
                self.owned(),
                RegisterItem.document_id == document_id,
                RegisterItem.kind == "questions",
                RegisterItem.status == "open",
                RegisterItem.blocking.is_(True),
            )
            .order_by(RegisterItem.position)
        )
        return list(await self.session.scalars(query))


def _row(item: RegisterItem) -> RegisterRow:
    return RegisterRow(
        item.id,
        item.document_id,
        item.kind,
        item.key,
        item.position,
        dict(item.fields),
        item.content_hash,
    )
