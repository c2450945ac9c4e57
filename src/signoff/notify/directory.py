"""Who is told: the queries that turn an event's ids, slugs and names into people.

Notify sits above the domains it reads (documents, teams, members, users) and only reads
their tables, in the relay's dispatching transaction. Only current, enabled members of the
event's organization are ever addressed: someone who left since the event hears nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.models import User
from signoff.documents.models import KEY_PREFIX, Document, DocumentAuthor
from signoff.orgs.models import Membership, Organization, Team, TeamMember


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    email: str
    name: str


@dataclass(frozen=True)
class DocumentRef:
    id: uuid.UUID
    key: str
    title: str
    org_slug: str


class Directory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def document(self, org_id: uuid.UUID, key: str) -> DocumentRef | None:
        number = key.removeprefix(KEY_PREFIX)
        if not number.isdigit():
            return None
        query = (
            select(Document.id, Document.title, Organization.slug)
            .join(Organization, Organization.id == Document.org_id)
            .where(Document.org_id == org_id, Document.number == int(number))
        )
        row = (await self._session.execute(query)).first()
        return DocumentRef(row.id, key, row.title, row.slug) if row else None

    async def authors(self, document_id: uuid.UUID) -> frozenset[uuid.UUID]:
        query = select(DocumentAuthor.user_id).where(DocumentAuthor.document_id == document_id)
        return frozenset(await self._session.scalars(query))

    async def team_members(
        self, org_id: uuid.UUID, slugs: Collection[str]
    ) -> dict[str, frozenset[uuid.UUID]]:
        found: dict[str, set[uuid.UUID]] = {slug: set() for slug in slugs}
        if slugs:
            query = (
                select(Team.slug, TeamMember.user_id)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .where(Team.org_id == org_id, Team.slug.in_(list(slugs)))
            )
            for slug, user_id in await self._session.execute(query):
                found[slug].add(user_id)
        return {slug: frozenset(ids) for slug, ids in found.items()}

    async def members(
        self, org_id: uuid.UUID, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Person]:
        """The given users who are members of the organization now, and not disabled."""
        if not user_ids:
            return {}
        query = self._people(org_id).where(User.id.in_(list(user_ids)))
        return {p.user_id: p for p in await self._persons(query)}

    async def owner(self, org_id: uuid.UUID, owner: str) -> Person | None:
        """The member a register's free-text owner names: by email (any case), else by a
        name no other member shares. An ambiguous name names nobody: better no email than
        one to the wrong person."""
        text = owner.strip().lower()
        if not text:
            return None
        query = self._people(org_id).where(
            or_(func.lower(User.email) == text, func.lower(User.name) == text)
        )
        found = await self._persons(query)
        by_email = [p for p in found if p.email.lower() == text]
        if by_email:
            return by_email[0]
        return found[0] if len(found) == 1 else None

    def _people(self, org_id: uuid.UUID) -> Select[uuid.UUID, str, str]:
        return (
            select(User.id, User.email, User.name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org_id, User.disabled_at.is_(None))
        )

    async def _persons(self, query: Select[uuid.UUID, str, str]) -> list[Person]:
        return [Person(*row) for row in await self._session.execute(query)]
