"""A poll that a signal cuts short, for the background loops (relay, webhook deliveries,
email notices): each waits here between rounds, and is woken at once when this process made
work for it, or else after its poll interval (work that other processes made)."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        """Until woken or ``timeout_s`` passed; a wake that came during the round counts."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._event.wait()
        self._event.clear()
