"""Real concurrency: an app whose requests each commit on their own connection, and the
client-side retry that a collision of writers on SQLite calls for."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx


async def retrying(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Retry 409 `concurrent_update` (SQLite may answer it when writers collide), never
    another refusal: those are what the tests look at."""
    for _ in range(40):
        response = await call()
        if response.status_code != 409 or response.json().get("code") != "concurrent_update":
            return response
        await asyncio.sleep(0.05)
    return response
