"""Inbound sources (admins) and the signed requirement events they send."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from signoff.core.access import PUBLIC
from signoff.core.idempotency import not_idempotent
from signoff.core.pagination import Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClientAddress, ClockDep, Events, PageDep, SettingsDep
from signoff.documents.deps import Documents
from signoff.documents.errors import DocumentArchived
from signoff.inbound.errors import InvalidInboundEvent, InvalidSignature, SourceNotFound
from signoff.inbound.schemas import (
    InboundResult,
    RequirementEvent,
    SourceCreate,
    SourceCreated,
    SourceRead,
)
from signoff.inbound.service import InboundReceiver, InboundSources, inbound_box
from signoff.inbound.throttle import InboundThrottle, InboundThrottled
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.registers.errors import DuplicateKey, InvalidRegisterItem, RegisterSectionMissing
from signoff.registers.router import Registers

router = signoff_router(tags=["inbound"])
Admin = Annotated[OrgAccess, requires(Action.WEBHOOKS_MANAGE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
BASE = "/orgs/{org}/inbound"


async def get_sources(
    session: DbSession, settings: SettingsDep, events: Events, clock: ClockDep
) -> InboundSources:
    return InboundSources(
        session, inbound_box(settings.secret_key.get_secret_value()), events, clock
    )


async def get_receiver(
    session: DbSession,
    settings: SettingsDep,
    documents: Documents,
    registers: Registers,
    events: Events,
    clock: ClockDep,
) -> InboundReceiver:
    box = inbound_box(settings.secret_key.get_secret_value())
    return InboundReceiver(session, box, documents, registers, events, clock)


async def get_throttle(request: Request) -> InboundThrottle:
    throttle: InboundThrottle = Services.of(request.app).part(InboundThrottle)
    return throttle


Sources = Annotated[InboundSources, Depends(get_sources)]
Throttle = Annotated[InboundThrottle, Depends(get_throttle)]
Receiver = Annotated[InboundReceiver, Depends(get_receiver)]


def inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """The body is read raw (its signature covers the bytes), so FastAPI does not register
    its schema: describe it inline, nested models included."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def source_read(s: object) -> SourceRead:
    return SourceRead.model_validate(s, from_attributes=True)


@router.get(f"{BASE}/sources", responses=problems(*DENIED))
async def list_inbound_sources(access: Admin, sources: Sources, page: PageDep) -> Page[SourceRead]:
    """Upstream systems allowed to send events (never their secrets)."""
    return Page(items=[source_read(s) for s in await sources.page(access, page)], next_cursor=None)


@router.post(f"{BASE}/sources", status_code=201, responses=problems(*DENIED))
@not_idempotent
async def create_inbound_source(
    body: SourceCreate, access: Admin, sources: Sources, response: Response
) -> SourceCreated:
    """Register an upstream system; its signing secret is in this response only."""
    source, secret = await sources.create(access, body.name)
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/inbound/sources/{source.id}"
    return SourceCreated(**source_read(source).model_dump(), secret=secret)


@router.delete(
    f"{BASE}/sources/{{source_id}}", status_code=204, responses=problems(*DENIED, SourceNotFound)
)
async def delete_inbound_source(source_id: uuid.UUID, access: Admin, sources: Sources) -> Response:
    """Revoke a source: its events are refused from now on."""
    await sources.revoke(access, source_id)
    return Response(status_code=204)


@router.post(
    f"{BASE}/requirements",
    dependencies=[PUBLIC],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_defs(RequirementEvent.model_json_schema())}
            },
        },
        "parameters": [
            {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
            for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        ],
    },
    responses=problems(
        InvalidSignature,
        InboundThrottled,
        InvalidInboundEvent,
        DocumentArchived,
        RegisterSectionMissing,
        DuplicateKey,
        InvalidRegisterItem,
    ),
)
async def receive_requirement_event(
    org: str, request: Request, receiver: Receiver, address: ClientAddress, throttle: Throttle
) -> InboundResult:
    """An upstream requirements system creates, updates or retires a requirement of a
    document's §1.3 register. Signed per Standard Webhooks with a source's secret (401
    otherwise, and nothing is stored); each event id counts once (`duplicate`); an event
    older than the version already applied is ignored (`stale`). An address whose events
    keep failing verification is refused for a while (429 with `Retry-After`)."""
    await throttle.check(address)
    try:
        applied = await receiver.receive(org, request.headers, await request.body())
    except InvalidSignature:
        await throttle.failed(address)
        raise
    return InboundResult(
        outcome=applied.outcome,
        event_id=applied.event_id,
        document=applied.document,
        requirement_id=applied.requirement_id,
        revision=applied.revision,
    )
