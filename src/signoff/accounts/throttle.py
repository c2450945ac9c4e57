"""Login throttling, checked before any password is hashed.

Three counters of failed logins, each with progressive tiers (settings.throttle):
- per client address: stops one machine from spraying many accounts (a failed browser
  sign-in through the identity provider counts here too: it names no account);
- per account and address: stops guessing one account from one place;
- per account from any address: stops a distributed attack on one account, but it is not
  applied to addresses the account signed in from before, so an attacker cannot lock the
  real user out from their usual place.

Counters live in Redis when it is configured (shared by every instance), otherwise, and
while Redis fails, in the process (``core.ratelimit``): sign-in keeps working, throttled per
instance. Identifiers are keyed hashes: no email or address is stored in clear.
"""

from __future__ import annotations

from limits import parse_many

from signoff.core.config import RedisSettings, ThrottleSettings
from signoff.core.errors import RateLimitedError
from signoff.core.ratelimit import Counted, Counters


class LoginThrottled(RateLimitedError):
    code = "login_throttled"
    title = "Too many failed sign-in attempts; wait before trying again"


class LoginThrottle:
    def __init__(self, settings: ThrottleSettings, secret: str, redis: RedisSettings) -> None:
        self.counters = Counters(redis, "login", secret)
        self._address = parse_many(settings.per_address)
        self._account_address = parse_many(settings.per_account_and_address)
        self._account = parse_many(settings.per_account)

    def _counters(self, account: str, address: str | None, *, known_address: bool) -> list[Counted]:
        acct = self.counters.id("account:" + account.lower())
        addr = self.counters.id("address:" + (address or "unknown"))
        counters = self._address_counters(address)
        counters += [(item, ("acct-addr", acct, addr)) for item in self._account_address]
        if not known_address:
            counters += [(item, ("acct", acct)) for item in self._account]
        return counters

    async def check(self, account: str, address: str | None, *, known_address: bool) -> None:
        """Refuse (429 with Retry-After) when any counter is spent; costs no hashing."""
        counters = self._counters(account, address, known_address=known_address)
        await self.counters.check(counters, LoginThrottled)

    def _address_counters(self, address: str | None) -> list[Counted]:
        addr = self.counters.id("address:" + (address or "unknown"))
        return [(item, ("addr", addr)) for item in self._address]

    async def check_address(self, address: str | None) -> None:
        """A sign-in with no account named yet (through the identity provider): refused
        while the address's counter, the one password failures spend too, is spent."""
        await self.counters.check(self._address_counters(address), LoginThrottled)

    async def failed_address(self, address: str | None) -> None:
        await self.counters.hit(self._address_counters(address))

    async def failed(self, account: str, address: str | None) -> None:
        await self.counters.hit(self._counters(account, address, known_address=False))

    async def succeeded(self, account: str, address: str | None) -> None:
        """A correct password clears this account's count from this address, not others."""
        counters = self._counters(account, address, known_address=True)
        await self.counters.clear([c for c in counters if c[1][0] == "acct-addr"])
