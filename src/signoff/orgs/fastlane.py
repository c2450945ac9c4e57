"""The fast lane's gate to an organization's routes (``core.fastlane``): the caller's access
from the caches alone, counted against the request limits as every authenticated request is.

``admit`` answers what ``requires(action)`` answers for the same request, or None when it
cannot know without the database (a cache miss, a revoked session, a credential it does not
hold, a refusal of any kind): the full app then authenticates, resolves and refuses as
declared. The caches are the ones the full app fills and invalidates (ADR 0020): a revoked
key or a removed member moves their version, so the gate misses on the next request.
"""

from __future__ import annotations

from starlette.types import Scope

from signoff.accounts.authenticator import AccountsAuthenticator
from signoff.core.access_cache import AccessCache
from signoff.core.errors import SignoffError
from signoff.core.fastlane import RawHeaders
from signoff.core.permissions import Action
from signoff.core.requestlimit import RequestLimiter
from signoff.orgs.service import OrgAccess
from signoff.orgs.service.access import cached_access
from signoff.orgs.service.request_limits import OrgBudgetCache


class Gate:
    def __init__(
        self,
        authenticator: AccountsAuthenticator,
        cache: AccessCache,
        limiter: RequestLimiter,
        budgets: OrgBudgetCache,
    ) -> None:
        self._authenticator = authenticator
        self._cache = cache
        self._limiter = limiter
        self._budgets = budgets

    async def admit(
        self, scope: Scope, headers: RawHeaders, slug: str, action: Action
    ) -> OrgAccess | None:
        """The caller's access, allowed ``action``; None when the full app must decide.
        Raises the request limiter's refusal (429), the answer the full app would give."""
        header = headers.get(b"authorization")
        if header is None:
            return None
        scheme, _, token = header.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        principal = await self._authenticator.cached(self._cache, token)
        if principal is None:
            return None
        access = cached_access(self._cache, slug, principal)
        own = self._budgets.cached(slug)
        if access is None or own is None or not _allows(access, action):
            return None
        # Counted once: the full app, should the lane pass the request on after this,
        # takes this principal as authenticated (``core.auth.optional_principal``) and
        # does not count it again.
        state = scope.setdefault("state", {})
        state["principal"] = principal
        # Counted under the organization's id, as the full app counts it; the edge sends
        # the RateLimit headers (core/requestlimit.py).
        state["ratelimit_headers"] = await self._limiter.check(
            principal, own.org_id, write=False, own=own
        )
        return access


def _allows(access: OrgAccess, action: Action) -> bool:
    try:
        access.require(action)
    except SignoffError:
        return False
    return True
