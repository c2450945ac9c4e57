"""Request and response bodies of the webhook routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from signoff.webhooks.addresses import InvalidWebhookUrl, check_url
from signoff.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from signoff.webhooks.policies import EVENT_PATTERN


def _url(value: str) -> str:
    try:
        check_url(value)
    except InvalidWebhookUrl as exc:
        raise ValueError(str(exc)) from exc
    return value


def _pattern(value: str) -> str:
    if not EVENT_PATTERN.match(value):
        raise ValueError("an event type (`documents.approved`), a prefix (`documents.*`) or `*`")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


WebhookUrl = Annotated[
    str,
    Field(min_length=1, max_length=2000, examples=["https://ci.example.com/hooks/signoff"]),
    AfterValidator(_url),
]
EventPattern = Annotated[str, Field(max_length=100), AfterValidator(_pattern)]
EventPatterns = Annotated[
    list[EventPattern],
    Field(min_length=1, max_length=50, examples=[["documents.approved", "reviews.*"]]),
    AfterValidator(_unique),
]


class WebhookCreate(BaseModel):
    url: WebhookUrl
    event_types: EventPatterns = Field(default_factory=lambda: ["*"])
    description: str = Field(default="", max_length=500)
    active: bool = True


class WebhookUpdate(BaseModel):
    url: WebhookUrl | None = None
    event_types: EventPatterns | None = None
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None


class SecretRotation(BaseModel):
    overlap_s: int | None = Field(
        default=None,
        ge=0,
        le=30 * 86400,
        description="How long the previous secret keeps signing (default: the server's "
        "setting, 24 hours).",
    )


class CircuitRead(BaseModel):
    state: Literal["closed", "open", "half_open"]
    consecutive_failures: int
    opened_at: datetime | None
    retry_at: datetime | None = Field(description="When open: the earliest next probe.")


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are signed with the previous secret too."
    )
    circuit: CircuitRead

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookRead:
        return cls(
            id=webhook.id,
            url=webhook.url,
            description=webhook.description,
            event_types=list(webhook.event_types),
            active=webhook.active,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
            secret_rotated_at=webhook.secret_rotated_at,
            previous_secret_expires_at=webhook.previous_secret_expires_at,
            circuit=CircuitRead(
                state=webhook.circuit_state,
                consecutive_failures=webhook.consecutive_failures,
                opened_at=webhook.circuit_opened_at,
                retry_at=webhook.circuit_retry_at,
            ),
        )


class WebhookWithSecret(WebhookRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks `whsec_...`), shown only here.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    attempted_at: datetime
    duration_ms: float
    status_code: int | None
    succeeded: bool
    response_excerpt: str | None = Field(description="The response's first bytes (≤ 1 KiB).")
    error: str | None


class DeliveryRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subject: str
    status: Literal["pending", "succeeded", "dead"]
    attempts: int = Field(description="Attempts in the current round (a redelivery resets it).")
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptRead] = Field(description="Every attempt, oldest first.")

    @classmethod
    def of(cls, delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryRead:
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            subject=delivery.subject,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            attempt_log=[AttemptRead.model_validate(a) for a in attempts],
        )
