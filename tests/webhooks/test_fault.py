"""The fault test: a stream of events to a receiver that goes down, then answers 500s, then
times out, then comes back. Every event arrives, signed, in order per subject, and a receiver
that deduplicates by ``webhook-id`` acts on each exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from signoff.core.clock import SystemClock
from signoff.core.config import DatabaseSettings
from signoff.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.support.identity import sign_up
from tests.support.receiver import Receiver
from tests.support.webhooks import (
    attempts_by,
    background,
    live_app,
    live_settings,
    org_id,
    record_events,
    subscribe_receiver,
    wait_until,
)

pytestmark = pytest.mark.requirement("REQ-024")

SUBJECTS = [f"documents/DD-{n}" for n in range(6)]


async def test_every_event_survives_a_receiver_that_fails_every_way(
    live_database: DatabaseSettings,
    record_property: Callable[[str, object], None],
) -> None:
    settings = live_settings(
        live_database,
        timeout_s=0.3,
        retry_schedule_s=[0.02, 0.05, 0.1] + [0.25] * 27,
        breaker_threshold=4,
        breaker_cooldown_s=0.1,
    )
    receiver = Receiver(hang_s=0.6)
    receiver.start()
    receiver.stop()  # down: connections to its port are refused
    async with live_app(settings) as (app, client, db):
        admin = await sign_up(client)
        await subscribe_receiver(client, admin, receiver, ["documents.*"])
        org = await org_id(client, admin)
        clock = SystemClock()
        background(app).start()
        recorded: list[str] = []
        per_subject: dict[str, list[str]] = {s: [] for s in SUBJECTS}

        async def stream(batch: int) -> None:
            events = [("documents.updated", SUBJECTS[(batch + n) % 6]) for n in range(15)]
            ids = await record_events(db, clock, org, events)
            recorded.extend(ids)
            for event_id, (_, subject) in zip(ids, events, strict=True):
                per_subject[subject].append(event_id)

        began = time.monotonic()
        await stream(0)
        await wait_until(lambda: attempts_by(app, "connect_error") >= 4, what="refused attempts")

        receiver.mode = "fail"
        receiver.start()
        await stream(1)
        await wait_until(lambda: attempts_by(app, "http_error") >= 4, what="500 answers")

        receiver.mode = "hang"
        await stream(2)
        await wait_until(lambda: attempts_by(app, "timeout") >= 3, what="timeouts")

        receiver.mode = "ok"
        back = time.monotonic()
        await stream(3)

        async def drained() -> bool:
            async with db.session() as session:
                pending = await session.scalar(
                    select(func.count()).where(WebhookDelivery.status != "succeeded")
                )
            return pending == 0 and len(receiver.processed) == len(recorded)

        await wait_until(drained, what="the backlog draining")
        drain_s = time.monotonic() - back
        async with db.session() as session:
            attempts = await session.scalar(select(func.count()).select_from(WebhookAttempt))
        receiver.stop()

    assert sorted(receiver.processed_ids()) == sorted(recorded)  # every event, once
    assert receiver.bad_signatures == 0
    assert receiver.order_by_subject() == per_subject
    assert attempts is not None
    assert attempts > len(recorded)  # the faults were real
    refused, errors, timeouts = (
        attempts_by(app, kind) for kind in ("connect_error", "http_error", "timeout")
    )
    figures = (
        f"{len(recorded)} events, {attempts} attempts (refused {refused:.0f}, "
        f"500 {errors:.0f}, timeout {timeouts:.0f}), {receiver.duplicates} duplicates dropped "
        f"by the receiver, drained {drain_s:.2f} s after it came back "
        f"({time.monotonic() - began:.2f} s in all)"
    )
    print(figures)
    record_property("figures", figures)
