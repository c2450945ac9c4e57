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

A refusal is a 429 problem with ``Retry-After`` and the IETF ``RateLimit-Policy`` and
``RateLimit`` headers (draft-ietf-httpapi-ratelimit-headers), and is counted in
``signoff_request_limit_refusals_total{scope,kind}``.
"""

from __future__ import annotations

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import Counter

from signoff.core.authenticator import Authenticator
from signoff.core.config import RedisSettings, RequestLimitSettings
from signoff.core.errors import RateLimitedError
from signoff.core.metrics import Metrics
from signoff.core.principal import Principal
from signoff.core.ratelimit import Counted, Counters, OrgBudget, OrgBudgets
from signoff.core.transaction import SAFE_METHODS, UnitOfWork


class RequestLimited(RateLimitedError):
    code = "request_limited"
    title = "Too many requests from this caller; wait before sending more"


def _tiers(value: str) -> list[RateLimitItem]:
    return parse_many(value) if value.strip() else []


class RequestLimiter:
    def __init__(
        self,
        settings: RequestLimitSettings,
        redis: RedisSettings,
        secret: str,
        metrics: Metrics,
        budgets: OrgBudgets | None = None,
    ) -> None:
        self.budgets = budgets
        self.counters = Counters(redis, "requests", secret, SlidingWindowCounterRateLimiter)
        self._tiers = {
            ("principal", "reads"): _tiers(settings.reads),
            ("principal", "writes"): _tiers(settings.writes),
            ("org", "reads"): _tiers(settings.org_reads),
            ("org", "writes"): _tiers(settings.org_writes),
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
    ) -> None:
        """Count the request; refuse it (429) when the caller or its organization is over
        its budget (the server's, or ``own``: the one the organization set itself)."""
        kind = "writes" if write else "reads"
        keys: list[Counted] = [
            (item, (kind, "principal", principal.key)) for item in self._tiers[("principal", kind)]
        ]
        if org is not None:
            tiers = [*self._tiers[("org", kind)]]
            own_tier = own.tier(write=write) if own is not None else None
            if own_tier is not None and own_tier not in tiers:  # the same would count twice
                tiers.append(own_tier)
            keys += [(item, (kind, "org", org)) for item in tiers]
        if not keys:
            return
        refused = await self.counters.spend(keys)
        if refused is None:
            return
        (item, ids), wait_s = refused
        scope = ids[1]
        self.refusals.labels(scope=scope, kind=kind).inc()
        retry_after = int(wait_s) + 1
        name = f"{scope}-{kind}"
        error = RequestLimited(
            f"This {'organization' if scope == 'org' else 'caller'} may send {item.amount} "
            f"{kind} per {item.get_expiry()} s; retry after {retry_after} s.",
            retry_after_s=retry_after,
        )
        error.headers["RateLimit-Policy"] = f'"{name}";q={item.amount};w={item.get_expiry()}'
        error.headers["RateLimit"] = f'"{name}";r=0;t={retry_after}'
        raise error


class LimitedAuthenticator:
    """An ``Authenticator`` that counts each authenticated request against the limits."""

    def __init__(self, inner: Authenticator, limiter: RequestLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
        principal = await self.inner.authenticate(request, uow)
        if principal is not None:
            org = request.path_params.get("org")
            if not isinstance(org, str):
                org = str(principal.org_id) if principal.org_id is not None else None
            budgets = self.limiter.budgets
            own = None
            if org is not None and budgets is not None:
                own = await budgets.budget(uow.session(), org)
            write = request.method not in SAFE_METHODS
            await self.limiter.check(principal, org, write=write, own=own)
        return principal
