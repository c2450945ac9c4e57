"""Webhook metrics: deliveries by outcome, attempts by result, endpoints by circuit state;
and the log line of each attempt (the delivery engine's observer)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from signoff.core.db import Database
from signoff.core.logging import get_logger
from signoff.core.metrics import SCRAPED, RefreshHook
from signoff.delivery.metrics import Outcomes
from signoff.delivery.outcome import Outcome
from signoff.webhooks.models import CIRCUIT_STATES, Webhook
from signoff.webhooks.queue import AttemptResult, Job

log = get_logger("signoff.webhooks")

# From a fast local receiver to the default 10 s timeout.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Outcomes(
            "signoff_webhook_deliveries",
            "Delivery attempts settled by this process, by outcome (succeeded, retrying, dead).",
            registry,
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
            multiprocess_mode=SCRAPED,
        )

    def observe(self, job: Job, result: AttemptResult, outcome: Outcome) -> None:
        self.attempts.labels(result=result.kind).inc()
        self.duration.observe(result.duration_ms / 1000)
        self.deliveries.count(outcome)
        log.info(
            "webhooks.attempt",
            delivery_id=str(job.id),
            webhook_id=str(job.webhook_id),
            attempt=job.attempt,
            status=result.status_code,
            result=result.kind,
            outcome=outcome.value,
            duration_ms=result.duration_ms,
            error=result.error,
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
