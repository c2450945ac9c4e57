"""Managing webhook subscriptions and their delivery log (organization admins)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.delivery.circuit import Circuit
from signoff.webhooks import signing
from signoff.webhooks.addresses import check_url, refusal_at_subscription
from signoff.webhooks.circuit import set_circuit
from signoff.webhooks.errors import (
    DeliveryNotFound,
    DeliveryPending,
    WebhookNotFound,
    WebhookUrlRefused,
)
from signoff.webhooks.events import (
    RedeliveryRequested,
    SecretRotated,
    WebhookCreated,
    WebhookDeleted,
    WebhookUpdated,
)
from signoff.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from signoff.webhooks.repository import WebhookRepository
from signoff.webhooks.runtime import WebhooksRuntime


def webhook_etag(webhook: Webhook) -> str:
    # Versions the subscription's settings; the circuit is live status and changes without it.
    return etag_of("webhook", webhook.id, webhook.version)


@dataclass(frozen=True)
class Issued:
    """A webhook with its secret in clear: only in the response that created or rotated it."""

    webhook: Webhook
    secret: str


@dataclass(frozen=True)
class Delivery:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


class WebhookService:
    def __init__(
        self,
        repo: WebhookRepository,
        runtime: WebhooksRuntime,
        events: EventRecorder,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._runtime = runtime
        self._events = events
        self._clock = clock

    async def create(
        self, org_id: uuid.UUID, url: str, event_types: list[str], description: str, active: bool
    ) -> Issued:
        self._check_destination(url)
        raw = signing.new_secret()
        now = self._clock.now()
        webhook = Webhook(
            org_id=org_id,
            url=url,
            event_types=event_types,
            description=description,
            active=active,
            secret=self._runtime.box.seal(raw),
            created_at=now,
            updated_at=now,
        )
        await self._repo.add(webhook)
        await self._events.emit(
            WebhookCreated(
                org_id=webhook.org_id,
                subject=f"webhooks/{webhook.id}",
                webhook_id=webhook.id,
                url=_without_query(url),
                types=event_types,
            )
        )
        return Issued(webhook, signing.encode_secret(raw))

    async def page(self, org_id: uuid.UUID, page: PageRequest) -> tuple[list[Webhook], str | None]:
        return await self._repo.page(org_id, page)

    async def get(self, org_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook:
        webhook = await self._repo.get(org_id, webhook_id)
        if webhook is None:
            raise WebhookNotFound()
        return webhook

    async def update(
        self,
        org_id: uuid.UUID,
        webhook_id: uuid.UUID,
        if_match: str | None,
        changes: dict[str, Any],
    ) -> Webhook:
        webhook = await self._locked(org_id, webhook_id)
        require_if_match(if_match, webhook_etag(webhook))
        if "url" in changes and changes["url"] != webhook.url:
            self._check_destination(changes["url"])
            # Another endpoint: the old one's failures say nothing about it.
            set_circuit(webhook, Circuit())
        for field in ("url", "event_types", "description", "active"):
            if field in changes:
                setattr(webhook, field, changes[field])
        webhook.version += 1
        webhook.updated_at = self._clock.now()
        await self._repo.session.flush()
        await self._events.emit(
            WebhookUpdated(
                org_id=webhook.org_id,
                subject=f"webhooks/{webhook.id}",
                webhook_id=webhook.id,
                changed=sorted(changes),
            )
        )
        return webhook

    async def delete(self, org_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
        webhook = await self._locked(org_id, webhook_id)
        await self._repo.delete(webhook)
        await self._events.emit(
            WebhookDeleted(
                org_id=webhook.org_id,
                subject=f"webhooks/{webhook.id}",
                webhook_id=webhook.id,
                url=_without_query(webhook.url),
            )
        )

    async def rotate_secret(
        self, org_id: uuid.UUID, webhook_id: uuid.UUID, overlap_s: float | None
    ) -> Issued:
        """A new secret signs from now on; the current one keeps signing for the overlap, so
        receivers can switch without missing a delivery."""
        webhook = await self._locked(org_id, webhook_id)
        now = self._clock.now()
        overlap = timedelta(
            seconds=overlap_s if overlap_s is not None else self._runtime.settings.secret_overlap_s
        )
        raw = signing.new_secret()
        webhook.previous_secret = webhook.secret if overlap else None
        webhook.previous_secret_expires_at = now + overlap if overlap else None
        webhook.secret = self._runtime.box.seal(raw)
        webhook.secret_rotated_at = now
        webhook.version += 1
        webhook.updated_at = now
        await self._repo.session.flush()
        await self._events.emit(
            SecretRotated(
                org_id=webhook.org_id,
                subject=f"webhooks/{webhook.id}",
                webhook_id=webhook.id,
                previous_valid_until=webhook.previous_secret_expires_at,
            )
        )
        return Issued(webhook, signing.encode_secret(raw))

    async def deliveries(
        self, org_id: uuid.UUID, webhook_id: uuid.UUID, page: PageRequest, status: str | None
    ) -> tuple[list[Delivery], str | None]:
        webhook = await self.get(org_id, webhook_id)
        rows, cursor = await self._repo.deliveries(webhook.id, page, status)
        attempts = await self._repo.attempts([d.id for d in rows])
        return [Delivery(d, attempts.get(d.id, [])) for d in rows], cursor

    async def redeliver(
        self, org_id: uuid.UUID, webhook_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Delivery:
        """Send a finished delivery (dead, or succeeded) again, with a fresh schedule."""
        webhook = await self.get(org_id, webhook_id)
        delivery = await self._repo.delivery(webhook.id, delivery_id, for_update=True)
        if delivery is None:
            raise DeliveryNotFound()
        if delivery.status == "pending":
            raise DeliveryPending("It is still being attempted; wait for it to finish or die.")
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = self._clock.now()
        delivery.claim_token = None
        await self._repo.session.flush()
        await self._events.emit(
            RedeliveryRequested(
                org_id=webhook.org_id,
                subject=f"webhooks/{webhook.id}",
                webhook_id=webhook.id,
                delivery_id=delivery.id,
                event_id=delivery.event_id,
            )
        )
        return Delivery(delivery, (await self._repo.attempts([delivery.id]))[delivery.id])

    def _check_destination(self, url: str) -> None:
        reason = refusal_at_subscription(check_url(url), self._runtime.policy)
        if reason is not None:
            raise WebhookUrlRefused(
                f"{reason}; webhooks go to public addresses only.",
                errors=[{"pointer": "/url", "detail": reason, "code": "address_refused"}],
            )

    async def _locked(self, org_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook:
        webhook = await self._repo.get(org_id, webhook_id, for_update=True)
        if webhook is None:
            raise WebhookNotFound()
        return webhook


def _without_query(url: str) -> str:
    # Receivers often put a token in the query string; events and the audit log must not.
    return str(check_url(url).copy_with(query=None))
