"""The real NATS JetStream on 127.0.0.1:4222, as the tests of the NATS paths use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest

NATS = "nats://127.0.0.1:4222"
START_NATS = (
    "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- "
    "-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log"
)


@pytest.fixture
async def jetstream() -> AsyncIterator[Any]:
    try:
        client = await nats.connect(NATS, connect_timeout=2, allow_reconnect=False)
    except Exception as exc:
        pytest.fail(f"NATS with JetStream must run on 127.0.0.1:4222 ({exc}): {START_NATS}")
    yield client.jetstream()
    await client.close()
