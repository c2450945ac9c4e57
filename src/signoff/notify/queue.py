"""The notices' queue (``delivery``): made by the relay, claimed and settled by the sender.

The claim and retry rules are the delivery engine's (``delivery.rows``); what is the
notices' own is composing them at fan-out, and that a refusal for good is not retried.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.config import SmtpSettings
from signoff.core.events import OutboxEvent
from signoff.core.logging import get_logger
from signoff.delivery.outcome import Outcome
from signoff.delivery.rows import Claim, Rules, claimed, clip, enqueue, pending
from signoff.notify.compose import COMPOSERS, compose
from signoff.notify.directory import Directory
from signoff.notify.messages import Links, Notice
from signoff.notify.models import EmailAttempt, EmailNotice

log = get_logger("signoff.notify")


@dataclass(frozen=True, kw_only=True)
class Letter(Claim):
    """A claimed notice (one SMTP server: one lane, the engine's pace is the only cap)."""

    event_type: str
    recipient: str
    recipient_name: str
    subject: str
    body: str


@dataclass(frozen=True)
class SendResult:
    attempted_at: datetime
    duration_ms: float
    sent: bool
    error: str | None = None
    # The server refused the recipient for good (a 5xx answer to RCPT): no retry will help.
    permanent: bool = False


class NoticeQueue:
    def __init__(
        self, settings: SmtpSettings, links: Links, rng: random.Random | None = None
    ) -> None:
        self._settings = settings
        self._links = links
        self._rules = Rules(settings, rng)

    async def fan_out(
        self, session: AsyncSession, events: Sequence[OutboxEvent], now: datetime
    ) -> int:
        """The relay's email destination: one notice per (event, recipient), in the
        dispatching transaction. Returns how many were made."""
        directory = Directory(session)
        rows = []
        for event in events:
            if event.type not in COMPOSERS:
                continue
            try:
                notices = await compose(directory, self._links, event)
            except (KeyError, TypeError, ValueError, AttributeError):
                # A payload not of the expected shape must not stop the relay (and every
                # webhook behind it): that event gets no email, and the log says why.
                log.exception("notify.compose_failed", event_id=str(event.id), type=event.type)
                continue
            rows += [_row(event, notice, now) for notice in notices]
        return await enqueue(session, EmailNotice, rows)

    async def claim(
        self,
        session: AsyncSession,
        now: datetime,
        limit: int,
        busy: Mapping[Hashable, int] | None = None,
    ) -> list[Letter]:
        """Claim up to ``limit`` due notices for one sending round."""
        query = (
            select(EmailNotice)
            .where(EmailNotice.status == "pending", EmailNotice.next_attempt_at <= now)
            .order_by(EmailNotice.next_attempt_at, EmailNotice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        letters = []
        for notice in await session.scalars(query):
            token = self._rules.take(notice, now)
            if token is not None:
                letters.append(_letter(notice, token))
        await session.flush()
        return letters

    async def record(
        self, session: AsyncSession, results: Sequence[tuple[Letter, SendResult]], now: datetime
    ) -> list[Outcome]:
        """Log each attempt; settle each notice whose claim is still ours."""
        query = (
            select(EmailNotice)
            .where(EmailNotice.id.in_([letter.id for letter, _ in results]))
            .order_by(EmailNotice.id)  # one lock order for every recorder: no deadlock
            .with_for_update()
        )
        notices = {n.id: n for n in await session.scalars(query)}
        outcomes = []
        for letter, result in results:
            notice = notices.get(letter.id)
            if notice is None:
                outcomes.append(Outcome.GONE)
                continue
            outcome = Outcome.STALE
            if notice.claim_token == letter.token:
                outcome = self._settle(notice, result, now)
            session.add(_attempt(letter, result, outcome))
            outcomes.append(outcome)
        await session.flush()
        return outcomes

    def _settle(self, notice: EmailNotice, result: SendResult, now: datetime) -> Outcome:
        return self._rules.settle(
            notice,
            succeeded=result.sent,
            attempted_at=result.attempted_at,
            error=result.error,
            now=now,
            permanent=result.permanent,
        )


def _row(event: OutboxEvent, notice: Notice, now: datetime) -> dict[str, object]:
    return pending(
        event,
        now,
        org_id=event.org_id,
        recipient=notice.to.email,
        user_id=notice.to.user_id,
        recipient_name=notice.to.name,
        subject=notice.subject,
        body=notice.body,
        traceparent=event.traceparent,
    )


def _letter(notice: EmailNotice, token: uuid.UUID) -> Letter:
    return Letter(
        **claimed(notice, token, notice.traceparent),
        event_type=notice.event_type,
        recipient=notice.recipient,
        recipient_name=notice.recipient_name,
        subject=notice.subject,
        body=notice.body,
    )


def _attempt(letter: Letter, result: SendResult, outcome: Outcome) -> EmailAttempt:
    labels = {Outcome.SUCCEEDED: "sent", Outcome.DEAD: "dead"}
    return EmailAttempt(
        notice_id=letter.id,
        attempted_at=result.attempted_at,
        duration_ms=result.duration_ms,
        outcome=labels.get(outcome, "sent" if result.sent else "failed"),
        error=clip(result.error),
    )
