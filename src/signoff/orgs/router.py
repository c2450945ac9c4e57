"""Organizations, members, teams, signup and ``/v1/me``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response

from signoff.accounts.errors import SignupClosed, WeakPassword
from signoff.accounts.schemas import UserRead
from signoff.accounts.service.users import InvalidEmail
from signoff.core.access import AUTHENTICATED, PUBLIC
from signoff.core.auth import CurrentPrincipal
from signoff.core.idempotency import not_idempotent
from signoff.core.pagination import Page, PageRequest
from signoff.core.permissions import Action, Role
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.web import IfMatchHeader, SettingsDep, page_request
from signoff.orgs.deps import (
    InvitationServiceDep,
    MemberServiceDep,
    OrgServiceDep,
    TeamServiceDep,
    requires,
)
from signoff.orgs.errors import (
    InsufficientRole,
    InsufficientScope,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    OrgNotFound,
    PeopleOnly,
    SlugTaken,
    TeamNotFound,
)
from signoff.orgs.models import Invitation
from signoff.orgs.schemas import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCreate,
    InvitationRead,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    MeOrg,
    MeRead,
    OrgCreate,
    OrgRead,
    OrgUpdate,
    OrgWithRoleRead,
    SignupCreate,
    SignupRead,
    TeamCreate,
    TeamRead,
)
from signoff.orgs.service import OrgAccess
from signoff.orgs.service.invitations import IssuedInvitation
from signoff.orgs.service.members import Member, member_etag
from signoff.orgs.service.orgs import org_etag

router = signoff_router(tags=["organizations"])
PageDep = Annotated[PageRequest, Depends(page_request)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)


def _member(member: Member) -> MemberRead:
    return MemberRead(
        user_id=member.user.id,
        email=member.user.email,
        name=member.user.name,
        role=member.membership.role,
        joined_at=member.membership.created_at,
    )


@router.post(
    "/auth/signup",
    status_code=202,
    dependencies=[PUBLIC],
    responses=problems(SignupClosed, SlugTaken, WeakPassword, InvalidEmail),
)
async def create_signup(
    body: SignupCreate, orgs: OrgServiceDep, settings: SettingsDep
) -> SignupRead:
    """Create an account, or use the caller's existing one, and a new organization it owns
    (when signup is open); then sign in. The answer is the same whether the email already
    has an account or not: for someone else's email nothing is created, and signing in
    fails as any wrong password does."""
    if not settings.signup_open:
        raise SignupClosed("Ask an administrator for an account.")
    await orgs.sign_up(body.email, body.password, body.name, body.org_name, body.org_slug)
    return SignupRead()


@router.get("/me", dependencies=[AUTHENTICATED])
async def get_me(principal: CurrentPrincipal, orgs: OrgServiceDep) -> MeRead:
    """The caller: a user, API key or service account, with their organizations and roles."""
    mine, _ = await orgs.mine(principal, PageRequest(limit=200))
    user = None
    if principal.user_id is not None:
        found = await orgs.names([principal.user_id])
        user = UserRead.model_validate(found[principal.user_id])
    return MeRead(
        kind=principal.kind,
        id=principal.id,
        user=user,
        scopes=sorted(principal.scopes),
        orgs=[MeOrg(slug=o.org.slug, name=o.org.name, role=o.role.label) for o in mine],
    )


@router.get("/orgs", dependencies=[AUTHENTICATED])
async def list_orgs(
    principal: CurrentPrincipal, orgs: OrgServiceDep, page: PageDep
) -> Page[OrgWithRoleRead]:
    """The organizations the caller belongs to."""
    items, cursor = await orgs.mine(principal, page)
    return Page(
        items=[
            OrgWithRoleRead(**OrgRead.model_validate(o.org).model_dump(), role=o.role.label)
            for o in items
        ],
        next_cursor=cursor,
    )


@router.post(
    "/orgs",
    status_code=201,
    dependencies=[AUTHENTICATED],
    responses=problems(SlugTaken, PeopleOnly),
)
async def create_org(
    body: OrgCreate, principal: CurrentPrincipal, orgs: OrgServiceDep, response: Response
) -> OrgRead:
    """Create an organization; the caller becomes its owner."""
    org = await orgs.create_for(principal, body.name, body.slug)
    response.headers["Location"] = f"/v1/orgs/{org.slug}"
    response.headers["ETag"] = org_etag(org)
    return OrgRead.model_validate(org)


@router.get("/orgs/{org}", responses=problems(*DENIED))
async def get_org(
    access: Annotated[OrgAccess, requires(Action.ORG_READ)], response: Response
) -> OrgRead:
    """One organization."""
    response.headers["ETag"] = org_etag(access.org)
    return OrgRead.model_validate(access.org)


@router.patch("/orgs/{org}", responses=problems(*DENIED))
async def update_org(
    body: OrgUpdate,
    access: Annotated[OrgAccess, requires(Action.ORG_UPDATE)],
    orgs: OrgServiceDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OrgRead:
    """Rename an organization (owners)."""
    org = await orgs.update(access, if_match, body.name)
    response.headers["ETag"] = org_etag(org)
    return OrgRead.model_validate(org)


@router.get("/orgs/{org}/members", responses=problems(*DENIED))
async def list_members(
    access: Annotated[OrgAccess, requires(Action.MEMBERS_READ)],
    members: MemberServiceDep,
    page: PageDep,
) -> Page[MemberRead]:
    """Members and their roles."""
    items, cursor = await members.page(access, page)
    return Page(items=[_member(m) for m in items], next_cursor=cursor)


def _invitation(issued: IssuedInvitation | Invitation) -> InvitationRead:
    invitation = issued.invitation if isinstance(issued, IssuedInvitation) else issued
    return InvitationRead(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        token=issued.token if isinstance(issued, IssuedInvitation) else None,
    )


async def _invite(
    body: MemberCreate | InvitationCreate,
    access: OrgAccess,
    invitations: InvitationServiceDep,
    response: Response,
) -> InvitationRead:
    issued = await invitations.invite(access, body.email, Role.parse(body.role))
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/invitations/{issued.invitation.id}"
    return _invitation(issued)


@router.post("/orgs/{org}/members", status_code=202, responses=problems(*DENIED, InvalidEmail))
@not_idempotent
async def create_member(
    body: MemberCreate,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_MANAGE)],
    invitations: InvitationServiceDep,
    response: Response,
) -> InvitationRead:
    """Invite a person to the organization with a role: they become a member when they
    accept (the same as `POST .../invitations`); the answer is the same whether the email
    has an account or not."""
    return await _invite(body, access, invitations, response)


@router.post("/orgs/{org}/invitations", status_code=201, responses=problems(*DENIED, InvalidEmail))
@not_idempotent
async def create_invitation(
    body: InvitationCreate,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_MANAGE)],
    invitations: InvitationServiceDep,
    response: Response,
) -> InvitationRead:
    """Invite a person by email with a role; the token in the answer is shown once."""
    return await _invite(body, access, invitations, response)


@router.get("/orgs/{org}/invitations", responses=problems(*DENIED))
async def list_invitations(
    access: Annotated[OrgAccess, requires(Action.MEMBERS_MANAGE)],
    invitations: InvitationServiceDep,
    page: PageDep,
) -> Page[InvitationRead]:
    """Invitations not yet accepted, revoked or expired."""
    items, cursor = await invitations.pending(access, page)
    return Page(items=[_invitation(i) for i in items], next_cursor=cursor)


@router.delete(
    "/orgs/{org}/invitations/{invitation_id}",
    status_code=204,
    responses=problems(*DENIED, InvitationNotFound),
)
async def delete_invitation(
    invitation_id: uuid.UUID,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_MANAGE)],
    invitations: InvitationServiceDep,
) -> Response:
    """Revoke a pending invitation."""
    await invitations.revoke(access, invitation_id)
    return Response(status_code=204)


@router.post(
    "/invitations/accept",
    status_code=201,
    dependencies=[AUTHENTICATED],
    responses=problems(InvitationNotFound, PeopleOnly),
)
@not_idempotent
async def accept_invitation(
    body: InvitationAccept,
    principal: CurrentPrincipal,
    invitations: InvitationServiceDep,
    response: Response,
) -> InvitationAccepted:
    """Accept an invitation sent to the caller's email: the caller joins with its role."""
    accepted = await invitations.accept(principal, body.token)
    response.headers["Location"] = f"/v1/orgs/{accepted.org.slug}"
    return InvitationAccepted(
        org=OrgRead.model_validate(accepted.org),
        role=accepted.membership.role,
    )


