"""Requests per authenticated caller and per organization (design §10.5).

Counted after authentication, so only callers with a valid credential are counted (an
anonymous flood is the edge's problem, and the sign-in throttle's). Reads and writes have
their own budgets, per principal and per organization (the route's ``{org}``, else the
organization an API key belongs to). Counts are sliding window counters (``limits``): one
counter per window, in Redis when configured so every instance shares them, in the process
otherwise and while Redis fails (``core.ratelimit``).

An organization's admin may set budgets of its own, requests per minute for reads and for
writes (``core.ratelimit.OrgBudgets``, kept by the organizations domain): they are counted
besides the server's, so they can only tighten them.

An organization is counted under its id, whether a request names it by slug (a route's
``{org}``) or by id (an API key's organization): one budget, however its callers reach it.

Every counted answer carries the IETF ``RateLimit-Policy`` and ``RateLimit`` headers
(draft-ietf-httpapi-ratelimit-headers), one list item per budget it was counted against. A
refusal is a 429 problem with ``Retry-After`` and those headers for the budget that refused,
and is counted in ``signoff_request_limit_refusals_total{scope,kind}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import Counter

from signoff.core.authenticator import Authenticator
from signoff.core.config import RedisSettings, RequestLimitSettings
from signoff.core.errors import RateLimitedError
from signoff.core.metrics import Metrics
from signoff.core.principal import Principal
from signoff.core.ratelimit import Counters, OrgBudget, OrgBudgets, Window
from signoff.core.transaction import SAFE_METHODS, UnitOfWork


class RequestLimited(RateLimitedError):
    code = "request_limited"
    title = "Too many requests from this caller; wait before sending more"


def _tiers(value: str) -> list[RateLimitItem]:
    return parse_many(value) if value.strip() else []


# Response headers: (name, value) pairs as ASGI sends them.
Headers = list[tuple[bytes, bytes]]


def _named(scope: str, kind: str, tiers: list[RateLimitItem]) -> list[tuple[str, RateLimitItem]]:
    # A setting may hold several tiers ("20/second;1200/minute"): each policy its own name.
    return [(f"{scope}-{kind}" + (f"-{n}" if n else ""), t) for n, t in enumerate(tiers)]


class RequestLimiter:
    def __init__(
        self,
        settings: RequestLimitSettings,
        redis: RedisSettings,
        secret: str,
        metrics: Metrics,
        budgets: OrgBudgets,
    ) -> None:
        self.budgets = budgets
        self.counters = Counters(redis, "requests", secret, SlidingWindowCounterRateLimiter)
        self._tiers = {
            ("principal", kind): _named("principal", kind, _tiers(value))
            for kind, value in (("reads", settings.reads), ("writes", settings.writes))
        } | {
            ("org", kind): _named("org", kind, _tiers(value))
            for kind, value in (("reads", settings.org_reads), ("writes", settings.org_writes))
        }
        self.refusals = Counter(
            "signoff_request_limit_refusals",
            "Requests refused by the per-caller request limit, by scope (principal, org) "
            "and kind (reads, writes).",
            ["scope", "kind"],
            registry=metrics.registry,
        )

    async def check(
        self, principal: Principal, org: str | None, *, write: bool, own: OrgBudget | None = None
    ) -> Headers:
        """Count the request against the caller's budgets and, when ``org`` (an organization's
        id) is given, its organization's: the server's, and ``own``, the one it set itself.
        Refuse it (429) when one is spent; else the ``RateLimit`` headers of its budgets."""
        kind = "writes" if write else "reads"
        named = [
            (n, item, (kind, "principal", principal.key))
            for n, item in self._tiers[("principal", kind)]
        ]
        if org is not None:
            tiers = [*self._tiers[("org", kind)]]
            own_tier = own.tier(write=write) if own is not None else None
            if own_tier is not None and own_tier not in (t for _, t in tiers):
                tiers.append((f"org-own-{kind}", own_tier))  # the same would count twice
            named += [(n, item, (kind, "org", org)) for n, item in tiers]
        if not named:
            return []
        windows, had_room = await self.counters.spend([(item, ids) for _, item, ids in named])
        names = [n for n, _, _ in named]
        if not had_room:
            self._refuse(names[len(windows) - 1], windows[-1], kind)
        return _headers(zip(names, windows, strict=False))

    def _refuse(self, name: str, window: Window, kind: str) -> None:
        item, ids = window.counted
        scope = ids[1]
        self.refusals.labels(scope=scope, kind=kind).inc()
        retry_after = int(window.reset_in_s) + 1
        error = RequestLimited(
            f"This {'organization' if scope == 'org' else 'caller'} may send {item.amount} "
            f"{kind} per {item.get_expiry()} s; retry after {retry_after} s.",
            retry_after_s=retry_after,
        )
        error.headers["RateLimit-Policy"] = f'"{name}";q={item.amount};w={item.get_expiry()}'
        error.headers["RateLimit"] = f'"{name}";r=0;t={retry_after}'
        raise error


def _headers(windows: Iterable[tuple[str, Window]]) -> Headers:
    """Every budget the request was counted against, as a list in each header."""
    policies, limits = [], []
    for name, window in windows:
        item = window.counted[0]
        policies.append(f'"{name}";q={item.amount};w={item.get_expiry()}')
        limits.append(f'"{name}";r={window.remaining};t={math.ceil(window.reset_in_s)}')
    return [
        (b"ratelimit-policy", ", ".join(policies).encode()),
        (b"ratelimit", ", ".join(limits).encode()),
    ]


class LimitedAuthenticator:
    """An ``Authenticator`` that counts each authenticated request against the limits."""

    def __init__(self, inner: Authenticator, limiter: RequestLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
        principal = await self.inner.authenticate(request, uow)
        if principal is not None:
            name = request.path_params.get("org")
            if not isinstance(name, str):
                name = str(principal.org_id) if principal.org_id is not None else None
            own = None
            if name is not None:
                # Counted under the organization's id, whether the request named it by its
                # slug (a route's {org}) or by its id (an API key's organization): one budget.
                own = await self.limiter.budgets.budget(uow.session(), name)
            org = own.org_id if own is not None else None
            write = request.method not in SAFE_METHODS
            headers = await self.limiter.check(principal, org, write=write, own=own)
            # Sent on the answer by the edge middleware (core/middleware.py).
            request.state.ratelimit_headers = headers
        return principal
