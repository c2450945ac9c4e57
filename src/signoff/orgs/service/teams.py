"""Teams of members; they own sections in reviews."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.exc import IntegrityError

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.orgs.errors import MemberNotFound, SlugTaken, TeamNotFound
from signoff.orgs.events import TeamCreated, TeamMemberChanged
from signoff.orgs.models import Team, TeamMember
from signoff.orgs.reader import TeamReader
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service.access import OrgAccess


class TeamService:
    def __init__(self, repo: OrgRepository, events: EventRecorder, clock: Clock) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock

    async def create(self, access: OrgAccess, slug: str, name: str) -> Team:
        if await self._repo.team(access.org_id, slug) is not None:
            raise SlugTaken(f"A team '{slug}' exists.")
        team = Team(
            org_id=access.org_id, slug=slug, name=name.strip(), created_at=self._clock.now()
        )
        try:
            await self._repo.add(team)
        except IntegrityError as exc:
            raise SlugTaken(f"A team '{slug}' exists.") from exc
        await self._events.emit(
            TeamCreated(org_id=access.org_id, subject=f"teams/{team.slug}", team=team.slug)
        )
        return team

    async def page(self, access: OrgAccess, page: PageRequest) -> tuple[list[Team], str | None]:
        return await self._repo.teams(access.org_id, page)

    async def get(self, access: OrgAccess, slug: str) -> Team:
        team = await self._repo.team(access.org_id, slug)
        if team is None:
            raise TeamNotFound(f"No team '{slug}'.")
        return team

    async def slugs_of(self, access: OrgAccess, user_id: uuid.UUID) -> set[str]:
        """The teams a member is in, in one statement."""
        return await TeamReader(self._repo.session, access.org_id).of_user(user_id)

    async def member_ids(self, team: Team) -> list[uuid.UUID]:
        return await self._repo.team_member_ids(team.id)

    async def add_member(self, access: OrgAccess, slug: str, user_id: uuid.UUID) -> Team:
        team = await self.get(access, slug)
        if await self._repo.membership(access.org_id, user_id) is None:
            raise MemberNotFound("Only members of the organization can join its teams.")
        if await self._repo.team_member(team.id, user_id) is None:
            await self._repo.add(
                TeamMember(team_id=team.id, user_id=user_id, created_at=self._clock.now())
            )
            await self._member_changed("added", access, team, user_id)
        return team

    async def remove_member(self, access: OrgAccess, slug: str, user_id: uuid.UUID) -> None:
        team = await self.get(access, slug)
        row = await self._repo.team_member(team.id, user_id)
        if row is None:
            raise MemberNotFound("Not a member of this team.")
        await self._repo.session.delete(row)
        await self._repo.session.flush()
        await self._member_changed("removed", access, team, user_id)

    async def _member_changed(
        self,
        change: Literal["added", "removed"],
        access: OrgAccess,
        team: Team,
        user_id: uuid.UUID,
    ) -> None:
        await self._events.emit(
            TeamMemberChanged(
                org_id=access.org_id,
                subject=f"teams/{team.slug}",
                change=change,
                team=team.slug,
                user_id=user_id,
            )
        )
