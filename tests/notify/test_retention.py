"""Retention keeps an event while any of its email notices is still to be sent."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.core.services import Services
from signoff.delivery.outcome import Outcome
from tests.support.notices import deliver, notice_states, submitted
from tests.support.smtp import MailServer
from tests.support.webhooks import run_job

pytestmark = pytest.mark.requirement("REQ-026")


async def purge(app: FastAPI) -> int:
    return await run_job(app, "purge_settled_events")


async def test_an_event_stays_until_its_notices_are_sent_then_goes_with_them(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail: MailServer,
    db: Database,
    clock: FrozenClock,
) -> None:
    mail.stop()
    await submitted(mail_client)
    assert await deliver(mail_app) == [Outcome.RETRYING] * 3
    retention = Services.of(mail_app).settings.worker.event_retention_days
    clock.advance(timedelta(days=retention + 1))
    assert await purge(mail_app) > 0  # the sign-ups' and the edits' events: nobody is owed
    assert set((await notice_states(db)).values()) == {"pending"}
    assert len(await notice_states(db)) == 3

    mail.start()
    assert await deliver(mail_app) == [Outcome.SUCCEEDED] * 3
    assert await purge(mail_app) == 1  # the submission's event, now settled
    assert await notice_states(db) == {}
