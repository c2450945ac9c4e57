"""Who may do what in an organization: resolving a principal's role there.

A caller outside the organization learns nothing: the organization is "not found", exactly
as if it did not exist. A member without the needed role or scope is told so (403).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from signoff.core.access_cache import AccessCache
from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.permissions import RULES, Action, Role, Scope, allowed, role_for_scopes
from signoff.core.principal import Principal
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.events import MemberAdded
from signoff.orgs.models import Membership, Organization
from signoff.orgs.policies import claimable_role
from signoff.orgs.repository import OrgRepository

# An identity provider's groups claim may list many groups that are no organization here:
# a sign-in looks up at most this many.
MAX_CLAIMED = 100


@dataclass(frozen=True)
class OrgAccess:
    org: Organization
    principal: Principal
    role: Role

    @property
    def org_id(self) -> uuid.UUID:
        return self.org.id

    def can(self, action: Action) -> bool:
        return allowed(self.role, self.principal.scopes, action)

    def require(self, action: Action) -> None:
        minimum, scope = RULES[action]
        # The scope first: a machine credential's role is derived from its scopes
        # (role_for_scopes), so a key without the scope would otherwise be told its role.
        if not (scope in self.principal.scopes or Scope.ADMIN in self.principal.scopes):
            raise InsufficientScope(
                f"This needs the '{scope}' scope; your credential has "
                f"{', '.join(sorted(self.principal.scopes)) or 'none'}.",
                headers={
                    "WWW-Authenticate": f'Bearer realm="signoff", error="insufficient_scope", '
                    f'scope="{scope}"'
                },
            )
        if self.role < minimum:
            raise InsufficientRole(
                f"This needs the {minimum.label} role; you are {self.role.label}."
            )


class AccessService:
    def __init__(
        self,
        repo: OrgRepository,
        clock: Clock,
        default_claim_role: Role,
        cache: AccessCache | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._default_claim_role = default_claim_role
        self._cache = cache or AccessCache(0)

    async def resolve(self, slug: str, principal: Principal, events: EventRecorder) -> OrgAccess:
        known = cached_access(self._cache, slug, principal)
        if known is not None:
            return known
        org = await self._org(slug)
        if principal.kind != "user":
            if principal.org_id != org.id:
                raise OrgNotFound(f"No organization '{slug}'.")
            return OrgAccess(org, principal, role_for_scopes(principal.scopes))
        assert principal.user_id is not None
        key = ("role", org.id, principal.user_id)
        role = self._cache.get(key)
        if isinstance(role, Role):
            return OrgAccess(org, principal, role)
        stamp = self._cache.stamp(org.id, principal.user_id)
        membership = await self._repo.membership(org.id, principal.user_id)
        if membership is None:
            membership = await self._join_by_claim(org, principal, events)
        if membership is None:
            raise OrgNotFound(f"No organization '{slug}'.")
        role = Role.parse(membership.role)
        self._cache.put(key, role, stamp, org_id=org.id, user_id=principal.user_id)
        return OrgAccess(org, principal, role)

    async def _org(self, slug: str) -> Organization:
        """The organization, from the cache as a copy no session holds: callers only read
        it (a change to it loads the row again, ``OrgService.update``)."""
        cached = self._cache.get(("org", slug))
        if isinstance(cached, Organization):
            return cached
        org = await self._repo.org_by_slug(slug)
        if org is None:
            raise OrgNotFound(f"No organization '{slug}'.")
        # Read after the load (the id is not known before): a rename committed in between
        # shows its old name until the TTL; access itself is decided by the memberships.
        stamp = self._cache.stamp(org.id, None)
        copy = Organization(
            id=org.id,
            slug=org.slug,
            name=org.name,
            created_at=org.created_at,
            updated_at=org.updated_at,
            version=org.version,
        )
        self._cache.put(("org", slug), copy, stamp, org_id=org.id)
        return org

    async def join_claimed(self, principal: Principal, events: EventRecorder) -> list[str]:
        """At a browser's sign-in through the identity provider: join each existing
        organization the org claim names, by the rule ``resolve`` applies to the provider's
        API tokens on first use (``_join_by_claim``), so that the person's organizations are
        listed at once. Existing memberships are left as they are. The slugs joined."""
        assert principal.user_id is not None
        joined = []
        for slug in sorted({slug for slug, _ in principal.org_claims})[:MAX_CLAIMED]:
            org = await self._repo.org_by_slug(slug)
            if org is None or await self._repo.membership(org.id, principal.user_id):
                continue
            if await self._join_by_claim(org, principal, events) is not None:
                joined.append(slug)
        return joined

    async def _join_by_claim(
        self, org: Organization, principal: Principal, events: EventRecorder
    ) -> Membership | None:
        """An identity provider may vouch for membership (``SIGNOFF_OIDC__ORG_CLAIM``)."""
        claims = dict(principal.org_claims)
        if org.slug not in claims:
            return None
        assert principal.user_id is not None
        now = self._clock.now()
        role = claimable_role(claims[org.slug], self._default_claim_role)
        membership = Membership(
            org_id=org.id,
            user_id=principal.user_id,
            role=role.label,
            created_at=now,
            updated_at=now,
        )
        await self._repo.add(membership)
        await events.emit(
            MemberAdded(
                org_id=org.id,
                subject=f"members/{principal.user_id}",
                user_id=principal.user_id,
                role=role.label,
                via="oidc_claim",
            )
        )
        return membership


def cached_access(cache: AccessCache, slug: str, principal: Principal) -> OrgAccess | None:
    """The caller's access to the organization from the cache alone (no database): what
    ``AccessService.resolve`` answers when both the organization and the role are cached.
    None for anything else, which ``resolve`` loads (or refuses)."""
    org = cache.get(("org", slug))
    if not isinstance(org, Organization):
        return None
    if principal.kind != "user":
        if principal.org_id != org.id:
            return None
        return OrgAccess(org, principal, role_for_scopes(principal.scopes))
    role = cache.get(("role", org.id, principal.user_id))
    return OrgAccess(org, principal, role) if isinstance(role, Role) else None
