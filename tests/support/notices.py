"""Helpers for tests of email notices: settings aimed at a local mail server, and running
the relay and the sender the way a worker does."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from signoff.core.config import Settings, SmtpSettings
from signoff.core.db import Database
from signoff.delivery.outcome import Outcome
from signoff.notify.models import EmailAttempt, EmailNotice
from signoff.runtime.worker import NoticeEngine
from tests.review.support import Cast, cast, import_filled, ok, set_reviewers
from tests.support.smtp import MailServer
from tests.support.webhooks import background


def fast_smtp(server: MailServer, **overrides: Any) -> SmtpSettings:
    """The local server, in clear, and a schedule measured in milliseconds."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "starttls": False,
        "sender": "Signoff <signoff@signoff.test>",
        # Generous: a loaded CI machine once kept the in-process server from answering for
        # 2 s (a retry where the test wanted a send). Tests of timeouts set their own.
        "timeout_s": 30.0,
        "retry_schedule_s": [0.01, 0.02, 0.04],
        "retry_jitter": 0.1,
        "poll_interval_s": 0.02,
        "batch": 5,
    }
    return SmtpSettings(**(values | overrides))


def with_smtp(settings: Settings, server: MailServer, **overrides: Any) -> Settings:
    return settings.model_copy(update={"smtp": fast_smtp(server, **overrides)})


def notices(app: FastAPI) -> NoticeEngine:
    engine = background(app).notices
    assert engine is not None, "SMTP is not configured in this app"
    return engine


async def deliver(app: FastAPI) -> list[Outcome]:
    """Relay, then send until nothing more is due now: what a running worker does."""
    await background(app).relay.run_once()
    outcomes: list[Outcome] = []
    while done := await notices(app).run_once():
        outcomes += done
    return outcomes


async def notice_log(db: Database) -> dict[str, list[tuple[str, str | None]]]:
    """Each recipient's attempts (outcome, error), oldest first."""
    async with db.session(read_only=True) as session:
        query = (
            select(EmailNotice.recipient, EmailAttempt.outcome, EmailAttempt.error)
            .join(EmailAttempt, EmailAttempt.notice_id == EmailNotice.id)
            .order_by(EmailAttempt.attempted_at, EmailAttempt.id)
        )
        log: dict[str, list[tuple[str, str | None]]] = {}
        for recipient, outcome, error in await session.execute(query):
            log.setdefault(recipient, []).append((outcome, error))
        return log


async def notice_states(db: Database) -> dict[str, str]:
    async with db.session(read_only=True) as session:
        rows = await session.execute(select(EmailNotice.recipient, EmailNotice.status))
        return {row.recipient: row.status for row in rows}


async def submitted(client: httpx.AsyncClient) -> tuple[Cast, str]:
    """The review cast's document, asking ``lead`` to review it, submitted; the author is
    also in team security, which owns §7."""
    people = await cast(client)
    ok(
        await client.put(
            people.url(f"/teams/security/members/{people.author.user_id}"),
            headers=people.author.headers,
        )
    )
    key = await import_filled(client, people)
    await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    return people, key


def smtp_environment(settings: Settings) -> dict[str, str]:
    """The SMTP settings as environment variables, for a ``signoff worker`` process."""
    smtp = settings.smtp
    assert smtp.host is not None
    return {
        "SIGNOFF_SMTP__HOST": smtp.host,
        "SIGNOFF_SMTP__PORT": str(smtp.port),
        "SIGNOFF_SMTP__STARTTLS": str(smtp.starttls).lower(),
        "SIGNOFF_SMTP__SENDER": smtp.sender,
        "SIGNOFF_SMTP__TIMEOUT_S": str(smtp.timeout_s),
        "SIGNOFF_SMTP__RETRY_SCHEDULE_S": ",".join(map(str, smtp.retry_schedule_s)),
        "SIGNOFF_SMTP__POLL_INTERVAL_S": str(smtp.poll_interval_s),
        "SIGNOFF_SMTP__BATCH": str(smtp.batch),
    }
