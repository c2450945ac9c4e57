"""How one attempt of a delivery was settled: the same words for every channel."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    DEAD = "dead"
    STALE = "stale"  # the claim had lapsed and another sender took the delivery over
    GONE = "gone"  # deleted meanwhile (its subscription or organization was)


# The outcomes that settled a delivery of ours: what the metrics count.
SETTLED = frozenset({Outcome.SUCCEEDED, Outcome.RETRYING, Outcome.DEAD})
