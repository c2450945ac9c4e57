"""What other domains may read of the organizations (rule 1): the shapes of what the orgs
services hand them, and the teams through ``TeamReader``. Documents, review and notify
import this module, never ``orgs.models``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.repository import TenantRepository
from signoff.orgs.models import Membership, Organization, Team, TeamMember


class TeamRef(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...


async def organization_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    """The organization, for a caller that proves itself otherwise than by a membership
    (an inbound source, by its signature) and then acts through an ``OrgAccess``."""
    found: Organization | None = await session.scalar(
        select(Organization).where(Organization.slug == slug)
    )
    return found


async def organization_slug(session: AsyncSession, org_id: uuid.UUID) -> str | None:
    found: str | None = await session.scalar(
        select(Organization.slug).where(Organization.id == org_id)
    )
    return found


def member_ids(org_id: uuid.UUID) -> Select[uuid.UUID]:
    """The ids of the organization's members now: for another domain's ``IN (...)``."""
    return select(Membership.user_id).where(Membership.org_id == org_id)


class TeamReader(TenantRepository[Team]):
    model = Team

    async def slugs(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Team.id, Team.slug).where(self.owned(), Team.id.in_(wanted))
        )
        return {row.id: row.slug for row in rows}

    async def members(self, slugs: Sequence[str]) -> dict[str, frozenset[uuid.UUID]]:
        """The members of each team, by slug (an unknown slug has none)."""
        found: dict[str, set[uuid.UUID]] = {slug: set() for slug in slugs}
        if slugs:
            rows = await self.session.execute(
                select(Team.slug, TeamMember.user_id)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .where(self.owned(), Team.slug.in_(list(slugs)))
            )
            for slug, user_id in rows:
                found[slug].add(user_id)
        return {slug: frozenset(ids) for slug, ids in found.items()}

    async def existing(self, slugs: Sequence[str]) -> set[str]:
        if not slugs:
            return set()
        query = select(Team.slug).where(self.owned(), Team.slug.in_(list(slugs)))
        return set(await self.session.scalars(query))

    async def of_user(self, user_id: uuid.UUID) -> set[str]:
        query = (
            select(Team.slug)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(self.owned(), TeamMember.user_id == user_id)
        )
        return set(await self.session.scalars(query))
