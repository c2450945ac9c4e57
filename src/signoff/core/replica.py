"""Whether a reading request may go to the read replica now (design §14.6).

The rule: a reading request is served by the replica only while the last probe reached it and
found it fresh: it had then replayed everything the primary had written when the probe began,
at most ``SIGNOFF_DATABASE__REPLICA_MAX_LAG_S`` ago. Otherwise it is served by the primary.

- A probe reads the primary's WAL position (``pg_current_wal_lsn()``) and asks the replica
  whether it has replayed that far (``pg_last_wal_replay_lsn()``). An idle primary keeps its
  position, so an idle replica stays fresh; a replica that stops replaying goes stale
  ``REPLICA_MAX_LAG_S`` after the last probe that found it caught up, however few writes
  came since. A replica that is no standby (a second engine on the primary, SQLite) is fresh.
- Probes are made by reading requests, not by a loop of their own: the first reading request
  of a process waits for one; later ones start the next in the background when the last is
  older than ``SIGNOFF_DATABASE__REPLICA_CHECK_S``, and go on with what the last one found.
- A reading request whose replica connection fails is run again, once, on the primary
  (``core/transaction.py``), and the replica is left out until a probe reaches it again.
"""

from __future__ import annotations

import asyncio
import math
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.logging import get_logger

log = get_logger("signoff.replica")

_PRIMARY_POSITION = text("SELECT CAST(pg_current_wal_lsn() AS text)")
_REPLICA_REPLAYED = text(
    "SELECT pg_is_in_recovery() AS standby, "
    "pg_last_wal_replay_lsn() >= CAST(CAST(:position AS text) AS pg_lsn) AS caught_up"
)


class ReplicaGate:
    def __init__(
        self, primary: AsyncEngine, replica: AsyncEngine, *, max_lag_s: float, check_s: float
    ) -> None:
        self._primary = primary
        self._replica = replica
        self.max_lag_s = max_lag_s
        self.check_s = check_s
        self._reachable = False
        self._fresh_at = -math.inf  # monotonic: when the replica last had all the primary's
        self._probed_at = -math.inf
        self._probing: asyncio.Task[None] | None = None

    @property
    def usable(self) -> bool:
        """Whether reading requests go to the replica now."""
        return self._reachable and time.monotonic() - self._fresh_at <= self.max_lag_s

    async def before_read(self) -> None:
        """Called as a reading request starts: probe when the last probe is too old (the
        process's first reading request waits for it; later ones do not)."""
        if time.monotonic() - self._probed_at < self.check_s:
            return
        if self._probing is None or self._probing.done():
            self._probing = asyncio.create_task(self.probe(), name="replica-probe")
        if self._probed_at == -math.inf:
            await asyncio.shield(self._probing)

    def lost(self) -> None:
        """The replica failed a request: left out until a probe reaches it again."""
        if self._reachable:
            log.warning("replica.lost", reads_go_to="primary")
        self._reachable = False

    async def probe(self) -> None:
        started = time.monotonic()
        was = self.usable
        try:
            async with asyncio.timeout(max(self.check_s, 1.0)):
                fresh = await self._replica_fresh(await self._primary_position())
        except Exception as exc:  # any failure to answer leaves the replica out
            self._reachable = False
            error = f"{type(exc).__name__}: {exc}"[:200]
            (log.warning if was else log.debug)("replica.unreachable", error=error)
        else:
            self._reachable = True
            if fresh:
                self._fresh_at = started
        finally:
            self._probed_at = time.monotonic()
        if self.usable != was:
            event = "replica.usable" if self.usable else "replica.stale"
            log.info(event, lag_bound_s=self.max_lag_s)

    async def _primary_position(self) -> str | None:
        if self._primary.dialect.name != "postgresql":
            return None
        try:
            async with self._primary.connect() as conn:
                position = await conn.scalar(_PRIMARY_POSITION)
            return str(position) if position is not None else None
        except Exception:  # the primary's trouble is not the replica's: freshness unknown
            return None

    async def _replica_fresh(self, position: str | None) -> bool:
        async with self._replica.connect() as conn:
            if self._replica.dialect.name != "postgresql":
                await conn.execute(text("SELECT 1"))
                return True
            row = (await conn.execute(_REPLICA_REPLAYED, {"position": position})).one()
        return not row.standby or row.caught_up is True
