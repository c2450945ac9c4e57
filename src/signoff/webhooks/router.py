"""Webhook subscriptions, their delivery log and redelivery (organization admins)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Response

from signoff.core.idempotency import not_idempotent
from signoff.core.pagination import Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.web import IfMatchHeader, PageDep
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.webhooks.deps import WebhookServiceDep
from signoff.webhooks.errors import (
    DeliveryNotFound,
    DeliveryPending,
    WebhookNotFound,
    WebhookUrlRefused,
)
from signoff.webhooks.schemas import (
    DeliveryRead,
    SecretRotation,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from signoff.webhooks.service import Issued, webhook_etag

router = signoff_router(tags=["webhooks"])
Admin = Annotated[OrgAccess, requires(Action.WEBHOOKS_MANAGE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
BASE = "/orgs/{org}/webhooks"


def _with_secret(issued: Issued, response: Response) -> WebhookWithSecret:
    response.headers["ETag"] = webhook_etag(issued.webhook)
    read = WebhookRead.of(issued.webhook)
    return WebhookWithSecret(**read.model_dump(), secret=issued.secret)


@router.get(BASE, responses=problems(*DENIED))
async def list_webhooks(
    access: Admin, webhooks: WebhookServiceDep, page: PageDep
) -> Page[WebhookRead]:
    """The organization's webhook subscriptions (never their secrets)."""
    items, cursor = await webhooks.page(access.org_id, page)
    return Page(items=[WebhookRead.of(w) for w in items], next_cursor=cursor)


@router.post(BASE, status_code=201, responses=problems(*DENIED, WebhookUrlRefused))
@not_idempotent  # the response holds the secret, which is never stored in clear
async def create_webhook(
    body: WebhookCreate, access: Admin, webhooks: WebhookServiceDep, response: Response
) -> WebhookWithSecret:
    """Subscribe a URL to events; the signing secret is in this response only."""
    issued = await webhooks.create(
        access.org_id, body.url, body.event_types, body.description, body.active
    )
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/webhooks/{issued.webhook.id}"
    return _with_secret(issued, response)


@router.get(BASE + "/{webhook_id}", responses=problems(*DENIED, WebhookNotFound))
async def get_webhook(
    webhook_id: uuid.UUID, access: Admin, webhooks: WebhookServiceDep, response: Response
) -> WebhookRead:
    """One subscription, with its circuit breaker's state."""
    webhook = await webhooks.get(access.org_id, webhook_id)
    response.headers["ETag"] = webhook_etag(webhook)
    return WebhookRead.of(webhook)


@router.patch(
    BASE + "/{webhook_id}", responses=problems(*DENIED, WebhookNotFound, WebhookUrlRefused)
)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    access: Admin,
    webhooks: WebhookServiceDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> WebhookRead:
    """Change the URL, event types, description or active flag; `If-Match` required."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    webhook = await webhooks.update(access.org_id, webhook_id, if_match, changes)
    response.headers["ETag"] = webhook_etag(webhook)
    return WebhookRead.of(webhook)


@router.delete(
    BASE + "/{webhook_id}", status_code=204, responses=problems(*DENIED, WebhookNotFound)
)
async def delete_webhook(
    webhook_id: uuid.UUID, access: Admin, webhooks: WebhookServiceDep
) -> Response:
    """Delete a subscription and its delivery log; nothing more is sent to it."""
    await webhooks.delete(access.org_id, webhook_id)
    return Response(status_code=204)


@router.post(BASE + "/{webhook_id}/rotate-secret", responses=problems(*DENIED, WebhookNotFound))
@not_idempotent  # the response holds the new secret
async def rotate_webhook_secret(
    webhook_id: uuid.UUID,
    access: Admin,
    webhooks: WebhookServiceDep,
    response: Response,
    body: SecretRotation | None = None,
) -> WebhookWithSecret:
    """Start signing with a new secret; the previous one signs too until the overlap ends."""
    overlap = body.overlap_s if body is not None else None
    return _with_secret(await webhooks.rotate_secret(access.org_id, webhook_id, overlap), response)


@router.get(BASE + "/{webhook_id}/deliveries", responses=problems(*DENIED, WebhookNotFound))
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    access: Admin,
    webhooks: WebhookServiceDep,
    page: PageDep,
    status: Annotated[Literal["pending", "succeeded", "dead"] | None, Query()] = None,
) -> Page[DeliveryRead]:
    """The delivery log, newest first, with every attempt (status, duration, response, error)."""
    items, cursor = await webhooks.deliveries(access.org_id, webhook_id, page, status)
    return Page(items=[DeliveryRead.of(d.delivery, d.attempts) for d in items], next_cursor=cursor)


@router.post(
    BASE + "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=problems(*DENIED, WebhookNotFound, DeliveryNotFound, DeliveryPending),
)
async def redeliver_webhook_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, access: Admin, webhooks: WebhookServiceDep
) -> DeliveryRead:
    """Send a dead (or succeeded) delivery again, with a fresh retry schedule."""
    found = await webhooks.redeliver(access.org_id, webhook_id, delivery_id)
    return DeliveryRead.of(found.delivery, found.attempts)
