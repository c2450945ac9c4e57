"""Publishing to the real NATS JetStream on 127.0.0.1:4222, including while it is away."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import FrozenClock
from signoff.core.config import NatsSettings
from signoff.core.db import Database
from signoff.core.events import OutboxEvent
from signoff.outbox.jetstream import JetStreamPublisher
from signoff.outbox.relay import OutboxRelay
from signoff.runtime.worker import Transactions
from tests.support.jetstream import jetstream
from tests.support.tcpproxy import TcpProxy
from tests.support.webhooks import record_events, wait_until

pytestmark = pytest.mark.requirement("REQ-008", "REQ-024")

CLOCK = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def names() -> tuple[str, str]:
    """A stream and subject prefix of this test's own on the shared server."""
    tag = uuid.uuid4().hex[:12]
    return f"SIGNOFF_TEST_{tag}", f"signofftest{tag}"


async def test_events_wait_while_nats_is_down_and_go_out_in_order_once_it_is_back(
    db: Database, jetstream: Any, names: tuple[str, str]
) -> None:
    stream, prefix = names
    proxy = TcpProxy("127.0.0.1", 4222)
    await proxy.start()
    await proxy.cut()  # NATS is "down": its address refuses connections
    settings = NatsSettings(
        url=f"nats://127.0.0.1:{proxy.port}", stream=stream, subject_prefix=prefix, reconnect_s=0.05
    )
    publisher = JetStreamPublisher(settings)
    relay = OutboxRelay(Transactions(db), CLOCK, [], stream=publisher)
    org = uuid.uuid4()
    ids = await record_events(
        db, CLOCK, org, [("documents.created", "d/1"), ("documents.approved", "d/1")]
    )
    ids += await record_events(db, CLOCK, None, [("auth.login_failed", "users/x")])
    try:
        down = await relay.run_once()
        assert down.dispatched >= 3  # webhooks are not held up by NATS
        assert down.published == 0
        await proxy.start()

        async def published() -> bool:
            return (await relay.run_once()).published >= 3

        await wait_until(published, what="publishing after NATS came back")
        messages = await read_stream(jetstream, stream, prefix)
        ours = [m for m in messages if m["id"] in ids]
        assert [m["id"] for m in ours] == ids  # each once, in order
        assert [m["subject"] for m in ours] == [
            f"{prefix}.{org}.documents.created",
            f"{prefix}.{org}.documents.approved",
            f"{prefix}.global.auth.login_failed",
        ]
        assert ours[1]["envelope"]["type"] == "documents.approved"

        # A relay that crashed after publishing but before marking publishes again:
        # JetStream drops the copy (same Nats-Msg-Id), so the stream still has one.
        await Transactions(db)(lambda s: unmark(s, ids[0]))
        assert (await relay.run_once()).published == 1
        again = await read_stream(jetstream, stream, prefix)
        assert [m["id"] for m in again].count(ids[0]) == 1
    finally:
        await relay.stop()
        await proxy.cut()
        await jetstream.delete_stream(stream)


async def unmark(session: AsyncSession, event_id: str) -> None:
    await session.execute(
        update(OutboxEvent).where(OutboxEvent.id == uuid.UUID(event_id)).values(published_at=None)
    )


async def read_stream(jetstream: Any, stream: str, prefix: str) -> list[dict[str, Any]]:
    info = await jetstream.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await jetstream.get_msg(stream, seq)
        found.append(
            {
                "id": message.headers["Nats-Msg-Id"],
                "subject": message.subject,
                "envelope": json.loads(message.data),
            }
        )
    assert all(m["subject"].startswith(prefix + ".") for m in found)
    return found


__all__ = ["jetstream"]
