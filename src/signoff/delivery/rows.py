"""A row of a delivery queue, and the rules every queue applies to it: claim with a lease,
retry on the schedule, die when it is used up.

Several instances share a queue. A claim locks due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's write transaction is exclusive anyway), marks them with a claim token
and pushes ``next_attempt_at`` past the attempt's longest time: nobody else takes them while
they are sent, and if their sender dies they become due again when that time passes. The
retry time is stored: a restart loses no retry (ADR 0010).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypedDict

from sqlalchemy import String, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.events import OutboxEvent
from signoff.core.retry import retry_delay
from signoff.core.types import UTCDateTime, new_id
from signoff.delivery.outcome import Outcome

ERROR_CHARS = 500


class Queued:
    """The columns of a queued delivery (a mixin of each channel's table)."""

    status: Mapped[str] = mapped_column(String(10), default="pending")
    # Attempts in the current round (a redelivery starts a new round).
    attempts: Mapped[int] = mapped_column(default=0)
    # When pending: due time, or while an instance sends it, the end of its claim.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[uuid.UUID | None]
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_CHARS))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    if TYPE_CHECKING:
        id: Mapped[uuid.UUID]
        # Each channel's own column (indexed as its queries need): the relayed event.
        event_id: Mapped[uuid.UUID]

    def mark_done(self, now: datetime) -> None:
        """The channel's word and time for a delivery that went through."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A claimed row with everything needed to send it, so sending needs no database; each
    channel's job adds what its sender needs (the engine's ``Claimed``)."""

    id: uuid.UUID  # the queue row's
    token: uuid.UUID
    event_id: uuid.UUID
    attempt: int
    # The event's trace context, so the sending continues the trace of the write.
    traceparent: str | None = None

    @property
    def lane(self) -> Hashable:
        return None  # one lane for all: the engine's pace is the only cap


class Claimed(TypedDict):
    """A ``Claim``'s own fields, spread into a channel's job: ``Job(**claimed(...), ...)``."""

    id: uuid.UUID
    token: uuid.UUID
    event_id: uuid.UUID
    attempt: int
    traceparent: str | None


def claimed(row: Queued, token: uuid.UUID, traceparent: str | None) -> Claimed:
    return {
        "id": row.id,
        "token": token,
        "event_id": row.event_id,
        "attempt": row.attempts,
        "traceparent": traceparent,
    }


class Attempted:
    """The columns of one attempt at a queued delivery (a mixin of each channel's log)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[float]
    error: Mapped[str | None] = mapped_column(String(ERROR_CHARS))


def pending(event: OutboxEvent, now: datetime, **own: object) -> dict[str, object]:
    """A new queue row for ``event`` (an insert's values), due now, with the channel's
    ``own`` columns: what each channel's fan-out makes."""
    return {
        "id": new_id(),
        "event_id": event.id,
        "event_type": event.type,
        **own,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def enqueue(
    session: AsyncSession, table: type[Queued], rows: Sequence[dict[str, object]]
) -> int:
    """Insert the fan-out's ``rows`` (of ``pending``) in one statement; how many."""
    if rows:
        await session.execute(insert(table), list(rows))
    return len(rows)


class Schedule(Protocol):
    """What a channel's settings say about its queue (``WebhookSettings``, ``SmtpSettings``)."""

    @property
    def retry_schedule_s(self) -> Sequence[float]: ...
    @property
    def retry_jitter(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def lease_s(self) -> float: ...


class Rules:
    def __init__(self, schedule: Schedule, rng: random.Random | None = None) -> None:
        self.schedule = schedule
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.schedule.lease_s)

    def take(self, row: Queued, now: datetime) -> uuid.UUID | None:
        """Claim ``row`` for one attempt and return its token; None when the row had used
        up its attempts (its sender died during the last one) and is dead now."""
        if row.attempts >= self.schedule.max_attempts:
            die(row, "the sender stopped during the last attempt")
            return None
        row.claim_token = uuid.uuid4()
        row.attempts += 1
        row.next_attempt_at = now + self.lease
        return row.claim_token

    def settle(
        self,
        row: Queued,
        *,
        succeeded: bool,
        attempted_at: datetime,
        error: str | None,
        now: datetime,
        permanent: bool = False,
        dead_reason: str | None = None,
    ) -> Outcome:
        """Settle a claimed row after its attempt: done, due again on the schedule, or dead
        (the schedule is used up, or the failure was ``permanent``)."""
        row.claim_token = None
        row.last_attempt_at = attempted_at
        row.last_error = clip(error)
        if succeeded:
            row.mark_done(now)
            row.next_attempt_at = None
            return Outcome.SUCCEEDED
        schedule = self.schedule
        delay = retry_delay(
            row.attempts, schedule.retry_schedule_s, schedule.retry_jitter, self._rng
        )
        if delay is None or permanent:
            die(row, dead_reason or error or "not sent")
            return Outcome.DEAD
        row.next_attempt_at = now + timedelta(seconds=delay)
        return Outcome.RETRYING


def die(row: Queued, reason: str) -> None:
    row.status = "dead"
    row.next_attempt_at = None
    row.claim_token = None
    row.last_error = clip(reason)


def clip(error: str | None) -> str | None:
    return error[:ERROR_CHARS] if error else None
