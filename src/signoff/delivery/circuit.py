"""The per-destination circuit breaker: a pure state machine (a channel keeps its state)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

CircuitState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class Circuit:
    """An endpoint's circuit breaker: after ``threshold`` consecutive failures it opens and
    nothing is sent for a cool-down; then one probe goes (half-open); its success closes the
    circuit, its failure opens it again. Deliveries wait meanwhile; they do not use up their
    attempts, so an endpoint that is down for a while loses nothing."""

    state: CircuitState = "closed"
    failures: int = 0
    opened_at: datetime | None = None
    retry_at: datetime | None = None

    def admits(self, now: datetime) -> bool:
        return self.state == "closed" or (self.retry_at is not None and self.retry_at <= now)

    def probe(self, now: datetime, lease: timedelta) -> Circuit:
        """One delivery goes as the probe; if its sender dies, another may go after ``lease``."""
        if self.state == "closed":
            return self
        return replace(self, state="half_open", retry_at=now + lease)

    def succeeded(self) -> Circuit:
        return Circuit()

    def failed(self, now: datetime, threshold: int, cooldown: timedelta) -> Circuit:
        failures = self.failures + 1
        if self.state == "half_open" or (self.state == "closed" and failures >= threshold):
            return Circuit("open", failures, self.opened_at or now, now + cooldown)
        return replace(self, failures=failures)
