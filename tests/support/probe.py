"""Routes that exercise the shared machinery through real HTTP, on the real tables.

They write to the outbox (a real table), so transactions, idempotency and pagination are
tested end to end without a table that exists only for tests.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from signoff.core.auth import CurrentPrincipal, Principal
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.errors import ConflictError, NotFoundError, UnauthorizedError
from signoff.core.events import EventRecorder, OutboxEvent
from signoff.core.idempotency import not_idempotent
from signoff.core.pagination import Page, PageRequest, keyset_page
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession, UnitOfWork
from signoff.core.web import IfMatchHeader, page_request

router = signoff_router(prefix="/probe", tags=["probe"])


class HeaderAuthenticator:
    """``Authorization: Bearer probe:<uuid>`` names the caller; anything else is refused."""

    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.startswith("probe:"):
            raise UnauthorizedError("not a probe token")
        try:
            return Principal(kind="user", id=uuid.UUID(token.removeprefix("probe:")))
        except ValueError as exc:
            raise UnauthorizedError("not a probe token") from exc


class EventIn(BaseModel):
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    subject: str = Field(min_length=1, max_length=300)
    data: dict[str, Any] = Field(default_factory=dict)


class EventOut(BaseModel):
    id: uuid.UUID
    type: str
    subject: str


class Nested(BaseModel):
    tags: list[Annotated[str, Field(min_length=2)]]


class Shape(BaseModel):
    title: str = Field(min_length=1)
    count: int = Field(ge=0)
    nested: Nested


def recorder(session: DbSession, request: Request) -> EventRecorder:
    return EventRecorder(session, Services.of(request.app).clock)


Recorder = Annotated[EventRecorder, Depends(recorder)]


@router.post("/events", status_code=201, response_model=EventOut)
async def create_event(
    body: EventIn, who: CurrentPrincipal, events: Recorder, session: DbSession, response: Response
) -> EventOut:
    """Record an event (an authenticated write)."""
    event = await events.record(body.type, org_id=None, subject=body.subject, data=body.data)
    await session.flush()
    response.headers["Location"] = f"/probe/events/{event.id}"
    return EventOut(id=event.id, type=event.type, subject=event.subject)


@router.post("/anonymous-events", status_code=201, response_model=EventOut)
@not_idempotent
async def create_anonymous_event(body: EventIn, events: Recorder) -> EventOut:
    """Record an event without idempotency."""
    event = await events.record(body.type, org_id=None, subject=body.subject, data=body.data)
    return EventOut(id=event.id, type=event.type, subject=event.subject)


@router.get("/events", response_model=Page[EventOut])
async def list_events(
    request: Request,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    subject: Annotated[str | None, Query()] = None,
) -> Page[EventOut]:
    """List events, oldest first, optionally for one subject."""
    stmt = select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.subject)
    if subject is not None:
        stmt = stmt.where(OutboxEvent.subject == subject)
    rows, cursor = await keyset_page(
        session,
        stmt,
        [OutboxEvent.id],
        page,
        Services.of(request.app).cursors,
        scope=f"probe-events:{subject}",
    )
    return Page(items=[EventOut.model_validate(r._mapping) for r in rows], next_cursor=cursor)


@router.get("/events/{event_id}", responses=problems(NotFoundError))
async def get_event(event_id: uuid.UUID, session: DbSession, response: Response) -> EventOut:
    """Read one event."""
    event = await session.get(OutboxEvent, event_id)
    if event is None:
        raise NotFoundError(f"No event {event_id}")
    response.headers["ETag"] = etag_of(event.id, event.subject)
    return EventOut(id=event.id, type=event.type, subject=event.subject)


class SubjectChange(BaseModel):
    subject: str


@router.put("/events/{event_id}", responses=problems(NotFoundError))
async def update_event(
    event_id: uuid.UUID,
    body: SubjectChange,
    session: DbSession,
    response: Response,
    if_match: IfMatchHeader = None,
) -> EventOut:
    """Change an event's subject, guarded by If-Match."""
    event = await session.get(OutboxEvent, event_id, with_for_update=True)
    if event is None:
        raise NotFoundError(f"No event {event_id}")
    require_if_match(if_match, etag_of(event.id, event.subject))
    event.subject = body.subject
    await session.flush()
    response.headers["ETag"] = etag_of(event.id, event.subject)
    return EventOut(id=event.id, type=event.type, subject=event.subject)


@router.post("/fail-after-write", status_code=201, responses=problems(ConflictError))
@not_idempotent
async def fail_after_write(body: EventIn, events: Recorder, session: DbSession) -> None:
    """Write, then fail: nothing must remain."""
    await events.record(body.type, org_id=None, subject=body.subject, data=body.data)
    await session.flush()
    raise ConflictError("refused after writing")


@router.post("/crash")
@not_idempotent
async def crash(body: EventIn, events: Recorder, session: DbSession) -> None:
    """Write, then fail unexpectedly with a secret in the message."""
    await events.record(body.type, org_id=None, subject=body.subject, data=body.data)
    await session.flush()
    raise RuntimeError("database password=hunter2 leaked?")


@router.post("/shape")
@not_idempotent
async def shape(body: Shape) -> Shape:
    """Validate a nested body."""
    return body


SLEEPING = [0]


@router.get("/slow")
async def slow(seconds: Annotated[float, Query(ge=0, le=60)]) -> dict[str, float]:
    """Take a while."""
    SLEEPING[0] += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        SLEEPING[0] -= 1
    return {"slept": seconds}


@router.get("/sleeping")
async def sleeping() -> dict[str, int]:
    """How many /slow requests are in progress (so a test knows one has arrived)."""
    return {"sleeping": SLEEPING[0]}


@router.get("/big")
async def big(items: Annotated[int, Query(ge=0, le=100_000)] = 2000) -> list[dict[str, Any]]:
    """A large, compressible response."""
    return [{"index": i, "text": "the same words again"} for i in range(items)]


def probe_app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    app.state.services = replace(Services.of(app), authenticator=HeaderAuthenticator())
    app.openapi_schema = None
    return app
