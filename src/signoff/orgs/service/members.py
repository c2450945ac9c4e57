"""Memberships and roles. The last owner cannot be removed or demoted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from signoff.accounts.reader import UserRef
from signoff.accounts.service import UserService
from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.errors import UnprocessableError
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.core.permissions import Action, Role
from signoff.orgs.errors import InsufficientRole, LastOwner, MemberNotFound
from signoff.orgs.events import MemberRemoved, MemberRoleChanged
from signoff.orgs.models import Membership
from signoff.orgs.policies import leaves_an_owner, may_remove, may_set_role
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service.access import OrgAccess


def member_etag(membership: Membership) -> str:
    return etag_of("member", membership.id, membership.version)


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: UserRef


class MemberService:
    def __init__(
        self, repo: OrgRepository, users: UserService, events: EventRecorder, clock: Clock
    ) -> None:
        self._repo = repo
        self._users = users
        self._events = events
        self._clock = clock

    async def page(self, access: OrgAccess, page: PageRequest) -> tuple[list[Member], str | None]:
        memberships, cursor = await self._repo.members(access.org_id, page)
        users = await self._users.many([m.user_id for m in memberships])
        return [Member(m, users[m.user_id]) for m in memberships if m.user_id in users], cursor

    async def among(self, access: OrgAccess, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Member]:
        """Those of ``user_ids`` who are members of the organization."""
        users = await self._users.many(user_ids)
        found = {}
        for user_id, user in users.items():
            membership = await self._repo.membership(access.org_id, user_id)
            if membership is not None:
                found[user_id] = Member(membership, user)
        return found

    async def by_email(self, access: OrgAccess, email: str) -> Member | None:
        try:
            user = await self._users.by_email(email)
        except UnprocessableError:
            return None
        if user is None:
            return None
        membership = await self._repo.membership(access.org_id, user.id)
        return Member(membership, user) if membership else None

    async def get(self, access: OrgAccess, user_id: uuid.UUID) -> Member:
        membership = await self._membership(access, user_id)
        return Member(membership, await self._users.get(user_id))

    async def change_role(
        self, access: OrgAccess, user_id: uuid.UUID, role: Role, if_match: str | None
    ) -> Member:
        await self._repo.lock_owners(access.org_id)
        membership = await self._membership(access, user_id)
        require_if_match(if_match, member_etag(membership))
        current = Role.parse(membership.role)
        if not may_set_role(access.role, current, role):
            raise InsufficientRole(f"You cannot change a {current.label} to {role.label}.")
        if not leaves_an_owner(await self._repo.owners(access.org_id), current, role):
            raise LastOwner("Make someone else an owner first.")
        membership.role = role.label
        membership.version += 1
        membership.updated_at = self._clock.now()
        await self._repo.session.flush()
        await self._events.emit(
            MemberRoleChanged(
                org_id=access.org_id,
                subject=f"members/{user_id}",
                user_id=user_id,
                role=role.label,
                previous=current.label,
            )
        )
        return Member(membership, await self._users.get(user_id))

    async def remove(self, access: OrgAccess, user_id: uuid.UUID) -> None:
        is_self = user_id == access.principal.user_id
        if not is_self:
            # The route lets anyone leave; removing others needs what managing members needs
            # (role and scope), decided before the target is even looked up.
            access.require(Action.MEMBERS_MANAGE)
        await self._repo.lock_owners(access.org_id)
        membership = await self._membership(access, user_id)
        current = Role.parse(membership.role)
        if not may_remove(access.role, current, is_self=is_self):
            raise InsufficientRole(f"You cannot remove a {current.label}.")
        if not leaves_an_owner(await self._repo.owners(access.org_id), current, None):
            raise LastOwner("Make someone else an owner first.")
        await self._repo.delete_membership(membership)
        await self._events.emit(
            MemberRemoved(
                org_id=access.org_id,
                subject=f"members/{user_id}",
                user_id=user_id,
                role=current.label,
            )
        )

    async def _membership(self, access: OrgAccess, user_id: uuid.UUID) -> Membership:
        membership = await self._repo.membership(access.org_id, user_id)
        if membership is None:
            raise MemberNotFound()
        return membership
