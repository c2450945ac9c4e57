"""Real processes and real commits: a worker killed with SIGKILL in the middle of a delivery,
two relays sharing one PostgreSQL database, and the relay inside ``signoff serve``."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from signoff.app import create_app
from signoff.core.clock import SystemClock
from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from signoff.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.core.test_metrics import samples
from tests.support.identity import sign_up
from tests.support.receiver import running_receiver
from tests.support.server import free_port
from tests.support.webhooks import (
    background,
    live_app,
    live_settings,
    org_id,
    record_events,
    start_worker,
    subscribe_receiver,
    wait_until,
)

pytestmark = pytest.mark.requirement("REQ-024")


async def unsettled(settings: Settings) -> int:
    db = Database.from_settings(settings.database)
    try:
        async with db.session(read_only=True) as session:
            count = await session.scalar(
                select(func.count()).where(WebhookDelivery.status != "succeeded")
            )
            return int(count or 0)
    finally:
        await db.dispose()


async def worker_metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape the worker's /metrics once its database gauges have been refreshed."""
    url = f"http://127.0.0.1:{port}/metrics"
    async with httpx.AsyncClient(timeout=5) as client:

        async def refreshed() -> bool:
            try:
                found = samples((await client.get(url)).text)
            except httpx.TransportError:
                return False  # not listening yet
            return found.get(("signoff_outbox_pending_events", ())) == 0

        await wait_until(refreshed, what="the worker's metrics")
        return samples((await client.get(url)).text)


def live_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.e2e
async def test_a_worker_killed_mid_delivery_loses_nothing(
    live_database: DatabaseSettings,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    settings = live_settings(live_database, timeout_s=0.5, retry_schedule_s=[0.05] * 20)
    subjects = [f"documents/DD-{n}" for n in range(3)]
    with running_receiver() as receiver:
        receiver.delay_s = 0.1  # each request takes a while: the kill lands in the middle
        async with live_app(settings) as (_, client, db):
            admin = await sign_up(client)
            await subscribe_receiver(client, admin, receiver, ["documents.*"])
            events = [("documents.updated", subjects[n % 3]) for n in range(30)]
            recorded = await record_events(db, SystemClock(), await org_id(client, admin), events)

        log = tmp_path / "worker.log"
        first = start_worker(settings, log)
        await wait_until(
            lambda: len(receiver.processed) >= 6 and receiver.in_flight > 0,
            what="deliveries in flight",
        )
        first.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(first.wait, 10) == -signal.SIGKILL
        before_restart = len(receiver.processed)
        assert before_restart < len(recorded), log.read_text()

        port = free_port()
        second = start_worker(
            settings,
            log,
            SIGNOFF_WORKER__METRICS_PORT=str(port),
            SIGNOFF_WORKER__METRICS_REFRESH_S="0.1",
        )
        try:
            await wait_until(
                lambda: len(receiver.processed) == len(recorded), what="every event delivered"
            )

            async def settled() -> bool:
                return await unsettled(settings) == 0

            await wait_until(settled, what="deliveries settled")
            metrics = await worker_metrics(port)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.to_thread(second.wait, 20)
    assert second.returncode == 0, log.read_text()
    assert sorted(receiver.processed_ids()) == sorted(recorded)
    assert receiver.bad_signatures == 0
    order = {s: [e for e, (_, t) in zip(recorded, events, strict=True) if t == s] for s in subjects}
    assert receiver.order_by_subject() == order
    # The restarted worker's own /metrics: what it delivered, and nothing left behind.
    succeeded = metrics[("signoff_webhook_deliveries_total", (("outcome", "succeeded"),))]
    assert succeeded >= len(recorded) - before_restart
    assert metrics[("signoff_outbox_pending_events", ())] == 0
    figures = (
        f"{len(recorded)} events; {before_restart} acted on before SIGKILL, the rest after "
        f"the restart; {receiver.duplicates} sent again and dropped by the receiver"
    )
    print(figures)
    record_property("figures", figures)


async def successes_per_delivery(settings: Settings) -> list[int]:
    db = Database.from_settings(settings.database)
    try:
        async with db.session(read_only=True) as session:
            query = (
                select(func.count())
                .select_from(WebhookAttempt)
                .where(WebhookAttempt.succeeded.is_(True))
                .group_by(WebhookAttempt.delivery_id)
            )
            return list(await session.scalars(query))
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_two_relays_on_one_postgresql_deliver_each_event_once(
    live_database: DatabaseSettings, record_property: Callable[[str, object], None]
) -> None:
    settings = live_settings(live_database, concurrency=4, timeout_s=5.0)
    settings = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"outbox_batch": 5})}
    )
    subjects = [f"documents/DD-{n}" for n in range(12)]
    with running_receiver() as receiver:
        receiver.delay_s = 0.005
        async with live_app(settings) as (one, client, db), live_app(settings) as (two, _, _):
            admin = await sign_up(client)
            await subscribe_receiver(client, admin, receiver, ["documents.*"])
            events = [("documents.updated", subjects[n % 12]) for n in range(120)]
            recorded = await record_events(db, SystemClock(), await org_id(client, admin), events)
            began = time.monotonic()
            background(one).start()
            background(two).start()
            await wait_until(lambda: len(receiver.processed) >= len(recorded), what="deliveries")

            async def settled() -> bool:
                return await unsettled(settings) == 0

            await wait_until(settled, what="deliveries settled")
            took = time.monotonic() - began
            relays = [background(app).relay.totals.dispatched for app in (one, two)]
            engines = [background(app).engine.attempts for app in (one, two)]
    assert sorted(receiver.processed_ids()) == sorted(recorded)
    order = {s: [e for e, (_, t) in zip(recorded, events, strict=True) if t == s] for s in subjects}
    assert receiver.order_by_subject() == order
    # Never claimed by both engines: each delivery succeeded exactly once. (A retry after a
    # failed attempt, which a loaded machine can cause, is at-least-once doing its job.)
    assert await successes_per_delivery(settings) == [1] * len(recorded)
    assert min(relays) > 0  # both relays took batches
    assert min(engines) > 0  # both engines sent
    figures = (
        f"{len(recorded)} events over {len(subjects)} subjects: relays dispatched {relays}, "
        f"engines made {engines} attempts, receiver got {len(receiver.requests)} requests, "
        f"in {took:.2f} s"
    )
    print(figures)
    record_property("figures", figures)


async def test_serve_relays_at_once_when_it_commits_events(
    live_database: DatabaseSettings,
) -> None:
    settings = live_settings(live_database, poll_interval_s=60)
    slow_poll = settings.worker.model_copy(update={"in_process": True, "outbox_poll_s": 60})
    settings = settings.model_copy(update={"worker": slow_poll})
    app = create_app(settings)
    # app.router.lifespan_context is what uvicorn runs for `signoff serve`.
    with running_receiver() as receiver:
        async with app.router.lifespan_context(app), live_client(app) as client:
            admin = await sign_up(client)
            await subscribe_receiver(client, admin, receiver, ["teams.*"])
            created = await client.post(
                f"/v1/orgs/{admin.orgs[0]}/teams",
                json={"slug": "sre", "name": "SRE"},
                headers=admin.headers,
            )
            assert created.status_code == 201
            # Every loop polls each 60 s (the most the settings allow) and ran its first
            # round at start: a delivery before the first poll proves the commit woke the
            # relay, and the relay the engine.
            await wait_until(lambda: len(receiver.processed) == 1, within=45)
    assert [r.envelope["type"] for r in receiver.processed] == ["teams.created"]
