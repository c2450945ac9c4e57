"""The review flow's metric: how long a document waits from submission to sign-off."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.events import after_commit

# From a round approved within the minute (one reviewer, a small change) to one that took a
# month; reviews are people's work, so the buckets are hours and days, not milliseconds.
APPROVAL_BUCKETS = (
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    8 * 3600.0,
    86400.0,
    2 * 86400.0,
    3 * 86400.0,
    7 * 86400.0,
    14 * 86400.0,
    30 * 86400.0,
)


class ApprovalMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        # No organization or document label: one series per tenant would grow without bound,
        # and who is slow to sign is the product's business (the round's page), not a metric.
        self.time_to_approval = Histogram(
            "signoff_review_time_to_approval_seconds",
            "Time from a document's submission (its review round opened) to its approval.",
            buckets=APPROVAL_BUCKETS,
            registry=registry,
        )

    def approved(self, session: AsyncSession, waited: timedelta) -> None:
        """Count a sign-off once its transaction has committed."""
        seconds = max(waited.total_seconds(), 0.0)
        after_commit(session, lambda: self.time_to_approval.observe(seconds))
