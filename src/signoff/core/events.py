"""The transactional outbox: services record events in the same transaction as the change.

Nothing leaves the process here. A relay (``signoff.outbox``) reads committed rows and hands
them on: ``dispatched_at`` is set once the event has been fanned out to its durable
destinations (webhook deliveries), ``published_at`` once every channel (NATS too, when
configured) has it. So an event exists if and only if its change was committed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import String, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, SessionTransaction, mapped_column

from signoff.core.clock import Clock
from signoff.core.db import Base, partial_index
from signoff.core.tracecontext import current_traceparent
from signoff.core.types import JSONType, UTCDateTime, new_id

ENVELOPE_VERSION = 1
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (
        # The relay's query: the oldest undelivered events. Delivered rows stay out of it.
        partial_index(
            "ix_outbox_event_pending",
            "id",
            where="published_at IS NULL",
        ),
        # The fan-out's query, and the delivery order's watermark (signoff.webhooks.queue).
        partial_index(
            "ix_outbox_event_undispatched",
            "id",
            where="dispatched_at IS NULL",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(default=ENVELOPE_VERSION)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The W3C trace context of the write that recorded it (core/tracecontext.py); not part
    # of the envelope: channels carry it in their own headers.
    traceparent: Mapped[str | None] = mapped_column(String(55))

    def envelope(self) -> dict[str, Any]:
        """The wire format every channel carries (architecture.md, "Events")."""
        return {
            "id": str(self.id),
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "org_id": str(self.org_id) if self.org_id else None,
            "subject": self.subject,
            "data": self.data,
            "version": self.version,
        }


@dataclass(frozen=True, kw_only=True)
class Event:
    """A typed event, declared in its domain's ``events.py``: the class gives the type, its
    fields (but ``org_id`` and ``subject``) the data. Serialized here, at the outbox, into
    the envelope every channel carries: ids and times as strings, as ever."""

    TYPE: ClassVar[str] = ""
    # Fields that name the event rather than describe it: ``TYPE`` is then a format
    # (``"comments.{change}"``), and they stay out of the data.
    NAMED_BY: ClassVar[tuple[str, ...]] = ()

    org_id: uuid.UUID | None
    subject: str

    @property
    def type(self) -> str:
        return self.TYPE.format_map({name: getattr(self, name) for name in self.NAMED_BY})

    def data(self) -> dict[str, Any]:
        left_out = ("org_id", "subject", *self.NAMED_BY)
        return {
            f.name: _wire(getattr(self, f.name)) for f in fields(self) if f.name not in left_out
        }


def _wire(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class EventContext:
    """Who caused an event and from where: kept for the audit log, not sent to consumers."""

    actor: str | None = None
    client_address: str | None = None
    request_id: str | None = None


class EventListener(Protocol):
    """Runs inside the recording transaction for every event (the audit log is one)."""

    async def __call__(
        self, session: AsyncSession, event: OutboxEvent, context: EventContext
    ) -> None: ...


class EventRecorder:
    """What services call to say something happened; it becomes a row in their transaction."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        *,
        context: EventContext | None = None,
        listeners: Sequence[EventListener] = (),
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session = session
        self._clock = clock
        self._context = context or EventContext()
        self._listeners = tuple(listeners)
        self._on_commit = on_commit

    @property
    def context(self) -> EventContext:
        return self._context

    async def emit(self, event: Event) -> OutboxEvent:
        """Record a typed event (the way new code says what happened)."""
        return await self.record(
            event.type, org_id=event.org_id, subject=event.subject, data=event.data()
        )

    async def record(
        self, type: str, *, org_id: uuid.UUID | None, subject: str, data: dict[str, Any]
    ) -> OutboxEvent:
        if not _EVENT_TYPE.match(type):
            raise ValueError(f"event type {type!r} is not <domain>.<event> in snake_case")
        event = OutboxEvent(
            id=new_id(),
            type=type,
            org_id=org_id,
            subject=subject,
            data=data,
            version=ENVELOPE_VERSION,
            occurred_at=self._clock.now(),
            traceparent=current_traceparent(),
        )
        self._session.add(event)
        for listener in self._listeners:
            await listener(self._session, event, self._context)
        if self._on_commit is not None:
            notify_after_commit(self._session, self._on_commit)
        await notify_other_processes(self._session)
        return event


# PostgreSQL's channel for "events committed": `signoff.outbox.notifications` listens on it.
OUTBOX_CHANNEL = "signoff_outbox"
_NOTIFIED = "signoff.notified"


async def notify_other_processes(session: AsyncSession) -> None:
    """On PostgreSQL, NOTIFY the outbox channel in this transaction, once: the database
    delivers it at commit (never on rollback), so another process's relay wakes as the
    event becomes visible instead of at its next poll. SQLite has no such signal: there,
    other processes poll (design §9.2)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.sync_session.get_transaction()
    if session.sync_session.info.get(_NOTIFIED) is transaction:
        return
    session.sync_session.info[_NOTIFIED] = transaction
    await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))


_AFTER_COMMIT = "signoff.after_commit"


def after_commit(session: AsyncSession, action: Callable[[], None], *, key: object = None) -> None:
    """Run ``action`` once the session's transaction commits, never when it rolls back
    (what happened in the process must not count what the database did not keep). Actions
    given with the same ``key`` run once per transaction."""
    sync = session.sync_session
    pending: dict[object, Callable[[], None]] | None = sync.info.get(_AFTER_COMMIT)
    if pending is None:
        pending = sync.info[_AFTER_COMMIT] = {}

        def committed(_session: object) -> None:
            actions = list(pending.values())
            pending.clear()
            for run in actions:
                run()

        def rolled_back(_session: object, previous: SessionTransaction) -> None:
            if not previous.nested:  # a savepoint's rollback leaves the transaction's work
                pending.clear()

        sa_event.listen(sync, "after_commit", committed)
        sa_event.listen(sync, "after_soft_rollback", rolled_back)
    pending[object() if key is None else key] = action


def notify_after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the session's transaction commits (not when it rolls back): the
    in-process relay wakes at once instead of at its next poll."""
    after_commit(session, callback, key=callback)
