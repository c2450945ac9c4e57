"""FastAPI wiring of the tenancy domain, and ``requires(action)`` for every org route."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from signoff.accounts.deps import UserServiceDep
from signoff.core.access import declare
from signoff.core.auth import CurrentPrincipal
from signoff.core.permissions import Action, Role
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events, SettingsDep
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service import AccessService, MemberService, OrgAccess, OrgService, TeamService
from signoff.orgs.service.invitations import InvitationService


def get_repo(request: Request, session: DbSession) -> OrgRepository:
    return OrgRepository(session, Services.of(request.app).cursors)


Repo = Annotated[OrgRepository, Depends(get_repo)]


def get_access_service(
    request: Request, repo: Repo, clock: ClockDep, settings: SettingsDep
) -> AccessService:
    return AccessService(
        repo, clock, Role.parse(settings.oidc.default_role), Services.of(request.app).access_cache
    )


async def resolve_access(
    org: Annotated[str, Path(description="The organization's slug.", max_length=63)],
    principal: CurrentPrincipal,
    service: Annotated[AccessService, Depends(get_access_service)],
    events: Events,
) -> OrgAccess:
    return await service.resolve(org, principal, events)


def requires(action: Action) -> Any:
    """The caller's access to the path's organization, refused unless it allows ``action``."""

    async def check(access: Annotated[OrgAccess, Depends(resolve_access)]) -> OrgAccess:
        access.require(action)
        return access

    check.__name__ = f"requires_{action.name.lower()}"
    return Depends(declare(check, action.value))


def get_org_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep
) -> OrgService:
    return OrgService(repo, users, events, clock)


def get_member_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep
) -> MemberService:
    return MemberService(repo, users, events, clock)


def get_team_service(repo: Repo, events: Events, clock: ClockDep) -> TeamService:
    return TeamService(repo, events, clock)


def get_invitation_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep, settings: SettingsDep
) -> InvitationService:
    return InvitationService(repo, users, events, clock, settings.secret_key.get_secret_value())


OrgServiceDep = Annotated[OrgService, Depends(get_org_service)]
InvitationServiceDep = Annotated[InvitationService, Depends(get_invitation_service)]
MemberServiceDep = Annotated[MemberService, Depends(get_member_service)]
TeamServiceDep = Annotated[TeamService, Depends(get_team_service)]
