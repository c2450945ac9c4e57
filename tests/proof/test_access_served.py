"""Row 9 of issue 11 against a real `signoff serve` process (docs/design.md §11.6): the walks
of tests/security/test_access_control.py, every route by every kind of caller, over a socket
to the server, whose own worker relays the outbox. The routes are the app's own."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.proof.conftest import Served
from tests.security.test_access_control import (
    walk_anonymously,
    walk_other_organizations,
    walk_roles,
)

pytestmark = [
    pytest.mark.requirement("REQ-011"),
    # CI walks the same routes in process (tests/security/test_access_control.py); over a
    # socket the walks take minutes, so they run under `make proof`.
    pytest.mark.skipif(
        os.environ.get("SIGNOFF_PROOF") != "1", reason="over a socket: make proof (SIGNOFF_PROOF=1)"
    ),
]


async def relayed() -> None:
    # The server relays on its own (worker in process, polling every second).
    await asyncio.sleep(0.2)


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as client:
        yield client


async def test_every_route_by_every_caller_over_a_socket(
    app: FastAPI,
    http: httpx.AsyncClient,
    served: Served,
    record_property: Callable[[str, object], None],
) -> None:
    try:
        made = {
            "anonymous": await walk_anonymously(http, app, relayed),
            "other organization": await walk_other_organizations(http, app, relayed),
        }
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            made[method] = await walk_roles(http, app, relayed, method)
    except AssertionError as failed:
        # The server's own log says why it answered as it did (a 500's traceback).
        served.process.kill()
        assert served.process.stdout is not None
        raise AssertionError(served.process.stdout.read().decode()[-8000:]) from failed
    record_property("figures", f"row 9 served: calls {made}, total {sum(made.values())}, 0 leaks")
