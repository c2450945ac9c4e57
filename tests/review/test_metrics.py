"""Time to approval: observed once per sign-off, from submission, only when it is committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.events import after_commit
from signoff.core.services import Services
from tests.review.support import cast, head, import_filled, ok, set_reviewers, verdict

NAME = "signoff_review_time_to_approval_seconds"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def timed_app(settings: Settings, db: Database, clock: FrozenClock) -> FastAPI:
    return create_app(settings, database=db, clock=clock)


@pytest.fixture
async def timed(timed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=timed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


def sample(app: FastAPI, suffix: str, **labels: str) -> float:
    return Services.of(app).metrics.registry.get_sample_value(NAME + suffix, labels) or 0.0


async def test_an_approval_observes_the_time_since_submission(
    timed_app: FastAPI, timed: httpx.AsyncClient, clock: FrozenClock
) -> None:
    people = await cast(timed)
    key = await import_filled(timed, people)
    await set_reviewers(timed, people, key, [{"user_id": str(people.lead.user_id)}])
    ok(await timed.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    clock.advance(timedelta(hours=2))
    ok(await verdict(timed, people, people.dba, key, "approve"), 201)
    ok(await verdict(timed, people, people.security, key, "approve"), 201)
    assert sample(timed_app, "_count") == 0  # not approved yet: the lead has not signed
    clock.advance(timedelta(hours=1))
    ok(await verdict(timed, people, people.lead, key, "approve"), 201)
    assert (await head(timed, people, key))["status"] == "approved"

    assert sample(timed_app, "_count") == 1
    assert sample(timed_app, "_sum") == 3 * 3600
    assert sample(timed_app, "_bucket", le="3600.0") == 0
    assert sample(timed_app, "_bucket", le="14400.0") == 1
    scraped = (await timed.get("/metrics")).text
    assert f"{NAME}_count 1.0" in scraped


async def test_after_commit_runs_on_commit_only_and_once(db: Database) -> None:
    ran: list[str] = []
    async with db.session() as session:
        await session.execute(text("SELECT 1"))
        after_commit(session, lambda: ran.append("rolled back"))
        await session.rollback()
        await session.execute(text("SELECT 1"))
        after_commit(session, lambda: ran.append("committed"))
        after_commit(session, lambda: ran.append("deduplicated"), key="k")
        after_commit(session, lambda: ran.append("deduplicated"), key="k")
        await session.commit()
        await session.commit()  # nothing pending any more
    assert ran == ["committed", "deduplicated"]
