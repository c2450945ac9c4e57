"""The base of a repository of tenant-owned rows: it is made for one organization, and every
query it builds is filtered by it, so no query can forget the org id (rule 4)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


class TenantOwned(Protocol):
    id: InstrumentedAttribute[uuid.UUID]
    org_id: InstrumentedAttribute[uuid.UUID]


M = TypeVar("M")


class TenantRepository(Generic[M]):
    model: ClassVar[type[Any]]  # a mapped class with ``id`` and ``org_id`` columns

    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    def owned(self) -> Any:
        """The clause that keeps a query to this organization's rows (for joins)."""
        return self.model.org_id == self.org_id

    def scoped(self) -> Select[Any]:
        """``SELECT`` of this organization's rows only."""
        return select(self.model).where(self.owned())

    async def get(self, id: uuid.UUID) -> M | None:
        """The row with this id if this organization owns it (another's is None: a 404)."""
        row: M | None = await self.session.scalar(self.scoped().where(self.model.id == id))
        return row
