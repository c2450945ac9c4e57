"""What every channel's metrics count: deliveries settled by outcome, and the backlog."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import func, select

from signoff.core.db import Database
from signoff.core.metrics import RefreshHook
from signoff.delivery.outcome import SETTLED, Outcome
from signoff.delivery.rows import Queued


class Outcomes:
    """A counter of settled deliveries by outcome, in the channel's words (email says
    ``sent`` where webhooks say ``succeeded``)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        registry: CollectorRegistry,
        words: Mapping[Outcome, str] | None = None,
    ) -> None:
        self.counter = Counter(name, documentation, ["outcome"], registry=registry)
        self._words = words or {}

    def word(self, outcome: Outcome) -> str:
        return self._words.get(outcome, outcome.value)

    def count(self, outcome: Outcome) -> None:
        if outcome in SETTLED:
            self.counter.labels(outcome=self.word(outcome)).inc()


def backlog_refresher(db: Database, table: type[Queued], gauge: Gauge) -> RefreshHook:
    """Set ``gauge`` to the rows of ``table`` not yet settled (waiting, or being sent)."""

    async def refresh_backlog() -> None:
        # Counted through the partial index of pending rows: cheap however many went before.
        query = select(func.count()).select_from(table).where(table.status == "pending")
        async with db.primary_connection() as conn:
            gauge.set((await conn.execute(query)).scalar_one())

    return refresh_backlog
