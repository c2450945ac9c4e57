"""What other domains may read of the registers (rule 1): frozen rows of one document's
register, through ``RegisterReader``. Traceability imports this module, never
``registers.models`` (import-linter holds it to it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

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


class RegisterReader(TenantRepository[RegisterItem]):
    model = RegisterItem

    async def rows(self, document_id: uuid.UUID, kind: str) -> list[RegisterRow]:
        """The rows of one register of a document, in their order in the section."""
        query = (
            self.scoped()
            .where(RegisterItem.document_id == document_id, RegisterItem.kind == kind)
            .order_by(RegisterItem.position)
        )
        return [
            RegisterRow(i.id, i.document_id, i.kind, i.key, i.position, dict(i.fields))
            for i in await self.session.scalars(query)
        ]
