"""An organization's own request budgets (design §10.5): set by its admins, read by the
request limiter of every request through a short per-process cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import EventRecorder, after_commit
from signoff.core.ratelimit import OrgBudget
from signoff.orgs.events import RequestLimitsUpdated
from signoff.orgs.models import OrgRequestLimit
from signoff.orgs.repository import OrgRepository, request_budget
from signoff.orgs.service.access import OrgAccess

# How long a process keeps an organization's budget: another process sees a change within
# this; the process that made it, at once.
BUDGET_TTL_S = 30.0
# Names of organizations come from request paths: past this many, the cache starts again.
MAX_CACHED = 10_000


class OrgBudgetCache:
    """The ``OrgBudgets`` the request limiter asks on every authenticated request."""

    def __init__(self, ttl_s: float = BUDGET_TTL_S) -> None:
        self._ttl = ttl_s
        self._known: dict[str, tuple[float, OrgBudget]] = {}

    async def budget(self, session: AsyncSession, org: str) -> OrgBudget:
        now = time.monotonic()
        cached = self._known.get(org)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await request_budget(session, org)
        budget = OrgBudget(*found) if found is not None else OrgBudget()
        if len(self._known) >= MAX_CACHED:
            self._known.clear()
        self._known[org] = (now + self._ttl, budget)
        return budget

    def cached(self, org: str) -> OrgBudget | None:
        """The budget while it is known, without a database (the fast lane's)."""
        cached = self._known.get(org)
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None

    def forget(self, *orgs: str) -> None:
        for org in orgs:
            self._known.pop(org, None)


@dataclass(frozen=True)
class RequestLimits:
    reads_per_minute: int | None
    writes_per_minute: int | None
    version: int


def limits_etag(limits: RequestLimits) -> str:
    return etag_of("request-limits", limits.version)


class RequestLimitService:
    def __init__(
        self, repo: OrgRepository, events: EventRecorder, clock: Clock, cache: OrgBudgetCache
    ) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock
        self._cache = cache

    async def get(self, access: OrgAccess) -> RequestLimits:
        row = await self._repo.request_limit(access.org_id)
        if row is None:
            return RequestLimits(None, None, 0)
        return RequestLimits(row.reads_per_minute, row.writes_per_minute, row.version)

    async def put(
        self,
        access: OrgAccess,
        reads_per_minute: int | None,
        writes_per_minute: int | None,
        if_match: str | None,
    ) -> RequestLimits:
        require_if_match(if_match, limits_etag(await self.get(access)))
        row = await self._repo.request_limit(access.org_id)
        if row is None:
            row = OrgRequestLimit(org_id=access.org_id, version=0, updated_at=self._clock.now())
            await self._repo.add(row)
        row.reads_per_minute, row.writes_per_minute = reads_per_minute, writes_per_minute
        row.version += 1
        row.updated_at = self._clock.now()
        await self._repo.session.flush()
        updated = RequestLimitsUpdated(
            org_id=access.org_id,
            subject=f"orgs/{access.org.slug}",
            reads_per_minute=reads_per_minute,
            writes_per_minute=writes_per_minute,
        )
        await self._events.emit(updated)
        # Both names a request may count the organization under (core/requestlimit.py).
        names = (access.org.slug, str(access.org_id))
        after_commit(self._repo.session, lambda: self._cache.forget(*names))
        return await self.get(access)
