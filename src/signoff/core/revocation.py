"""The revocation list: sessions whose access tokens are refused before they expire.

An access token is a self-contained JWT, valid until its ``exp``. Signing out, revoking a
refresh token (RFC 7009) and the detection of a reused refresh token end a *session* (the
refresh-token family, the token's ``sid``) at once: the session is listed here until every
access token it can have issued has expired (the access-token lifetime plus the leeway), and
every request's token is checked against the list.

The list is kept in the process (a dict; a lookup costs nothing) and, when Redis is
configured, shared through it (one ``EXISTS`` a request), so every instance refuses the token
on the next request. While Redis fails, the list goes on in the process and Redis is tried
again after ``SIGNOFF_REDIS__RETRY_AFTER_S`` (as the throttles do, ADR 0012).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from signoff.core.config import RedisSettings
from signoff.core.logging import get_logger

log = get_logger("signoff.revocation")

Loader = Callable[[float], Awaitable[Iterable[str]]]


class RevocationList:
    def __init__(self, redis: RedisSettings, *, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._local: dict[str, float] = {}  # session id -> when its listing ends (epoch s)
        self._prefix = f"{redis.key_prefix}:revoked-session:"
        self._retry_after_s = redis.retry_after_s
        self._redis_down_until = 0.0
        self._loaded = False
        self._redis: Any = None
        if redis.url is not None:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(
                redis.url.get_secret_value(),
                socket_timeout=redis.timeout_s,
                socket_connect_timeout=redis.timeout_s,
            )

    @property
    def loaded(self) -> bool:
        """Whether the list was filled from the record of revocations (``load_once``)."""
        return self._loaded

    @property
    def shared(self) -> bool:
        """Whether the list is shared through Redis now."""
        return self._redis is not None and time.monotonic() >= self._redis_down_until

    async def revoke(self, session_id: str, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._local[session_id] = now + self.ttl_s
        if self.shared:
            try:
                await self._redis.set(self._prefix + session_id, b"1", px=int(self.ttl_s * 1000))
            except Exception as exc:  # redis-py raises RedisError and OSError subclasses
                self._redis_failed(exc)

    async def is_revoked(self, session_id: str, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        until = self._local.get(session_id)
        if until is not None:
            if until > now:
                return True
            del self._local[session_id]
        if not self.shared:
            return False
        try:
            found = bool(await self._redis.exists(self._prefix + session_id))
        except Exception as exc:
            self._redis_failed(exc)
            return False
        if found:
            self._local[session_id] = now + self.ttl_s  # an upper bound; it only ends sooner
        return found

    async def load_once(self, recently_revoked: Loader) -> None:
        """Fill the list from the record of revocations (the database) the first time it is
        needed, so that a restart does not forget a session revoked minutes ago."""
        if self._loaded:
            return
        now = time.time()
        for session_id in await recently_revoked(now - self.ttl_s):
            self._local.setdefault(session_id, now + self.ttl_s)
        self._loaded = True

    def _redis_failed(self, exc: BaseException) -> None:
        self._redis_down_until = time.monotonic() + self._retry_after_s
        log.warning(
            "revocation.redis_unavailable",
            error=f"{type(exc).__name__}: {exc}",
            in_process_for_s=self._retry_after_s,
        )

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
