"""FastAPI wiring of the webhooks domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events
from signoff.webhooks.repository import WebhookRepository
from signoff.webhooks.runtime import WebhooksRuntime
from signoff.webhooks.service import WebhookService


async def get_runtime(request: Request) -> WebhooksRuntime:
    runtime: WebhooksRuntime = Services.of(request.app).part(WebhooksRuntime)
    return runtime


async def get_webhook_service(
    request: Request,
    session: DbSession,
    runtime: Annotated[WebhooksRuntime, Depends(get_runtime)],
    events: Events,
    clock: ClockDep,
) -> WebhookService:
    repo = WebhookRepository(session, Services.of(request.app).cursors)
    return WebhookService(repo, runtime, events, clock)


WebhookServiceDep = Annotated[WebhookService, Depends(get_webhook_service)]
