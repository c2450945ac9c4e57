"""The inbox is purged past its retention, and a redelivery after that still changes
nothing: the requirement's ordering state answers it ``stale``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from signoff.app import create_app
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.inbound.retention import purge_inbox
from tests.inbound.support import event, upstream
from tests.inbound.test_inbound import doc, inbox_size, revision
from tests.support.identity import Actor
from tests.support.webhooks import background, run_job

pytestmark = pytest.mark.requirement("REQ-027")

RETENTION = timedelta(days=30)

__all__ = ["doc"]


async def purge(connection: AsyncConnection, now: datetime, batch: int = 1000) -> int:
    session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint")
    async with session.begin():
        return await purge_inbox(session, now, retention=RETENTION, batch=batch)


async def test_old_entries_go_in_batches_and_a_late_redelivery_is_stale(
    client: httpx.AsyncClient, owner: Actor, doc: str, connection: AsyncConnection
) -> None:
    jama = await upstream(client, owner)
    sent = [
        event("requirement.created", f"JAMA-{n}", f"TRK-03{n}", summary="Kept", version=1)
        for n in range(3)
    ]
    for one in sent:
        assert (await jama.send(client, one)).json()["outcome"] == "applied"
    assert await inbox_size(connection) == 3
    now = datetime.now(UTC)
    assert await purge(connection, now) == 0  # young entries stay
    assert await purge(connection, now + RETENTION + timedelta(hours=1), batch=2) == 2
    assert await purge(connection, now + RETENTION + timedelta(hours=1), batch=2) == 1
    assert await inbox_size(connection) == 0
    before = await revision(client, owner, doc)
    again = await jama.send(client, sent[0])  # redelivered long after
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "stale"
    assert await revision(client, owner, doc) == before


async def test_the_worker_purges_the_inbox_on_its_schedule(
    settings: Settings, db: Database, client: httpx.AsyncClient, owner: Actor, doc: str
) -> None:
    jama = await upstream(client, owner)
    sent = event("requirement.created", "JAMA-9", "TRK-039", summary="Young", version=1)
    assert (await jama.send(client, sent)).json()["outcome"] == "applied"
    app = create_app(settings, database=db)
    try:
        assert await run_job(app, "purge_inbox") == 0  # received now: well within 30 days
    finally:
        await background(app).stop()
