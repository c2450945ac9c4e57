"""Inbound requirement events consumed from the real NATS JetStream on 127.0.0.1:4222,
applied by the same service as the HTTP route."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from signoff.core.config import NatsSettings
from signoff.core.services import Services
from signoff.inbound.consumer import InboundConsumer
from signoff.runtime.inbound import inbound_handler
from signoff.runtime.worker import Transactions
from tests.documents.conftest import docs_url, import_md
from tests.inbound.support import event, upstream
from tests.support.identity import Actor
from tests.support.jetstream import NATS, jetstream

pytestmark = pytest.mark.requirement("REQ-027")


@pytest.fixture
def nats_settings() -> NatsSettings:
    tag = uuid.uuid4().hex[:12]
    return NatsSettings(
        url=SecretStr(NATS),
        inbound_subject=f"reqtest{tag}.>",
        inbound_stream=f"SIGNOFF_IN_{tag}",
        inbound_durable=f"signoff-{tag}",
        inbound_redeliver_s=0.1,
    )


async def test_events_from_nats_apply_once_and_refusals_are_not_redelivered(
    app: FastAPI,
    client: httpx.AsyncClient,
    owner: Actor,
    filled: str,
    jetstream: Any,
    nats_settings: NatsSettings,
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    jama = await upstream(client, owner)
    services = Services.of(app)
    handle = inbound_handler(services, Transactions(services.db))
    calls = {"n": 0}

    async def flaky(org: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("the database went away")  # redelivered later
        return await handle(org, headers, body)

    consumer = InboundConsumer(nats_settings, flaky)
    await consumer.connect()
    subject = f"{nats_settings.inbound_subject.removesuffix('>')}jama"  # type: ignore[union-attr]
    try:

        async def publish(sent: dict[str, Any], **kw: Any) -> None:
            body, headers = jama.signed(sent, **kw)
            await jetstream.publish(subject, body, headers=headers | {"Signoff-Org": jama.org})

        created = event("requirement.created", "JAMA-9", "TRK-040", summary="From NATS", version=1)
        await publish(created)
        assert await consumer.run_once(wait_s=2) == {"acked": 0, "terminated": 0, "retried": 1}
        await asyncio.sleep(0.3)
        assert await consumer.run_once(wait_s=2) == {"acked": 1, "terminated": 0, "retried": 0}
        await publish(created)  # published twice upstream: applied once
        await publish(created, secret="whsec_" + "B" * 44)  # forged
        await publish(
            event("requirement.created", "JAMA-10", "TRK-041", document="DD-404", summary="x")
        )
        assert await consumer.run_once(wait_s=2) == {"acked": 1, "terminated": 2, "retried": 0}
        assert await consumer.run_once(wait_s=0.5) == {"acked": 0, "terminated": 0, "retried": 0}
        rows = await client.get(
            docs_url(owner, f"/{key}/requirements?limit=100"), headers=owner.headers
        )
        found = [r for r in rows.json()["items"] if r["fields"]["requirement_id"] == "TRK-040"]
        assert [r["fields"]["summary"] for r in found] == ["From NATS"]
        assert "TRK-041" not in rows.text
    finally:
        await consumer.close()
        await jetstream.delete_stream(nats_settings.inbound_stream)


__all__ = ["jetstream"]
