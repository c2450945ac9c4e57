"""Pure rules of delivery: which events a subscription wants, what counts as success (when
to retry is ``core.retry``, shared with email notices).

No I/O and no clock of their own: the engine passes ``now``, so every rule is testable.
"""

from __future__ import annotations

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
