"""Pure rules of delivery: which events a subscription wants, what counts as success, when
to retry.

No I/O and no clock of their own: the engine passes ``now``, so every rule is testable.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

_TYPE = r"[a-z][a-z_]*(?:\.[a-z][a-z_]*)"
# An exact type (`documents.approved`), every type under a prefix (`documents.*`), or `*`.
EVENT_PATTERN = re.compile(rf"^(?:\*|{_TYPE}*\.\*|{_TYPE}+)$")


def matches(patterns: Sequence[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def is_success(status_code: int) -> bool:
    # Redirects are not followed, so a 3xx is a failure: the receiver must fix its URL.
    return 200 <= status_code < 300


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
