"""The per-endpoint circuit breaker, secret rotation, and the delivery metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.events import EventRecorder
from signoff.core.pagination import CursorCodec
from signoff.delivery.outcome import Outcome
from signoff.runtime.worker import Transactions
from signoff.webhooks.repository import WebhookRepository
from signoff.webhooks.runtime import WebhooksRuntime
from signoff.webhooks.service import WebhookService
from tests.core.test_metrics import samples
from tests.support.identity import Actor, sign_up
from tests.support.receiver import Receiver, running_receiver, standard_webhooks_valid
from tests.support.webhooks import (
    background,
    deliveries,
    org_id,
    record_events,
    with_webhooks,
)
from tests.support.webhooks import (
    subscribe_receiver as subscribe,
)
from tests.webhooks.conftest import AppFactory
from tests.webhooks.test_delivery import deliver

pytestmark = pytest.mark.requirement("REQ-024")


async def circuit(client: httpx.AsyncClient, admin: Actor, hook: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(
        f"/v1/orgs/{admin.orgs[0]}/webhooks/{hook['id']}", headers=admin.headers
    )
    found: dict[str, Any] = response.json()["circuit"]
    return found


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return samples((await client.get("/metrics")).text)


def circuits(scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], state: str) -> float:
    return scraped[("signoff_webhook_circuits", (("state", state),))]


async def test_the_breaker_opens_probes_and_closes(
    make_app: AppFactory, receiver: Receiver, db: Database, clock: FrozenClock
) -> None:
    async with make_app(
        breaker_threshold=2, breaker_cooldown_s=60, retry_schedule_s=[0.01] * 10
    ) as (app, client):
        admin = await sign_up(client)
        hook = await subscribe(client, admin, receiver, ["documents.*"])
        receiver.mode = "fail"
        subjects = [("documents.created", f"documents/DD-{n}") for n in range(3)]
        await record_events(db, clock, await org_id(client, admin), subjects)
        assert await deliver(app) == [Outcome.RETRYING] * 3
        opened = await circuit(client, admin, hook)
        assert opened["state"] == "open"
        assert opened["consecutive_failures"] == 3
        assert opened["retry_at"] > opened["opened_at"]
        while_open = await scrape(client)

        clock.advance(timedelta(seconds=1))  # the retries are due, the circuit is not
        assert await deliver(app) == []
        assert len(receiver.requests) == 3

        clock.advance(timedelta(seconds=60))  # cool-down over: one probe, which fails
        assert await deliver(app) == [Outcome.RETRYING]
        assert (await circuit(client, admin, hook))["state"] == "open"

        clock.advance(timedelta(seconds=61))
        receiver.mode = "ok"
        engine = background(app).engine
        [probe] = await engine.claim(10)  # only one goes while half-open
        assert (await circuit(client, admin, hook))["state"] == "half_open"
        assert await engine.record(probe, await engine.attempt(probe)) == Outcome.SUCCEEDED
        assert await circuit(client, admin, hook) == {
            "state": "closed",
            "consecutive_failures": 0,
            "opened_at": None,
            "retry_at": None,
        }
        assert await deliver(app) == [Outcome.SUCCEEDED] * 2
        closed = await scrape(client)
    assert circuits(while_open, "open") - circuits(closed, "open") == 1
    assert circuits(closed, "closed") - circuits(while_open, "closed") == 1


async def test_a_new_url_resets_the_breaker(
    make_app: AppFactory, receiver: Receiver, db: Database, clock: FrozenClock
) -> None:
    async with make_app(breaker_threshold=1, breaker_cooldown_s=60) as (app, client):
        admin = await sign_up(client)
        hook = await subscribe(client, admin, receiver, ["documents.*"])
        receiver.mode = "fail"
        await record_events(db, clock, await org_id(client, admin), [("documents.created", "d")])
        await deliver(app)
        assert (await circuit(client, admin, hook))["state"] == "open"
        url = f"/v1/orgs/{admin.orgs[0]}/webhooks/{hook['id']}"
        etag = (await client.get(url, headers=admin.headers)).headers["ETag"]
        moved = await client.patch(
            url, json={"url": receiver.url + "/v2"}, headers=admin.headers | {"If-Match": etag}
        )
        assert moved.json()["circuit"]["state"] == "closed"


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    hook = await subscribe(hook_client, admin, receiver, ["documents.*"])
    old = hook["secret"]
    rotate = f"/v1/orgs/{admin.orgs[0]}/webhooks/{hook['id']}/rotate-secret"
    rotated = await hook_client.post(rotate, json={"overlap_s": 60}, headers=admin.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    receiver.secrets.append(new)
    org = await org_id(hook_client, admin)

    await record_events(db, clock, org, [("documents.created", "documents/DD-1")])
    await deliver(hook_app)
    during = receiver.processed[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert standard_webhooks_valid(old, during.headers, during.body)
    assert standard_webhooks_valid(new, during.headers, during.body)

    clock.advance(timedelta(seconds=61))
    await record_events(db, clock, org, [("documents.updated", "documents/DD-1")])
    await deliver(hook_app)
    after = receiver.processed[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert standard_webhooks_valid(new, after.headers, after.body)
    assert not standard_webhooks_valid(old, after.headers, after.body)
    assert int(after.headers["webhook-timestamp"]) - int(during.headers["webhook-timestamp"]) == 61

    default = await hook_client.post(rotate, headers=admin.headers)
    body = default.json()
    assert body["previous_secret_expires_at"] is not None
    assert body["previous_secret_expires_at"] > body["secret_rotated_at"]
    assert (
        "secret"
        not in (
            await hook_client.get(rotate[: -len("/rotate-secret")], headers=admin.headers)
        ).json()
    )


async def test_delivery_and_outbox_metrics(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    await subscribe(hook_client, admin, receiver, ["documents.*"])
    clock.advance(timedelta(hours=-1))  # an event that has waited for an hour
    await record_events(db, clock, await org_id(hook_client, admin), [("documents.created", "d")])
    clock.advance(timedelta(hours=1))
    before = await scrape(hook_client)
    assert before[("signoff_outbox_lag_seconds", ())] >= 3600
    assert before[("signoff_outbox_pending_events", ())] >= 1
    assert await deliver(hook_app) == [Outcome.SUCCEEDED]
    after = await scrape(hook_client)
    assert after[("signoff_outbox_lag_seconds", ())] < 3600
    pending = ("signoff_outbox_pending_events", ())
    assert after[pending] < before[pending]
    assert after[("signoff_webhook_deliveries_total", (("outcome", "succeeded"),))] == 1
    assert after[("signoff_webhook_attempts_total", (("result", "success"),))] == 1
    assert after[("signoff_webhook_attempt_duration_seconds_count", ())] == 1
    relayed = after[("signoff_outbox_events_relayed_total", (("channel", "webhooks"),))]
    assert relayed >= 2  # the subscription's own creation, and the document event


async def test_one_endpoint_cannot_take_every_slot(
    make_app: AppFactory, receiver: Receiver, db: Database, clock: FrozenClock
) -> None:
    async with make_app(per_endpoint_concurrency=2) as (app, client):
        admin = await sign_up(client)
        await subscribe(client, admin, receiver, ["documents.*"])
        with running_receiver() as quiet:
            await subscribe(client, admin, quiet, ["reviews.*"])
            busy = [("documents.updated", f"documents/DD-{n}") for n in range(5)]
            await record_events(db, clock, await org_id(client, admin), busy)
            await record_events(
                db, clock, await org_id(client, admin), [("reviews.submitted", "documents/DD-1")]
            )
            await background(app).relay.run_once()
            rounds = []
            while outcomes := await background(app).engine.run_once():
                rounds.append(len(outcomes))
            # Five subjects could all go at once; the endpoint gets two at a time, and the
            # other endpoint is served in the first round all the same.
            assert rounds == [3, 2, 1]
            assert len(quiet.processed) == 1
        assert len(receiver.processed) == 5


async def test_a_secret_sealed_under_another_server_key_kills_only_its_deliveries(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    settings: Settings,
    db: Database,
    clock: FrozenClock,
) -> None:
    old = await subscribe(hook_client, admin, receiver, ["documents.*"])
    org = await org_id(hook_client, admin)
    rekeyed = with_webhooks(settings).model_copy(update={"secret_key": SecretStr("k" * 40)})
    with running_receiver() as fresh:
        # A subscription made after the server key changed (through the service itself: the
        # API's token keys were sealed under the old server key too).
        async def create(session: AsyncSession) -> str:
            service = WebhookService(
                WebhookRepository(session, CursorCodec("c" * 40)),
                WebhooksRuntime.from_settings(rekeyed),
                EventRecorder(session, clock),
                clock,
            )
            issued = await service.create(org, fresh.url, ["documents.*"], "", True)
            return issued.secret

        fresh.secrets.append(await Transactions(db)(create))
        await record_events(db, clock, org, [("documents.created", "documents/DD-1")])
        app = create_app(rekeyed, database=db, clock=clock)
        try:
            await background(app).relay.run_once()
            outcomes = await background(app).engine.run_once()
        finally:
            await background(app).stop()
        assert outcomes == [Outcome.SUCCEEDED]
        assert len(fresh.processed) == 1
    assert receiver.requests == []
    [dead] = await deliveries(hook_client, admin, old["id"], status="dead")
    assert "cannot be unsealed" in dead["last_error"]
