"""Email metrics: notices settled by outcome, and the backlog waiting to be sent; and the
log line of each attempt (the delivery engine's observer)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from signoff.core.db import Database
from signoff.core.logging import get_logger
from signoff.core.metrics import SCRAPED, RefreshHook
from signoff.delivery.metrics import Outcomes, backlog_refresher
from signoff.delivery.outcome import Outcome
from signoff.notify.models import EmailNotice
from signoff.notify.queue import Letter, SendResult

log = get_logger("signoff.notify")


class NoticeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notices = Outcomes(
            "signoff_email_notices",
            "Email attempts settled by this process, by outcome (sent, retrying, dead).",
            registry,
            words={Outcome.SUCCEEDED: "sent"},
        )
        self.pending = Gauge(
            "signoff_email_notices_pending",
            "Email notices not yet sent nor dead (waiting, or being sent).",
            registry=registry,
            multiprocess_mode=SCRAPED,
        )

    def observe(self, letter: Letter, result: SendResult, outcome: Outcome) -> None:
        self.notices.count(outcome)
        log.info(
            "notify.attempt",
            notice_id=str(letter.id),
            event_type=letter.event_type,
            attempt=letter.attempt,
            outcome=self.notices.word(outcome),
            duration_ms=result.duration_ms,
            error=result.error,
        )

    def backlog_refresher(self, db: Database) -> RefreshHook:
        return backlog_refresher(db, EmailNotice, self.pending)
