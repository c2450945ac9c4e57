"""The public inbound route answers anyone: an address whose events keep failing
verification is refused (429) before its next one is even looked at, so a flood of forged
events costs no database lookups and no HMACs. Sources that sign correctly never count.
"""

from __future__ import annotations

from limits import parse_many

from signoff.core.config import RedisSettings, ThrottleSettings
from signoff.core.errors import RateLimitedError
from signoff.core.ratelimit import Counted, Counters


class InboundThrottled(RateLimitedError):
    code = "inbound_throttled"
    title = "Too many events that did not verify came from this address; wait before sending"


class InboundThrottle:
    def __init__(self, settings: ThrottleSettings, secret: str, redis: RedisSettings) -> None:
        self.counters = Counters(redis, "inbound", secret)
        self._limits = parse_many(settings.inbound_failures_per_address)

    def _keys(self, address: str | None) -> list[Counted]:
        key = self.counters.id("address:" + (address or "unknown"))
        return [(item, (key,)) for item in self._limits]

    async def check(self, address: str | None) -> None:
        await self.counters.check(self._keys(address), InboundThrottled)

    async def failed(self, address: str | None) -> None:
        await self.counters.hit(self._keys(address))
