"""What other domains may read of an account (rule 1): the shape of the users the accounts
services hand them, and enabled people through ``people``. Orgs and notify import this
module, never ``accounts.models``."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.models import User


class UserRef(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def disabled_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    email: str
    name: str


async def people(
    session: AsyncSession,
    among: Any,
    *,
    ids: Collection[uuid.UUID] | None = None,
    named: str | None = None,
) -> list[Person]:
    """The enabled users whose id is in ``among`` (a select of user ids, so that the caller's
    domain says who without this one knowing how), restricted to ``ids``, or to those whose
    email or name is ``named`` (any case)."""
    query = select(User.id, User.email, User.name).where(
        User.id.in_(among), User.disabled_at.is_(None)
    )
    if ids is not None:
        query = query.where(User.id.in_(list(ids)))
    if named is not None:
        query = query.where(or_(func.lower(User.email) == named, func.lower(User.name) == named))
    return [Person(*row) for row in await session.execute(query)]
