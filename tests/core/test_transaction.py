"""One request, one transaction: committed before the response, rolled back on any error."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from signoff.core.events import OutboxEvent
from tests.support.fixtures import token_for

pytestmark = pytest.mark.requirement("REQ-003", "REQ-008")

USER = uuid.UUID("0190b1a0-0000-7000-8000-000000000001")


async def count_events(connection: AsyncConnection, subject: str) -> int:
    query = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.subject == subject)
    return (await connection.execute(query)).scalar_one()


async def test_write_is_committed_before_the_response(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    response = await probe_client.post(
        "/probe/events", json={"type": "probe.done", "subject": "kept"}, headers=token_for(USER)
    )
    assert response.status_code == 201
    assert response.headers["location"].startswith("/probe/events/")
    assert await count_events(connection, "kept") == 1
    read = await probe_client.get(response.headers["location"])
    assert read.json()["subject"] == "kept"


async def test_domain_error_rolls_back_the_write(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    response = await probe_client.post(
        "/probe/fail-after-write", json={"type": "probe.done", "subject": "refused"}
    )
    assert response.status_code == 409
    assert await count_events(connection, "refused") == 0


async def test_crash_rolls_back_the_write(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    response = await probe_client.post(
        "/probe/crash", json={"type": "probe.done", "subject": "crashed"}
    )
    assert response.status_code == 500
    assert await count_events(connection, "crashed") == 0


async def test_event_envelope(probe_client: httpx.AsyncClient, connection: AsyncConnection) -> None:
    await probe_client.post(
        "/probe/events",
        json={"type": "probe.enveloped", "subject": "env", "data": {"n": 1}},
        headers=token_for(USER),
    )
    async with AsyncSession(connection) as session:
        event = (
            await session.execute(select(OutboxEvent).where(OutboxEvent.subject == "env"))
        ).scalar_one()
    envelope = event.envelope()
    assert set(envelope) == {"id", "type", "occurred_at", "org_id", "subject", "data", "version"}
    assert envelope["type"] == "probe.enveloped"
    assert envelope["data"] == {"n": 1}
    assert envelope["version"] == 1
    assert envelope["occurred_at"].endswith("+00:00")
    assert uuid.UUID(envelope["id"]).version == 7
