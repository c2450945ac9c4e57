"""Signed, idempotent, order-aware requirement events from an upstream system."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.app import create_app
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.inbound.models import InboxEntry
from tests.accounts.test_throttle import client_from
from tests.documents.conftest import docs_url, import_md
from tests.inbound.support import Upstream, event, upstream
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, join, sign_up

pytestmark = pytest.mark.requirement("REQ-027")


@pytest.fixture
async def doc(client: httpx.AsyncClient, owner: Actor, filled: str) -> str:
    response = await import_md(client, owner, filled)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def requirements(client: httpx.AsyncClient, owner: Actor, key: str) -> dict[str, Any]:
    response = await client.get(
        docs_url(owner, f"/{key}/requirements"), params={"limit": 100}, headers=owner.headers
    )
    return {r["fields"]["requirement_id"]: r for r in response.json()["items"]}


async def revision(client: httpx.AsyncClient, owner: Actor, key: str) -> int:
    body: dict[str, Any] = (
        await client.get(docs_url(owner, f"/{key}"), headers=owner.headers)
    ).json()
    return int(body["revision"])


async def inbox_size(connection: AsyncConnection) -> int:
    return int(await connection.scalar(select(func.count()).select_from(InboxEntry)) or 0)


async def test_create_update_retire_through_the_register(
    client: httpx.AsyncClient, owner: Actor, doc: str
) -> None:
    jama = await upstream(client, owner)
    created = await jama.send(
        client,
        event(
            "requirement.created",
            "JAMA-7",
            "TRK-013",
            summary="Photos on delivery",
            sections=["5.2"],
            version=1,
        ),
    )
    assert created.status_code == 200, created.text
    assert created.json()["outcome"] == "applied"
    rows = await requirements(client, owner, doc)
    assert rows["TRK-013"]["fields"]["summary"] == "Photos on delivery"
    exported = await client.get(docs_url(owner, f"/{doc}?format=markdown"), headers=owner.headers)
    assert "| TRK-013 | Photos on delivery | §5.2 |" in exported.text

    # A manual trace link to it; rewording upstream makes the link suspect.
    link = await client.post(
        docs_url(owner, f"/{doc}/trace-links"),
        json={
            "source_kind": "requirement",
            "source": "TRK-013",
            "target_kind": "section",
            "target": "3.3",
        },
        headers=owner.headers,
    )
    assert link.status_code == 201, link.text
    reworded = await jama.send(
        client,
        event(
            "requirement.updated",
            "JAMA-7",
            "TRK-013",
            summary="Photos and signatures on delivery",
            version=2,
        ),
    )
    assert reworded.json()["outcome"] == "applied"
    rows = await requirements(client, owner, doc)
    assert rows["TRK-013"]["fields"]["summary"] == "Photos and signatures on delivery"
    assert rows["TRK-013"]["fields"]["design_sections"] == ["5.2"]  # not sent: kept
    suspect = await client.get(
        docs_url(owner, f"/{doc}/trace-links"), params={"suspect": "true"}, headers=owner.headers
    )
    suspects = suspect.json()["items"]
    assert link.json()["id"] in {x["id"] for x in suspects}
    assert all("TRK-013" in str(x["suspect_reason"]) for x in suspects)

    # Renamed upstream: the same row, a new id.
    renamed = await jama.send(client, event("requirement.updated", "JAMA-7", "TRK-014", version=3))
    assert renamed.json()["outcome"] == "applied"
    item_id = rows["TRK-013"]["id"]
    rows = await requirements(client, owner, doc)
    assert "TRK-013" not in rows
    assert rows["TRK-014"]["id"] == item_id
    assert rows["TRK-014"]["fields"]["summary"] == "Photos and signatures on delivery"

    retired = await jama.send(client, event("requirement.retired", "JAMA-7", "TRK-014", version=4))
    assert retired.json()["outcome"] == "applied"
    assert "TRK-014" not in await requirements(client, owner, doc)


async def test_each_event_counts_once(
    client: httpx.AsyncClient, owner: Actor, doc: str, connection: AsyncConnection
) -> None:
    jama = await upstream(client, owner)
    sent = event("requirement.created", "JAMA-1", "TRK-020", summary="Once", version=1)
    first = await jama.send(client, sent)
    assert first.json()["outcome"] == "applied"
    before = await revision(client, owner, doc)
    again = await jama.send(client, sent)  # the sender timed out and tried again
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert await revision(client, owner, doc) == before
    assert await inbox_size(connection) == 1


async def test_out_of_order_events_resolve_by_version_then_time(
    client: httpx.AsyncClient, owner: Actor, doc: str
) -> None:
    jama = await upstream(client, owner)
    await jama.send(
        client, event("requirement.created", "JAMA-2", "TRK-021", summary="v1", version=1)
    )
    newer = await jama.send(
        client, event("requirement.updated", "JAMA-2", "TRK-021", summary="v3", version=3)
    )
    assert newer.json()["outcome"] == "applied"
    late = await jama.send(
        client, event("requirement.updated", "JAMA-2", "TRK-021", summary="v2", version=2)
    )
    assert late.json()["outcome"] == "stale"
    assert (await requirements(client, owner, doc))["TRK-021"]["fields"]["summary"] == "v3"
    # Without versions, the time the change happened upstream orders them.
    await jama.send(
        client,
        event(
            "requirement.created",
            "JAMA-3",
            "TRK-022",
            summary="noon",
            occurred_at="2026-11-26T12:00:00Z",
        ),
    )
    earlier = await jama.send(
        client,
        event(
            "requirement.updated",
            "JAMA-3",
            "TRK-022",
            summary="morning",
            occurred_at="2026-11-26T09:00:00Z",
        ),
    )
    assert earlier.json()["outcome"] == "stale"
    assert (await requirements(client, owner, doc))["TRK-022"]["fields"]["summary"] == "noon"


async def test_bad_signatures_are_refused_and_stored_nowhere(
    client: httpx.AsyncClient, owner: Actor, doc: str, connection: AsyncConnection
) -> None:
    jama = await upstream(client, owner)
    before = await revision(client, owner, doc)
    sent = event("requirement.created", "JAMA-4", "TRK-030", summary="Forged", version=1)
    other = await upstream(client, owner, "Other")
    stranger = Upstream(jama.org, jama.source_id, "whsec_" + "A" * 44)
    cases = {
        "wrong secret": await stranger.send(client, sent),
        "too old": await jama.send(client, sent, at=time.time() - 600),
        "from the future": await jama.send(client, sent, at=time.time() + 600),
    }
    body, signed = jama.signed(sent)
    cases["tampered body"] = await client.post(
        f"/v1/orgs/{jama.org}/inbound/requirements",
        content=body.replace(b"Forged", b"Forgex"),
        headers=signed,
    )
    cases["no signature"] = await client.post(
        f"/v1/orgs/{jama.org}/inbound/requirements",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    cases["unknown organization"] = await client.post(
        "/v1/orgs/no-such-org/inbound/requirements", content=body, headers=signed
    )
    for response in cases.values():
        assert_problem(response, 401, "invalid_signature")
    revoked = await client.delete(
        f"/v1/orgs/{jama.org}/inbound/sources/{jama.source_id}", headers=owner.headers
    )
    assert revoked.status_code == 204
    assert_problem(await jama.send(client, sent), 401, "invalid_signature")
    assert (await other.send(client, sent)).json()["outcome"] == "applied"  # the other source
    assert await inbox_size(connection) == 1
    assert await revision(client, owner, doc) == before + 1


async def test_signed_but_invalid_events_are_422(
    client: httpx.AsyncClient, owner: Actor, doc: str, connection: AsyncConnection
) -> None:
    jama = await upstream(client, owner)
    missing_doc = event("requirement.created", "JAMA-5", "TRK-031", document="DD-99", summary="x")
    body = assert_problem(await jama.send(client, missing_doc), 422, "invalid_inbound_event")
    assert body["errors"] == [{"pointer": "/data/document", "detail": "no such document"}]
    no_summary = event("requirement.created", "JAMA-5", "TRK-031")
    assert_problem(await jama.send(client, no_summary), 422, "invalid_inbound_event")
    bad_type = event("requirement.deleted", "JAMA-5", "TRK-031", summary="x")
    assert_problem(await jama.send(client, bad_type), 422, "invalid_inbound_event")
    no_offset = event(
        "requirement.created", "JAMA-5", "TRK-031", summary="x", occurred_at="2026-11-26T08:00:00"
    )  # a time without an offset is no instant to order by (was a 500)
    assert_problem(await jama.send(client, no_offset), 422, "invalid_inbound_event")
    mismatched = event("requirement.created", "JAMA-5", "TRK-031", summary="x")
    body_bytes, signed = jama.signed(mismatched)
    signed["webhook-id"] = "evt_other"
    from signoff.webhooks.signing import decode_secret, headers

    resigned = headers([decode_secret(jama.secret)], "evt_other", int(time.time()), body_bytes)
    response = await client.post(
        f"/v1/orgs/{jama.org}/inbound/requirements",
        content=body_bytes,
        headers=resigned | {"Content-Type": "application/json"},
    )
    assert_problem(response, 422, "invalid_inbound_event")
    assert await inbox_size(connection) == 0


async def test_sources_are_for_admins_and_never_show_their_secret(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    jama = await upstream(client, owner)
    url = f"/v1/orgs/{owner.orgs[0]}/inbound/sources"
    listed = (await client.get(url, headers=owner.headers)).json()["items"]
    assert [s["id"] for s in listed] == [jama.source_id]
    assert "secret" not in listed[0]
    member = await join(client, owner, owner.orgs[0], "member")
    assert_problem(await client.get(url, headers=member.headers), 403, "insufficient_role")
    assert_problem(
        await client.delete(f"{url}/01a216aa-0000-7000-8000-000000000000", headers=owner.headers),
        404,
        "inbound_source_not_found",
    )


@pytest.mark.requirement("REQ-028")
async def test_an_address_that_keeps_failing_verification_is_refused_for_a_while(
    settings: Settings, db: Database, filled: str, connection: AsyncConnection
) -> None:
    tight = settings.throttle.model_copy(update={"inbound_failures_per_address": "3/minute"})
    app = create_app(settings.model_copy(update={"throttle": tight}), database=db)
    async with client_from(app, "198.51.100.30") as upstream_host:
        owner = await sign_up(upstream_host)
        assert (await import_md(upstream_host, owner, filled)).status_code == 201
        jama = await upstream(upstream_host, owner)
    forger = Upstream(jama.org, jama.source_id, "whsec_" + "A" * 44)
    sent = event("requirement.created", "JAMA-6", "TRK-032", summary="Kept", version=1)
    async with client_from(app, "203.0.113.66") as attacker:
        for _ in range(3):
            assert_problem(await forger.send(attacker, sent), 401, "invalid_signature")
        assert_problem(await forger.send(attacker, sent), 429, "inbound_throttled")
        blocked = await jama.send(attacker, sent)  # refused before it is even looked at
        assert_problem(blocked, 429, "inbound_throttled")
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert await inbox_size(connection) == 0
    async with client_from(app, "198.51.100.30") as upstream_host:
        # The real source, from its own address, is not held back by the forger.
        assert (await jama.send(upstream_host, sent)).json()["outcome"] == "applied"
    assert await inbox_size(connection) == 1
