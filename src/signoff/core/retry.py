"""When to try again: one schedule rule for everything sent out of the process (webhook
deliveries, email notices), so they back off alike.

No I/O and no clock: callers pass what they know, so the rule is testable on its own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def retry_delay(
    attempts_made: int, schedule: Sequence[float], jitter: float, rng: random.Random
) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` failed ones; None when the
    schedule is used up (the delivery is dead). Jitter spreads the retries of many
    deliveries that failed together, so a recovering receiver is not hit all at once."""
    if attempts_made > len(schedule):
        return None
    base = schedule[max(attempts_made, 1) - 1]
    return base * (1 + rng.uniform(-jitter, jitter))
