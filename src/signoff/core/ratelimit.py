"""Moving-window counters for throttles (``limits``): in Redis when configured, so every
instance shares them, else in the process.

When Redis fails (down, or slower than its timeout), the counts go on in the process for
``SIGNOFF_REDIS__RETRY_AFTER_S`` and Redis is tried again after that: what Redis protects
keeps working, throttled per instance, and readiness reports Redis. Counts made in the
process meanwhile are not carried over.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter
from limits.errors import StorageError
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.config import RedisSettings
from signoff.core.errors import RateLimitedError
from signoff.core.logging import get_logger
from signoff.core.security import Signer

log = get_logger("signoff.throttle")
T = TypeVar("T")
# A counter: a limit (`5/minute`) and the identifiers it counts under.
Counted = tuple[RateLimitItem, tuple[str, ...]]


@dataclass(frozen=True)
class Window:
    """A counter after a request was counted: what it has left, and when it has room again."""

    counted: Counted
    remaining: int
    reset_in_s: float


class Counters:
    """Moving windows in Redis when configured, in this process otherwise and while Redis
    fails. ``strategy`` may trade the moving window's exactness for cost (a sliding window
    counter: one counter per window instead of one entry per hit)."""

    def __init__(
        self,
        redis: RedisSettings,
        name: str,
        secret: str,
        strategy: type[RateLimiter] = MovingWindowRateLimiter,
    ) -> None:
        self._ids = Signer(secret, f"{name}-throttle")
        self.local = strategy(MemoryStorage())
        self._shared: RateLimiter | None = None
        if redis.url is not None:
            storage = RedisStorage(
                "async+" + redis.url.get_secret_value(),
                implementation="redispy",
                key_prefix=f"{redis.key_prefix}:{name}",
                wrap_exceptions=True,
                socket_timeout=redis.timeout_s,
                socket_connect_timeout=redis.timeout_s,
            )
            self._shared = strategy(storage)
        self._retry_after_s = redis.retry_after_s
        self._local_until = 0.0

    def id(self, value: str) -> str:
        """What a counter counts under (an email, an address), as a keyed hash: nothing is
        stored in clear, in Redis or in the process."""
        return self._ids.sign(value.encode(), size=12)

    @property
    def shared(self) -> bool:
        """Whether counts go to Redis now."""
        return self._shared is not None and time.monotonic() >= self._local_until

    async def run(self, op: Callable[[RateLimiter], Awaitable[T]]) -> T:
        if self._shared is None or not self.shared:
            return await op(self.local)
        try:
            return await op(self._shared)
        except StorageError as exc:
            self._local_until = time.monotonic() + self._retry_after_s
            log.warning(
                "throttle.redis_unavailable",
                error=f"{type(exc.storage_error).__name__}: {exc.storage_error}",
                counting_in_process_for_s=self._retry_after_s,
            )
            return await op(self.local)

    async def check(self, keys: Sequence[Counted], refusal: type[RateLimitedError]) -> None:
        """Refuse (429 with Retry-After until every counter has room again) when any of
        these counters is spent."""

        async def longest(limiter: RateLimiter) -> float:
            wait = 0.0
            for item, ids in keys:
                if not await limiter.test(item, *ids):
                    stats = await limiter.get_window_stats(item, *ids)
                    wait = max(wait, stats.reset_time - time.time())
            return wait

        wait = await self.run(longest)
        if wait > 0:
            raise refusal(retry_after_s=int(wait) + 1)

    async def spend(self, keys: Sequence[Counted]) -> tuple[list[Window], bool]:
        """Count one more against each counter in turn, until one is already spent: the
        windows of the counters counted (the spent one last), and whether all had room."""

        async def spend_all(limiter: RateLimiter) -> tuple[list[Window], bool]:
            windows = []
            for item, ids in keys:
                room = await limiter.hit(item, *ids)
                stats = await limiter.get_window_stats(item, *ids)
                reset_in = max(stats.reset_time - time.time(), 0.0)
                windows.append(Window((item, ids), stats.remaining if room else 0, reset_in))
                if not room:
                    return windows, False
            return windows, True

        return await self.run(spend_all)

    async def hit(self, keys: Sequence[Counted]) -> None:
        async def hit_all(limiter: RateLimiter) -> None:
            for item, ids in keys:
                await limiter.hit(item, *ids)

        await self.run(hit_all)

    async def clear(self, keys: Sequence[Counted]) -> None:
        async def clear_all(limiter: RateLimiter) -> None:
            for item, ids in keys:
                await limiter.clear(item, *ids)

        await self.run(clear_all)


@dataclass(frozen=True)
class OrgBudget:
    """Requests per minute an organization allows itself (None where it set none), and its
    id: the one key its requests are counted under, whichever name a request used."""

    org_id: str | None = None
    reads_per_minute: int | None = None
    writes_per_minute: int | None = None

    def tier(self, *, write: bool) -> RateLimitItem | None:
        amount = self.writes_per_minute if write else self.reads_per_minute
        return RateLimitItemPerMinute(amount) if amount is not None else None


class OrgBudgets(Protocol):
    async def budget(self, session: AsyncSession, org: str) -> OrgBudget:
        """The budget of the organization ``org`` names (its slug or id); no ``org_id`` when
        no organization has that name."""
        ...
