"""Creating and changing organizations, and signing up (a user with their first org)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from signoff.accounts.reader import UserRef
from signoff.accounts.service import UserService
from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.core.permissions import Role, role_for_scopes
from signoff.core.principal import Principal
from signoff.orgs.errors import OrgNotFound, PeopleOnly, SlugTaken
from signoff.orgs.events import OrgCreated, OrgUpdated, SignedUp
from signoff.orgs.models import Membership, Organization
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service.access import OrgAccess


def org_etag(org: Organization) -> str:
    return etag_of("org", org.id, org.version)


@dataclass(frozen=True)
class OrgWithRole:
    org: Organization
    role: Role


class OrgService:
    def __init__(
        self, repo: OrgRepository, users: UserService, events: EventRecorder, clock: Clock
    ) -> None:
        self._repo = repo
        self._users = users
        self._events = events
        self._clock = clock

    async def create(self, owner_id: uuid.UUID, name: str, slug: str) -> Organization:
        if await self._repo.org_by_slug(slug) is not None:
            raise SlugTaken(f"The slug '{slug}' is in use.")
        now = self._clock.now()
        org = Organization(slug=slug, name=name.strip(), created_at=now, updated_at=now)
        try:
            await self._repo.add(org)
        except IntegrityError as exc:  # a concurrent request took the slug
            raise SlugTaken(f"The slug '{slug}' is in use.") from exc
        await self._repo.add(
            Membership(
                org_id=org.id,
                user_id=owner_id,
                role=Role.OWNER.label,
                created_at=now,
                updated_at=now,
            )
        )
        await self._events.emit(
            OrgCreated(org_id=org.id, subject=f"orgs/{org.slug}", slug=org.slug, owner_id=owner_id)
        )
        return org

    async def sign_up(
        self, email: str, password: str, name: str, org_name: str, org_slug: str
    ) -> tuple[UserRef, Organization] | None:
        """A new organization owned by the signing-up person: a new account, or their
        existing one when the password is theirs. None, and nothing created, when the email
        is someone else's; the route answers the same either way (no account enumeration)."""
        if await self._repo.org_by_slug(org_slug) is not None:
            raise SlugTaken(f"The slug '{org_slug}' is in use.")
        user = await self._users.sign_up(email, password, name)
        if user is None:
            return None
        org = await self.create(user.id, org_name, org_slug)
        await self._events.emit(
            SignedUp(org_id=org.id, subject=f"users/{user.id}", user_id=user.id)
        )
        return user, org

    async def create_for(self, principal: Principal, name: str, slug: str) -> Organization:
        if principal.user_id is None:
            raise PeopleOnly("Organizations are created by people.")
        return await self.create(principal.user_id, name, slug)

    async def mine(
        self, principal: Principal, page: PageRequest
    ) -> tuple[list[OrgWithRole], str | None]:
        if principal.user_id is None:
            org = await self._repo.org(principal.org_id) if principal.org_id else None
            if org is None:
                raise OrgNotFound()
            return [OrgWithRole(org, role_for_scopes(principal.scopes))], None
        rows, cursor = await self._repo.orgs_of_user(principal.user_id, page)
        return [OrgWithRole(org, Role.parse(role)) for org, role in rows], cursor

    async def update(self, access: OrgAccess, if_match: str | None, name: str) -> Organization:
        # access.org may be a cached copy that no session holds: change the row itself.
        org = await self._repo.org(access.org_id)
        if org is None:
            raise OrgNotFound()
        require_if_match(if_match, org_etag(org))
        org.name = name.strip()
        org.version += 1
        org.updated_at = self._clock.now()
        await self._repo.session.flush()
        await self._events.emit(
            OrgUpdated(org_id=org.id, subject=f"orgs/{org.slug}", name=org.name)
        )
        return org

    async def names(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, UserRef]:
        return await self._users.many(ids)
