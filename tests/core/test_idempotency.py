"""Idempotency-Key on POST: replay, conflicting reuse, scoping, expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.core.events import OutboxEvent
from signoff.core.idempotency_records import IdempotencyRecord
from signoff.core.services import Services
from tests.support.fixtures import assert_problem, token_for

pytestmark = pytest.mark.requirement("REQ-006")

ALICE = uuid.UUID("0190b1a0-0000-7000-8000-00000000000a")
BOB = uuid.UUID("0190b1a0-0000-7000-8000-00000000000b")
EVENT = {"type": "probe.done", "subject": "idem"}


async def events(connection: AsyncConnection) -> int:
    query = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.subject == "idem")
    return (await connection.execute(query)).scalar_one()


def keyed(user: uuid.UUID, key: str) -> dict[str, str]:
    return {**token_for(user), "Idempotency-Key": key}


async def test_replay_returns_the_first_response(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    first = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-1"))
    again = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await events(connection) == 1


async def test_same_key_different_body_is_refused(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-2"))
    other = {**EVENT, "data": {"changed": True}}
    response = await probe_client.post("/probe/events", json=other, headers=keyed(ALICE, "k-2"))
    assert_problem(response, 422, "idempotency_key_reused")
    assert await events(connection) == 1


async def test_keys_are_scoped_to_the_caller(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    a = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "shared"))
    b = await probe_client.post("/probe/events", json=EVENT, headers=keyed(BOB, "shared"))
    assert a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers
    assert await events(connection) == 2


async def test_without_key_every_post_writes(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    for _ in range(2):
        await probe_client.post("/probe/events", json=EVENT, headers=token_for(ALICE))
    assert await events(connection) == 2


async def test_failed_request_stores_no_key(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    bad = {"type": "Not A Type", "subject": "idem"}
    failed = await probe_client.post("/probe/events", json=bad, headers=keyed(ALICE, "k-3"))
    assert failed.status_code == 422
    stored = await connection.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.key == "k-3")
    )
    assert stored.first() is None
    ok = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-3"))
    assert ok.status_code == 201  # the same key works once the request is right


async def test_expired_key_is_forgotten(
    probe_client: httpx.AsyncClient, connection: AsyncConnection, probe: FastAPI
) -> None:
    await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-4"))
    past = Services.of(probe).clock.now() - timedelta(seconds=1)
    await connection.execute(
        update(IdempotencyRecord).where(IdempotencyRecord.key == "k-4").values(expires_at=past)
    )
    again = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, "k-4"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert await events(connection) == 2


async def test_malformed_key_is_422(probe_client: httpx.AsyncClient) -> None:
    for bad in ("has space", "x" * 256):
        response = await probe_client.post("/probe/events", json=EVENT, headers=keyed(ALICE, bad))
        assert_problem(response, 422, "validation_failed")


async def test_opted_out_route_ignores_key(
    probe_client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    for _ in range(2):
        response = await probe_client.post(
            "/probe/anonymous-events", json=EVENT, headers={"Idempotency-Key": "k-5"}
        )
        assert response.status_code == 201
    assert await events(connection) == 2


async def test_openapi_documents_the_header(probe: FastAPI) -> None:
    operation = probe.openapi()["paths"]["/probe/events"]["post"]
    assert any(p["name"] == "idempotency-key" for p in operation["parameters"])
    opted_out = probe.openapi()["paths"]["/probe/anonymous-events"]["post"]
    assert not any(p["name"] == "idempotency-key" for p in opted_out.get("parameters", []))