@router.get("/orgs/{org}/members/{user_id}", responses=problems(*DENIED, MemberNotFound))
async def get_member(
    user_id: uuid.UUID,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_READ)],
    members: MemberServiceDep,
    response: Response,
) -> MemberRead:
    """One member."""
    member = await members.get(access, user_id)
    response.headers["ETag"] = member_etag(member.membership)
    return _member(member)


@router.patch(
    "/orgs/{org}/members/{user_id}", responses=problems(*DENIED, MemberNotFound, LastOwner)
)
async def update_member(
    user_id: uuid.UUID,
    body: MemberUpdate,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_MANAGE)],
    members: MemberServiceDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> MemberRead:
    """Change a member's role."""
    member = await members.change_role(access, user_id, Role.parse(body.role), if_match)
    response.headers["ETag"] = member_etag(member.membership)
    return _member(member)


@router.delete(
    "/orgs/{org}/members/{user_id}",
    status_code=204,
    responses=problems(*DENIED, MemberNotFound, LastOwner),
)
async def delete_member(
    user_id: uuid.UUID,
    access: Annotated[OrgAccess, requires(Action.MEMBERS_READ)],
    members: MemberServiceDep,
) -> Response:
    """Remove a member (admins), or leave the organization (anyone, for themselves)."""
    await members.remove(access, user_id)
    return Response(status_code=204)


