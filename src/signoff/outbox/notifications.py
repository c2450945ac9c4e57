"""Wake the relay when another process commits events (PostgreSQL ``LISTEN``).

Every transaction that records an event also sends ``NOTIFY signoff_outbox``
(`signoff.core.events.notify_other_processes`); PostgreSQL delivers it when that transaction
commits. This listener holds one connection of its own with ``LISTEN`` on the channel and
wakes the relay on each notification, so a `signoff worker` hands an event on as soon as the
server commits it, not at its next poll. The relay's poll stays the fallback: a notification
sent while this connection was down is lost, so on every (re)connection the relay is woken
once to look. SQLite has no such signal and polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.db import Database
from signoff.core.events import OUTBOX_CHANNEL
from signoff.core.logging import get_logger

log = get_logger("signoff.outbox")

RECONNECT_S = 5.0
CHECK_S = 30.0
CHECK_TIMEOUT_S = 5.0


class OutboxNotifications:
    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self._db = db
        self._wake = wake
        self._task: asyncio.Task[None] | None = None
        self.received = 0  # notifications that woke the relay (for tests and logs)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox:listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _notified(self, *_args: Any) -> None:
        self.received += 1
        self._wake()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as exc:  # the poll carries on meanwhile
                log.warning("outbox.listen_lost", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        engine = self._db.primary
        assert isinstance(engine, AsyncEngine), "a listener needs an engine of its own"
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            lost = asyncio.Event()
            raw.add_termination_listener(lambda _conn: lost.set())
            await raw.add_listener(OUTBOX_CHANNEL, self._notified)
            log.info("outbox.listening", channel=OUTBOX_CHANNEL)
            self._wake()  # what was committed while no one listened
            try:
                while not lost.is_set():
                    # A connection cut without a close is found by using it.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), CHECK_S)
                    if not lost.is_set():
                        await asyncio.wait_for(raw.execute("SELECT 1"), CHECK_TIMEOUT_S)
            finally:
                with contextlib.suppress(Exception):
                    await raw.remove_listener(OUTBOX_CHANNEL, self._notified)
