"""Helpers for tests of the event-delivery half: settings, subscriptions, waiting."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.app import create_app
from signoff.core.clock import Clock
from signoff.core.config import (
    DatabaseSettings,
    Environment,
    Settings,
    WebhookSettings,
    WorkerSettings,
)
from signoff.core.db import Database
from signoff.core.events import EventRecorder
from signoff.core.services import Services
from signoff.runtime.worker import Background, Transactions
from tests.conftest import FAST_HASHING, TEST_SECRET
from tests.support.identity import Actor
from tests.support.server import REPO

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
    found: Background = Services.of(app).part(Background)
    return found


async def run_job(app: FastAPI, name: str) -> int:
    """Run the app's scheduled job ``name`` once, now; what it counted."""
    [job] = [j for j in background(app).scheduler.jobs if j.name == name]
    done = await background(app).scheduler.run_once(job)
    assert isinstance(done, int)
    return done


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


async def subscribe_receiver(
    client: httpx.AsyncClient, actor: Actor, receiver: Any, types: list[str] | None = None
) -> dict[str, Any]:
    """Subscribe ``receiver`` and teach it the secret it must verify signatures with."""
    created = await create_webhook(client, actor, receiver.url, types)
    receiver.secrets.append(created["secret"])
    return created


def live_settings(database: DatabaseSettings, **webhooks: Any) -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database=database,
        auth=FAST_HASHING,
        worker=WorkerSettings(in_process=False, outbox_poll_s=0.02),
        webhooks=fast_webhooks(**webhooks),
    )


@asynccontextmanager
async def live_app(
    settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, Database]]:
    db = Database.from_settings(settings.database)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield app, client, db
    finally:
        await background(app).stop()
        await db.dispose()


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app``; the app's background is stopped at the end (it closes the
    delivery client and its connections)."""
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
    finally:
        await background(app).stop()


def attempts_by(app: FastAPI, result: str) -> float:
    value = Services.of(app).metrics.registry.get_sample_value(
        "signoff_webhook_attempts_total", {"result": result}
    )
    return value or 0.0


def worker_environment(settings: Settings) -> dict[str, str]:
    """The same settings as environment variables, for a ``signoff worker`` process."""
    hooks, worker = settings.webhooks, settings.worker
    return {
        "SIGNOFF_ENV": settings.env.value,
        "SIGNOFF_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SIGNOFF_DATABASE__URL": settings.database.url.get_secret_value(),
        "SIGNOFF_WEBHOOKS__ALLOWED_CIDRS": ",".join(hooks.allowed_cidrs),
        "SIGNOFF_WEBHOOKS__TIMEOUT_S": str(hooks.timeout_s),
        "SIGNOFF_WEBHOOKS__RETRY_SCHEDULE_S": ",".join(map(str, hooks.retry_schedule_s)),
        "SIGNOFF_WEBHOOKS__POLL_INTERVAL_S": str(hooks.poll_interval_s),
        "SIGNOFF_WEBHOOKS__BREAKER_THRESHOLD": str(hooks.breaker_threshold),
        "SIGNOFF_WORKER__OUTBOX_POLL_S": str(worker.outbox_poll_s),
        "SIGNOFF_LOG__FORMAT": "json",
        "SIGNOFF_LOG__LEVEL": "WARNING",
    }


def start_worker(settings: Settings, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """``signoff worker`` in a process of its own, on these settings, logging to ``log``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "signoff", "worker"],
            cwd=REPO,
            env=env | worker_environment(settings) | extra,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
