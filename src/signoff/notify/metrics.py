"""Email metrics: notices settled by outcome, and the backlog waiting to be sent."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import func, select

from signoff.core.db import Database
from signoff.core.metrics import RefreshHook
from signoff.notify.models import EmailNotice


class NoticeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notices = Counter(
            "signoff_email_notices",
            "Email attempts settled by this process, by outcome (sent, retrying, dead).",
            ["outcome"],
            registry=registry,
        )
        self.pending = Gauge(
            "signoff_email_notices_pending",
            "Email notices not yet sent nor dead (waiting, or being sent).",
            registry=registry,
        )

    def backlog_refresher(self, db: Database) -> RefreshHook:
        async def refresh_email_backlog() -> None:
            # Counted through the partial index of pending notices: cheap however many
            # were sent before.
            query = select(func.count()).where(EmailNotice.status == "pending")
            async with db.primary_connection() as conn:
                self.pending.set((await conn.execute(query)).scalar_one())

        return refresh_email_backlog
