"""Email notices and their attempts: a queue in the database, as webhook deliveries are."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base, one_of, partial_index
from signoff.core.types import UTCDateTime, new_id
from signoff.delivery.rows import Attempted, Queued

NOTICE_STATES = ("pending", "sent", "dead")
ATTEMPT_OUTCOMES = ("sent", "failed", "dead")


class EmailNotice(Queued, Base):
    """One message for one recipient about one event, composed when the event was relayed:
    what it says does not change if names or titles change before it is sent."""

    __tablename__ = "email_notice"
    __table_args__ = (
        # At most one message per person and event, however often the event is relayed.
        UniqueConstraint("event_id", "recipient"),
        one_of("status", NOTICE_STATES, name="status"),
        # The sender's queue: pending rows by due time.
        partial_index(
            "ix_email_notice_due",
            "next_attempt_at",
            where="status = 'pending'",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Typed explicitly: see webhooks.models.Webhook.org_id.
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # Indexed by the unique constraint, whose first column it is.
    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("outbox_event.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(100))
    # The address as it was at the event; the user may since have left or changed it.
    recipient: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    recipient_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The event's trace context, so the sending continues the trace of the write.
    traceparent: Mapped[str | None] = mapped_column(String(55))
    # status, attempts, the claim and the last attempt: see ``Queued``.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def mark_done(self, now: datetime) -> None:
        self.status = "sent"
        self.sent_at = now


class EmailAttempt(Attempted, Base):
    """One try at handing a notice to the SMTP server, as it went."""

    __tablename__ = "email_attempt"
    __table_args__ = (one_of("outcome", ATTEMPT_OUTCOMES, name="outcome"),)

    notice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("email_notice.id", ondelete="CASCADE"), index=True
    )
    # sent; failed (another attempt is scheduled, or another instance had taken the notice
    # over); dead (failed, and the schedule is used up or the refusal was permanent).
    outcome: Mapped[str] = mapped_column(String(10))
    # id, attempted_at, duration_ms and error: see ``Attempted``.
