"""Webhook metrics: deliveries by outcome, attempts by result, endpoints by circuit state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from signoff.core.db import Database
from signoff.core.metrics import RefreshHook
from signoff.webhooks.models import CIRCUIT_STATES, Webhook

# From a fast local receiver to the default 10 s timeout.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "signoff_webhook_deliveries",
            "Delivery attempts settled by this process, by outcome (succeeded, retrying, dead).",
            ["outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "signoff_webhook_attempts",
            "HTTP attempts by result (success, http_error, timeout, connect_error, refused, "
            "error).",
            ["result"],
            registry=registry,
        )
        self.duration = Histogram(
            "signoff_webhook_attempt_duration_seconds",
            "Time an attempt took, from connecting to the first bytes of the response.",
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.circuits = Gauge(
            "signoff_webhook_circuits",
            "Webhook endpoints by circuit-breaker state.",
            ["state"],
            registry=registry,
        )

    def circuit_refresher(self, db: Database) -> RefreshHook:
        async def refresh_webhook_circuits() -> None:
            query = select(Webhook.circuit_state, func.count()).group_by(Webhook.circuit_state)
            async with db.primary_connection() as conn:
                rows = (await conn.execute(query)).all()
            counts = {row[0]: row[1] for row in rows}
            for state in CIRCUIT_STATES:
                self.circuits.labels(state=state).set(counts.get(state, 0))

        return refresh_webhook_circuits
