"""FastAPI wiring of the tenancy domain, and ``requires(action)`` for every org route."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from signoff.accounts.deps import UserServiceDep
from signoff.core.access import declare
from signoff.core.auth import CurrentPrincipal, current_principal, optional_principal
from signoff.core.permissions import Action, Role
from signoff.core.services import Services
from signoff.core.transaction import DbSession, get_session
from signoff.core.web import (
    ClockDep,
    Events,
    SettingsDep,
    event_context,
    get_clock,
    get_events,
    get_settings,
)
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service import AccessService, MemberService, OrgAccess, OrgService, TeamService
from signoff.orgs.service.invitations import InvitationService
from signoff.orgs.service.request_limits import OrgBudgetCache, RequestLimitService


async def get_repo(request: Request, session: DbSession) -> OrgRepository:
    return OrgRepository(session, Services.of(request.app).cursors)


Repo = Annotated[OrgRepository, Depends(get_repo)]


async def get_access_service(
    request: Request, repo: Repo, clock: ClockDep, settings: SettingsDep
) -> AccessService:
    return AccessService(
        repo, clock, Role.parse(settings.oidc.default_role), Services.of(request.app).access_cache
    )


SLUG_MAX_LENGTH = 63


async def resolve_access(
    org: Annotated[str, Path(description="The organization's slug.", max_length=SLUG_MAX_LENGTH)],
    principal: CurrentPrincipal,
    service: Annotated[AccessService, Depends(get_access_service)],
    events: Events,
) -> OrgAccess:
    return await service.resolve(org, principal, events)


async def access_for(request: Request, action: Action) -> OrgAccess | None:
    """``requires(action)`` for a lean resolver (``core.routing.lean``): the same
    dependencies, called in the order FastAPI calls them. None when the slug is one the
    declared validation refuses (the route then answers as declared)."""
    org = request.path_params.get("org")
    if not isinstance(org, str) or len(org) > SLUG_MAX_LENGTH:
        return None
    principal = await current_principal(await optional_principal(request))
    session = await get_session(request)
    clock, settings = await get_clock(request), await get_settings(request)
    service = await get_access_service(request, await get_repo(request, session), clock, settings)
    events = await get_events(request, session, await event_context(request, principal))
    return permitted(await resolve_access(org, principal, service, events), action)


def permitted(access: OrgAccess, action: Action) -> OrgAccess:
    access.require(action)
    return access


def requires(action: Action) -> Any:
    """The caller's access to the path's organization, refused unless it allows ``action``."""

    async def check(access: Annotated[OrgAccess, Depends(resolve_access)]) -> OrgAccess:
        return permitted(access, action)

    check.__name__ = f"requires_{action.name.lower()}"
    return Depends(declare(check, action.value))


async def get_org_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep
) -> OrgService:
    return OrgService(repo, users, events, clock)


async def get_member_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep
) -> MemberService:
    return MemberService(repo, users, events, clock)


async def get_team_service(repo: Repo, events: Events, clock: ClockDep) -> TeamService:
    return TeamService(repo, events, clock)


async def get_invitation_service(
    repo: Repo, users: UserServiceDep, events: Events, clock: ClockDep, settings: SettingsDep
) -> InvitationService:
    return InvitationService(repo, users, events, clock, settings.secret_key.get_secret_value())


async def get_request_limit_service(
    request: Request, repo: Repo, events: Events, clock: ClockDep
) -> RequestLimitService:
    return RequestLimitService(repo, events, clock, Services.of(request.app).part(OrgBudgetCache))


OrgServiceDep = Annotated[OrgService, Depends(get_org_service)]
RequestLimitServiceDep = Annotated[RequestLimitService, Depends(get_request_limit_service)]
InvitationServiceDep = Annotated[InvitationService, Depends(get_invitation_service)]
MemberServiceDep = Annotated[MemberService, Depends(get_member_service)]
TeamServiceDep = Annotated[TeamService, Depends(get_team_service)]
