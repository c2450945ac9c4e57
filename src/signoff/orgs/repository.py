"""Every query of the tenancy domain; each takes the organization it is about."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.orgs.models import (
    Invitation,
    Membership,
    Organization,
    OrgRequestLimit,
    Team,
    TeamMember,
)


class OrgRepository:
    def __init__(self, session: AsyncSession, cursors: CursorCodec) -> None:
        self.session = session
        self._cursors = cursors

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def org_by_slug(self, slug: str) -> Organization | None:
        return await self.session.scalar(select(Organization).where(Organization.slug == slug))

    async def org(self, org_id: uuid.UUID) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def request_limit(self, org_id: uuid.UUID) -> OrgRequestLimit | None:
        return await self.session.get(OrgRequestLimit, org_id)

    async def membership(self, org_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.session.scalar(
            select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
        )

    async def owners(self, org_id: uuid.UUID) -> int:
        query = select(func.count()).where(Membership.org_id == org_id, Membership.role == "owner")
        return (await self.session.execute(query)).scalar_one()

    async def lock_owners(self, org_id: uuid.UUID) -> None:
        """Serialize ownership changes in one organization (two owners demoting each other at
        once must not both succeed)."""
        await self.session.execute(
            select(Organization.id).where(Organization.id == org_id).with_for_update()
        )

    async def delete_membership(self, membership: Membership) -> None:
        await self.session.execute(
            delete(TeamMember).where(
                TeamMember.user_id == membership.user_id,
                TeamMember.team_id.in_(select(Team.id).where(Team.org_id == membership.org_id)),
            )
        )
        await self.session.delete(membership)
        await self.session.flush()

    async def orgs_of_user(
        self, user_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[tuple[Organization, str]], str | None]:
        stmt = (
            select(Organization, Membership.role)
            .join(Membership, Membership.org_id == Organization.id)
            .where(Membership.user_id == user_id)
        )
        rows, cursor = await keyset_page(
            self.session, stmt, [Organization.id], page, self._cursors, scope=f"orgs:{user_id}"
        )
        return [(r[0], r[1]) for r in rows], cursor

    async def members(
        self, org_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[Membership], str | None]:
        stmt = select(Membership).where(Membership.org_id == org_id)
        rows, cursor = await keyset_page(
            self.session, stmt, [Membership.id], page, self._cursors, scope=f"members:{org_id}"
        )
        return [r[0] for r in rows], cursor

    async def team(self, org_id: uuid.UUID, slug: str) -> Team | None:
        return await self.session.scalar(
            select(Team).where(Team.org_id == org_id, Team.slug == slug)
        )

    async def teams(self, org_id: uuid.UUID, page: PageRequest) -> tuple[list[Team], str | None]:
        stmt = select(Team).where(Team.org_id == org_id)
        rows, cursor = await keyset_page(
            self.session, stmt, [Team.id], page, self._cursors, scope=f"teams:{org_id}"
        )
        return [r[0] for r in rows], cursor

    async def team_member_ids(self, team_id: uuid.UUID) -> list[uuid.UUID]:
        query = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
        return list(await self.session.scalars(query.order_by(TeamMember.user_id)))

    async def team_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
        return await self.session.get(TeamMember, (team_id, user_id))

    async def teams_of_user(self, org_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
        query = (
            select(Team.slug)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.org_id == org_id, TeamMember.user_id == user_id)
        )
        return list(await self.session.scalars(query.order_by(Team.slug)))

    async def invitation(self, org_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.org_id == org_id, Invitation.id == invitation_id)
        )

    async def invitation_by_token(self, token_hash: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
        )

    async def pending_invitations(
        self, org_id: uuid.UUID, now: datetime, page: PageRequest
    ) -> tuple[list[Invitation], str | None]:
        stmt = select(Invitation).where(
            Invitation.org_id == org_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        rows, cursor = await keyset_page(
            self.session, stmt, [Invitation.id], page, self._cursors, scope=f"invitations:{org_id}"
        )
        return [r[0] for r in rows], cursor


async def request_budget(
    session: AsyncSession, org: str
) -> tuple[str, int | None, int | None] | None:
    """The id of the organization named by ``org`` (its slug, or its id as an API key's
    organization is named) and the budgets it set itself (None where it set none); None when
    no organization has that name. A Core select: every request of an organization not in
    the cache asks."""
    try:
        named = Organization.id == uuid.UUID(org)
    except ValueError:
        named = Organization.slug == org
    query = (
        select(Organization.id, OrgRequestLimit.reads_per_minute, OrgRequestLimit.writes_per_minute)
        .outerjoin(OrgRequestLimit, OrgRequestLimit.org_id == Organization.id)
        .where(named)
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    return str(row.id), row.reads_per_minute, row.writes_per_minute
