"""Who is told: turning an event's ids, slugs and names into people.

Notify sits above the domains it reads (documents, teams, members, users) and reads them
through their readers, in the relay's dispatching transaction. Only current, enabled members
of the event's organization are ever addressed: someone who left since the event hears
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.reader import Person, people
from signoff.documents.reader import DocumentReader
from signoff.orgs.reader import TeamReader, member_ids, organization_slug

__all__ = ["Directory", "DocumentRef", "Person"]


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
        head = await DocumentReader(self._session, org_id).by_key(key)
        slug = await organization_slug(self._session, org_id) if head else None
        return DocumentRef(head.id, key, head.title, slug) if head and slug else None

    async def authors(self, org_id: uuid.UUID, document_id: uuid.UUID) -> frozenset[uuid.UUID]:
        return await DocumentReader(self._session, org_id).authors(document_id)

    async def team_members(
        self, org_id: uuid.UUID, slugs: Collection[str]
    ) -> dict[str, frozenset[uuid.UUID]]:
        return await TeamReader(self._session, org_id).members(list(slugs))

    async def members(
        self, org_id: uuid.UUID, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Person]:
        """The given users who are members of the organization now, and not disabled."""
        if not user_ids:
            return {}
        found = await people(self._session, member_ids(org_id), ids=user_ids)
        return {p.user_id: p for p in found}

    async def owner(self, org_id: uuid.UUID, owner: str) -> Person | None:
        """The member a register's free-text owner names: by email (any case), else by a
        name no other member shares. An ambiguous name names nobody: better no email than
        one to the wrong person."""
        text = owner.strip().lower()
        if not text:
            return None
        found = await people(self._session, member_ids(org_id), named=text)
        by_email = [p for p in found if p.email.lower() == text]
        if by_email:
            return by_email[0]
        return found[0] if len(found) == 1 else None
