"""Helpers for tests of the event-delivery half: settings, subscriptions, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.config import Settings, WebhookSettings
from signoff.core.db import Database
from signoff.core.events import EventRecorder
from signoff.worker import Background, Transactions
from tests.support.identity import Actor

LOOPBACK = ["127.0.0.0/8"]


def fast_webhooks(**overrides: Any) -> WebhookSettings:
    """Loopback receivers allowed, and a schedule measured in milliseconds."""
    values: dict[str, Any] = {
        "allowed_cidrs": LOOPBACK,
        "timeout_s": 1.0,
        "retry_schedule_s": [0.01, 0.02, 0.04],
        "retry_jitter": 0.1,
        "breaker_threshold": 50,
        "breaker_cooldown_s": 0.05,
        "poll_interval_s": 0.02,
    }
    return WebhookSettings(**(values | overrides))


def with_webhooks(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"webhooks": fast_webhooks(**overrides)})


def background(app: FastAPI) -> Background:
    found: Background = app.state.background
    return found


async def create_webhook(
    client: httpx.AsyncClient, actor: Actor, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/orgs/{actor.orgs[0]}/webhooks",
        json={"url": url, "event_types": types or ["*"]},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(
    client: httpx.AsyncClient, actor: Actor, webhook_id: str, **params: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/orgs/{actor.orgs[0]}/webhooks/{webhook_id}/deliveries",
        params=params | {"limit": "200"},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def wait_until(
    condition: Callable[[], Awaitable[bool]] | Callable[[], bool],
    *,
    within: float = 30.0,
    what: str = "the condition",
) -> None:
    """Poll until ``condition`` holds; a generous bound that only catches a hang."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {within} s")


async def org_id(client: httpx.AsyncClient, actor: Actor) -> uuid.UUID:
    response = await client.get(f"/v1/orgs/{actor.orgs[0]}", headers=actor.headers)
    return uuid.UUID(response.json()["id"])


async def record_events(
    db: Database, clock: Clock, org: uuid.UUID | None, events: Sequence[tuple[str, str]]
) -> list[str]:
    """Record ``(type, subject)`` events in one committed transaction, as a service would."""

    async def work(session: AsyncSession) -> list[str]:
        recorder = EventRecorder(session, clock)
        recorded = [
            await recorder.record(t, org_id=org, subject=s, data={"n": n})
            for n, (t, s) in enumerate(events)
        ]
        return [str(e.id) for e in recorded]

    return await Transactions(db)(work)
