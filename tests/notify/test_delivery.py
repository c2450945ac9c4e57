"""Sending through a real local SMTP server: retries while it refuses connections or is
busy, the dead state after the schedule, recipients refused for good, logging in, required
STARTTLS, metrics, and no email at all when SMTP is not configured."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.core.services import Services
from signoff.delivery.outcome import Outcome
from signoff.notify.models import EmailNotice
from tests.notify.conftest import AppFactory
from tests.support.notices import deliver, notice_log, notice_states, submitted
from tests.support.smtp import MailServer, running_mail_server
from tests.support.webhooks import background

pytestmark = pytest.mark.requirement("REQ-026")


async def errors(db: Database) -> set[str]:
    """The distinct errors of every attempt."""
    return {e for attempts in (await notice_log(db)).values() for _, e in attempts if e}


def sample(app: FastAPI, name: str, **labels: str) -> float:
    return Services.of(app).metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_mail_server_that_refuses_connections_gets_every_notice_once_back(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail: MailServer,
    db: Database,
    clock: FrozenClock,
) -> None:
    mail.stop()
    people, _ = await submitted(mail_client)
    assert await deliver(mail_app) == [Outcome.RETRYING] * 3
    assert await deliver(mail_app) == []  # not due yet: the retry time is in the database
    await Services.of(mail_app).metrics.refresh()
    assert sample(mail_app, "signoff_email_notices_pending") == 3

    mail.start()
    clock.advance(timedelta(seconds=1))
    assert await deliver(mail_app) == [Outcome.SUCCEEDED] * 3
    expected = sorted(a.email for a in (people.lead, people.security, people.dba))
    assert mail.addressees() == expected
    assert mail.duplicates() == 0
    log = await notice_log(db)
    assert sorted(log) == expected
    for attempts in log.values():
        [(failed, error), sent] = attempts
        assert failed == "failed"
        assert error is not None
        assert error.startswith("SMTPConnectError")
        assert sent == ("sent", None)
    clock.advance(timedelta(hours=1))
    assert await deliver(mail_app) == []  # sent stays sent
    await Services.of(mail_app).metrics.refresh()
    assert sample(mail_app, "signoff_email_notices_pending") == 0
    assert sample(mail_app, "signoff_email_notices_total", outcome="retrying") == 3
    assert sample(mail_app, "signoff_email_notices_total", outcome="sent") == 3


async def test_a_notice_dies_when_the_schedule_is_used_up(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail: MailServer,
    db: Database,
    clock: FrozenClock,
) -> None:
    mail.mode = "busy"  # 451 to every message
    await submitted(mail_client)
    outcomes = await deliver(mail_app)
    for _ in range(3):  # the schedule has three retries
        assert await deliver(mail_app) == []
        clock.advance(timedelta(seconds=1))
        outcomes += await deliver(mail_app)
    assert outcomes == [Outcome.RETRYING] * 9 + [Outcome.DEAD] * 3
    assert set((await notice_states(db)).values()) == {"dead"}
    for attempts in (await notice_log(db)).values():
        assert [outcome for outcome, _ in attempts] == ["failed"] * 3 + ["dead"]
        assert {error for _, error in attempts} == {
            "SMTPDataError: (451, '4.3.0 Mail server busy, try again later')"
        }
    mail.mode = "ok"
    clock.advance(timedelta(hours=1))
    assert await deliver(mail_app) == []  # dead stays dead
    assert mail.received == []
    assert sample(mail_app, "signoff_email_notices_total", outcome="dead") == 3


async def test_a_recipient_refused_for_good_is_dead_at_once_and_the_others_go(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mail: MailServer, db: Database
) -> None:
    people, _ = await submitted(mail_client)
    mail.unknown = {people.security.email}
    assert sorted(await deliver(mail_app)) == sorted(
        [Outcome.DEAD, Outcome.SUCCEEDED, Outcome.SUCCEEDED]
    )
    assert mail.addressees() == sorted([people.lead.email, people.dba.email])
    assert (await notice_states(db))[people.security.email] == "dead"
    [(outcome, error)] = (await notice_log(db))[people.security.email]
    assert outcome == "dead"
    assert error is not None
    assert "550" in error


@pytest.mark.parametrize("password", ["right", "wrong"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_sender_logs_in_with_its_credentials(
    make_app: AppFactory, db: Database, password: str
) -> None:
    with running_mail_server(credentials=("signoff", "right")) as mail:
        async with make_app(mail, username="signoff", password=password) as (app, client):
            await submitted(client)
            outcomes = await deliver(app)
    if password == "right":
        assert outcomes == [Outcome.SUCCEEDED] * 3
        assert mail.logins == ["signoff"]  # one connection for the round
        return
    assert outcomes == [Outcome.RETRYING] * 3
    assert mail.received == []
    [error] = await errors(db)
    assert error.startswith("SMTPAuthenticationError: (535")


async def test_without_smtp_there_is_no_email(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    assert background(app).notices is None
    await submitted(client)
    assert (await background(app).relay.run_once()).dispatched > 0
    async with db.session(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(EmailNotice)) == 0


async def test_required_starttls_is_never_skipped(
    make_app: AppFactory, db: Database, mail: MailServer
) -> None:
    async with make_app(mail, starttls=True) as (app, client):
        await submitted(client)
        # The server offers no STARTTLS: nothing goes in clear, the notices wait.
        assert await deliver(app) == [Outcome.RETRYING] * 3
    assert mail.received == []
    [error] = await errors(db)
    assert "STARTTLS" in error
