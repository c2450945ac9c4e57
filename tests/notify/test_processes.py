"""Real commits and processes: notices wait in the database while the mail server is down,
and a ``signoff worker`` started later (another process) sends them, including one whose
sender died in the middle of its round; two senders on one PostgreSQL share the work;
``signoff serve`` sends at once what it commits."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from signoff.app import create_app
from signoff.core.clock import SystemClock
from signoff.core.config import DatabaseSettings
from signoff.delivery.outcome import Outcome
from signoff.runtime.worker import Transactions
from tests.support.notices import (
    notice_log,
    notice_states,
    notices,
    smtp_environment,
    submitted,
    with_smtp,
)
from tests.support.smtp import MailServer, running_mail_server
from tests.support.webhooks import (
    background,
    live_app,
    live_settings,
    start_worker,
    wait_until,
)

pytestmark = pytest.mark.requirement("REQ-026")


@pytest.mark.e2e
async def test_notices_survive_a_restart_and_go_from_another_process(
    live_database: DatabaseSettings, tmp_path: Path
) -> None:
    mail = MailServer()
    mail.start()
    mail.stop()  # it has a port, and refuses connections to it
    # A short timeout makes a short claim: a dead sender's notice is taken over in 2 s.
    settings = with_smtp(
        live_settings(live_database), mail, timeout_s=0.25, retry_schedule_s=[0.05] * 20
    )
    async with live_app(settings) as (app, client, db):
        people, _ = await submitted(client)
        await background(app).relay.run_once()
        assert await notices(app).run_once() == [Outcome.RETRYING] * 3

        # A sender that claims a notice and dies before recording anything.
        later = SystemClock().now() + timedelta(seconds=1)
        queue = notices(app).queue
        [abandoned] = await Transactions(db)(lambda session: queue.claim(session, later, 1))
    # This process's app is gone: what is left to do is only in the database.

    mail.start()
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log, **smtp_environment(settings))
    expected = sorted(a.email for a in (people.lead, people.security, people.dba))
    try:
        await wait_until(lambda: mail.addressees() == expected, what="every notice sent")
        async with live_app(settings) as (_, _, db):

            async def settled() -> bool:
                return set((await notice_states(db)).values()) == {"sent"}

            await wait_until(settled, what="notices settled")
            attempts = await notice_log(db)
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait, 20)
        mail.stop()
    assert worker.returncode == 0, log.read_text()
    assert mail.duplicates() == 0
    # The refused attempt, then the worker's; the abandoned claim left no attempt behind.
    assert {r: [o for o, _ in a] for r, a in attempts.items()} == {
        email: ["failed", "sent"] for email in expected
    }
    assert abandoned.recipient in expected


async def test_serve_sends_at_once_what_it_commits(live_database: DatabaseSettings) -> None:
    with running_mail_server() as mail:
        settings = with_smtp(live_settings(live_database), mail, poll_interval_s=60)
        slow_poll = settings.worker.model_copy(update={"in_process": True, "outbox_poll_s": 60})
        settings = settings.model_copy(update={"worker": slow_poll})
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        # app.router.lifespan_context is what uvicorn runs for `signoff serve`.
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        ):
            people, _ = await submitted(client)
            # Every loop polls each 60 s (the most the settings allow) and ran its first round
            # at start: mail before the first poll proves the commit woke the relay, and the
            # relay the sender. The bound is what proves it, not a timing of the machine.
            await wait_until(lambda: len(mail.received) == 3, within=45)
    assert mail.addressees() == sorted(a.email for a in (people.lead, people.security, people.dba))


@pytest.mark.postgres
async def test_two_senders_on_one_postgresql_send_each_notice_once(
    live_database: DatabaseSettings, record_property: Callable[[str, object], None]
) -> None:
    with running_mail_server() as mail:
        settings = with_smtp(live_settings(live_database), mail, batch=2)
        async with live_app(settings) as (one, client, db), live_app(settings) as (two, _, _):
            for _ in range(5):
                await submitted(client)
            await background(one).relay.run_once()
            began = time.monotonic()
            for app in (one, two):
                notices(app).start()
            await wait_until(lambda: len(mail.received) >= 15, what="every notice sent")

            async def settled() -> bool:
                return set((await notice_states(db)).values()) == {"sent"}

            await wait_until(settled, what="notices settled")
            took = time.monotonic() - began
            attempts = await notice_log(db)
            engines = [notices(app).attempts for app in (one, two)]
    assert len(mail.received) == 15
    assert mail.duplicates() == 0
    assert [[o for o, _ in a] for a in attempts.values()] == [["sent"]] * 15
    assert min(engines) > 0  # both senders took rounds
    figures = f"15 notices, rounds of 2: senders made {engines} attempts in {took:.2f} s"
    print(figures)
    record_property("figures", figures)
