"""Deliveries through the real relay, engine and HTTP: signatures, retries, the dead state,
redelivery, the delivery log, per-subject order, the circuit breaker, secret rotation."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.delivery.outcome import Outcome
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, sign_up
from tests.support.receiver import Receiver, running_receiver, standard_webhooks_valid
from tests.support.webhooks import (
    background,
    deliveries,
    org_id,
    record_events,
)
from tests.support.webhooks import (
    subscribe_receiver as subscribe,
)

pytestmark = pytest.mark.requirement("REQ-024")


async def deliver(app: FastAPI) -> list[Outcome]:
    """Relay, then send until nothing more is due now: what a running worker does."""
    await background(app).relay.run_once()
    outcomes: list[Outcome] = []
    while done := await background(app).engine.run_once():
        outcomes += done
    return outcomes


async def test_an_api_change_reaches_the_receiver_signed(
    hook_app: FastAPI, hook_client: httpx.AsyncClient, admin: Actor, receiver: Receiver
) -> None:
    hook = await subscribe(hook_client, admin, receiver, ["teams.*"])
    org = admin.orgs[0]
    made = await hook_client.post(
        f"/v1/orgs/{org}/teams", json={"slug": "dba", "name": "DBA"}, headers=admin.headers
    )
    assert made.status_code == 201
    assert await deliver(hook_app) == [Outcome.SUCCEEDED]
    [received] = receiver.processed
    assert received.headers["content-type"] == "application/json"
    assert standard_webhooks_valid(hook["secret"], received.headers, received.body)
    assert not standard_webhooks_valid(
        "whsec_" + "A" * 44, received.headers, received.body
    )  # the check can fail
    envelope = received.envelope
    assert envelope["type"] == "teams.created"
    assert envelope["subject"] == "teams/dba"
    assert envelope["id"] == received.webhook_id
    assert envelope["org_id"] == str(await org_id(hook_client, admin))
    [logged] = await deliveries(hook_client, admin, hook["id"])
    assert logged["status"] == "succeeded"
    assert logged["event_id"] == received.webhook_id
    [attempt] = logged["attempt_log"]
    assert attempt["status_code"] == 200
    assert attempt["succeeded"] is True
    assert attempt["response_excerpt"] == "ok"
    assert attempt["duration_ms"] > 0
    assert await deliver(hook_app) == []  # nothing twice


async def test_subscriptions_get_only_their_events(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    await subscribe(hook_client, admin, receiver, ["documents.approved", "reviews.*"])
    other = await sign_up(hook_client)
    with running_receiver() as elsewhere:
        await subscribe(hook_client, other, elsewhere, ["*"])
        mine = await org_id(hook_client, admin)
        wanted = await record_events(
            db,
            clock,
            mine,
            [
                ("documents.approved", "documents/DD-1"),
                ("documents.created", "documents/DD-2"),
                ("reviews.submitted", "documents/DD-1"),
            ],
        )
        await record_events(db, clock, None, [("auth.login_failed", "users/x")])
        await deliver(hook_app)
        assert receiver.processed_ids() == [wanted[0], wanted[2]]
        # The other organization's catch-all subscription saw only its own event (its
        # creation), nothing of this organization and nothing without an organization.
        theirs = str(await org_id(hook_client, other))
        assert [r.envelope["type"] for r in elsewhere.processed] == ["webhooks.created"]
        assert {r.envelope["org_id"] for r in elsewhere.processed} == {theirs}


async def test_an_inactive_subscription_gets_nothing(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    hook = await subscribe(hook_client, admin, receiver)
    url = f"/v1/orgs/{admin.orgs[0]}/webhooks/{hook['id']}"
    etag = (await hook_client.get(url, headers=admin.headers)).headers["ETag"]
    paused = await hook_client.patch(
        url, json={"active": False}, headers=admin.headers | {"If-Match": etag}
    )
    assert paused.status_code == 200
    await record_events(db, clock, await org_id(hook_client, admin), [("documents.created", "d")])
    await deliver(hook_app)
    assert receiver.requests == []


async def test_failures_retry_then_die_and_an_admin_redelivers(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    hook = await subscribe(hook_client, admin, receiver, ["documents.*"])
    receiver.mode = "fail"
    [event_id] = await record_events(
        db, clock, await org_id(hook_client, admin), [("documents.created", "documents/DD-1")]
    )
    outcomes = await deliver(hook_app)
    for _ in range(3):  # the schedule has three retries
        assert await deliver(hook_app) == []  # not due yet: the retry time is in the database
        clock.advance(timedelta(seconds=1))
        outcomes += await deliver(hook_app)
    assert outcomes == [Outcome.RETRYING] * 3 + [Outcome.DEAD]
    [dead] = await deliveries(hook_client, admin, hook["id"], status="dead")
    assert dead["event_id"] == event_id
    assert dead["last_status_code"] == 500
    assert dead["next_attempt_at"] is None
    assert [a["status_code"] for a in dead["attempt_log"]] == [500] * 4
    assert {a["response_excerpt"] for a in dead["attempt_log"]} == {"boom"}
    clock.advance(timedelta(hours=1))
    assert await deliver(hook_app) == []  # dead stays dead

    receiver.mode = "ok"
    redeliver = f"/v1/orgs/{admin.orgs[0]}/webhooks/{hook['id']}/deliveries/{dead['id']}/redeliver"
    accepted = await hook_client.post(redeliver, headers=admin.headers)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "pending"
    assert accepted.json()["attempts"] == 0
    assert_problem(
        await hook_client.post(redeliver, headers=admin.headers), 409, "delivery_pending"
    )
    assert await deliver(hook_app) == [Outcome.SUCCEEDED]
    assert receiver.processed_ids() == [event_id]
    [done] = await deliveries(hook_client, admin, hook["id"])
    assert done["status"] == "succeeded"
    assert [a["succeeded"] for a in done["attempt_log"]] == [False] * 4 + [True]
    missing = redeliver.replace(dead["id"], hook["id"])
    assert_problem(
        await hook_client.post(missing, headers=admin.headers), 404, "delivery_not_found"
    )


async def test_only_the_first_kibibyte_of_a_response_is_kept(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    hook = await subscribe(hook_client, admin, receiver, ["documents.*"])
    receiver.body = "é".encode() * 3000
    await record_events(db, clock, await org_id(hook_client, admin), [("documents.created", "d")])
    assert await deliver(hook_app) == [Outcome.SUCCEEDED]
    [logged] = await deliveries(hook_client, admin, hook["id"])
    excerpt = logged["attempt_log"][0]["response_excerpt"]
    assert len(excerpt.encode()) <= 1024
    assert excerpt.startswith("éé")
    assert len(excerpt) >= 511


async def test_a_failing_event_holds_back_its_subject_only(
    hook_app: FastAPI,
    hook_client: httpx.AsyncClient,
    admin: Actor,
    receiver: Receiver,
    db: Database,
    clock: FrozenClock,
) -> None:
    await subscribe(hook_client, admin, receiver, ["documents.*"])
    a1, a2, b1, a3, b2 = await record_events(
        db,
        clock,
        await org_id(hook_client, admin),
        [
            ("documents.created", "documents/DD-1"),
            ("documents.updated", "documents/DD-1"),
            ("documents.created", "documents/DD-2"),
            ("documents.updated", "documents/DD-1"),
            ("documents.updated", "documents/DD-2"),
        ],
    )
    receiver.failing_ids = {a1}
    await deliver(hook_app)
    assert receiver.processed_ids() == [b1, b2]  # DD-2 went on; DD-1 waits behind a1
    clock.advance(timedelta(seconds=1))
    await deliver(hook_app)
    assert receiver.processed_ids() == [b1, b2]  # a1 failed again; a2 and a3 still wait
    receiver.failing_ids = set()
    clock.advance(timedelta(seconds=1))
    await deliver(hook_app)
    assert receiver.order_by_subject() == {
        "documents/DD-1": [a1, a2, a3],
        "documents/DD-2": [b1, b2],
    }
