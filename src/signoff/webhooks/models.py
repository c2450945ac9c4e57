"""Webhook tables: subscriptions (with their circuit breaker), deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base, one_of, partial_index
from signoff.core.types import JSONType, UTCDateTime, new_id
from signoff.delivery.rows import Attempted, Queued

CIRCUIT_STATES = ("closed", "open", "half_open")
DELIVERY_STATES = ("pending", "succeeded", "dead")


class Webhook(Base):
    __tablename__ = "webhook"
    __table_args__ = (one_of("circuit_state", CIRCUIT_STATES, name="circuit"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Typed explicitly: a foreign key's type otherwise comes from the referenced table, and
    # is NullType (values come back as text) in a process that never imported that model.
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    # Sealed with SecretBox: the raw bytes of the Standard Webhooks secret (never in clear).
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    # During a rotation the previous secret keeps signing too, until it expires.
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    # The endpoint's circuit breaker, kept here so every instance shares it.
    circuit_state: Mapped[str] = mapped_column(String(10), default="closed")
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    circuit_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When open: the earliest time of the half-open probe. When half-open: when the probe's
    # claim lapses (its sender died), so that another probe may go.
    circuit_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Queued, Base):
    """One event for one subscription, from fan-out until it succeeded or died."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        one_of("status", DELIVERY_STATES, name="status"),
        # The delivery engine's queue: pending rows by due time.
        partial_index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            where="status = 'pending'",
        ),
        # Per-subject order: is an earlier event of this subject still pending here?
        partial_index(
            "ix_webhook_delivery_order",
            "webhook_id",
            "subject",
            "event_id",
            where="status = 'pending'",
        ),
        # The delivery log, newest first.
        Index("ix_webhook_delivery_log", "webhook_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("outbox_event.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    # status, attempts, the claim and the last attempt: see ``Queued``.
    last_status_code: Mapped[int | None]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def mark_done(self, now: datetime) -> None:
        self.status = "succeeded"
        self.delivered_at = now


class WebhookAttempt(Attempted, Base):
    """One HTTP request of a delivery, as it went (the delivery log)."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    status_code: Mapped[int | None]
    succeeded: Mapped[bool]
    # The first bytes of the response body (at most 1 KiB), decoded leniently.
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    # id, attempted_at, duration_ms and error: see ``Attempted``.