@router.get("/orgs/{org}/teams", responses=problems(*DENIED))
async def list_teams(
    access: Annotated[OrgAccess, requires(Action.MEMBERS_READ)],
    teams: TeamServiceDep,
    page: PageDep,
) -> Page[TeamRead]:
    """Teams of the organization."""
    items, cursor = await teams.page(access, page)
    return Page(items=[await _team(teams, t) for t in items], next_cursor=cursor)


@router.post("/orgs/{org}/teams", status_code=201, responses=problems(*DENIED, SlugTaken))
async def create_team(
    body: TeamCreate,
    access: Annotated[OrgAccess, requires(Action.TEAMS_MANAGE)],
    teams: TeamServiceDep,
    response: Response,
) -> TeamRead:
    """Create a team."""
    team = await teams.create(access, body.slug, body.name)
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/teams/{team.slug}"
    return await _team(teams, team)


@router.get("/orgs/{org}/teams/{team}", responses=problems(*DENIED, TeamNotFound))
async def get_team(
    team: str, access: Annotated[OrgAccess, requires(Action.MEMBERS_READ)], teams: TeamServiceDep
) -> TeamRead:
    """One team and its members."""
    return await _team(teams, await teams.get(access, team))


@router.put(
    "/orgs/{org}/teams/{team}/members/{user_id}",
    responses=problems(*DENIED, TeamNotFound, MemberNotFound),
)
async def put_team_member(
    team: str,
    user_id: uuid.UUID,
    access: Annotated[OrgAccess, requires(Action.TEAMS_MANAGE)],
    teams: TeamServiceDep,
) -> TeamRead:
    """Add a member of the organization to a team (idempotent)."""
    return await _team(teams, await teams.add_member(access, team, user_id))


@router.delete(
    "/orgs/{org}/teams/{team}/members/{user_id}",
    status_code=204,
    responses=problems(*DENIED, TeamNotFound, MemberNotFound),
)
async def delete_team_member(
    team: str,
    user_id: uuid.UUID,
    access: Annotated[OrgAccess, requires(Action.TEAMS_MANAGE)],
    teams: TeamServiceDep,
) -> Response:
    """Remove a member from a team."""
    await teams.remove_member(access, team, user_id)
    return Response(status_code=204)


async def _team(teams: TeamServiceDep, team: object) -> TeamRead:
    from signoff.orgs.models import Team

    assert isinstance(team, Team)
    return TeamRead(
        id=team.id,
        slug=team.slug,
        name=team.name,
        created_at=team.created_at,
        member_ids=await teams.member_ids(team),
    )
