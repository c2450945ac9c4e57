"""What the webhooks domain says happened (``core.events.Event``): never a secret, nor the
query string of an address (receivers put tokens there). The wire format is the one these
events always had: the webhook's id first, then what is particular to each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class WebhookCreated(Event):
    TYPE = "webhooks.created"

    webhook_id: uuid.UUID
    url: str  # without its query
    types: list[str]


@dataclass(frozen=True, kw_only=True)
class WebhookUpdated(Event):
    TYPE = "webhooks.updated"

    webhook_id: uuid.UUID
    changed: list[str]  # the names of the fields changed


@dataclass(frozen=True, kw_only=True)
class WebhookDeleted(Event):
    TYPE = "webhooks.deleted"

    webhook_id: uuid.UUID
    url: str  # without its query


@dataclass(frozen=True, kw_only=True)
class SecretRotated(Event):
    TYPE = "webhooks.secret_rotated"

    webhook_id: uuid.UUID
    previous_valid_until: datetime | None  # None: the old secret stopped at once


@dataclass(frozen=True, kw_only=True)
class RedeliveryRequested(Event):
    TYPE = "webhooks.redelivery_requested"

    webhook_id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID
