"""Request-scoped dependencies every domain's ``deps.py`` builds on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from signoff.core.auth import OptionalPrincipal
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.events import EventContext, EventRecorder
from signoff.core.openapi import REQUIRED_MARKER
from signoff.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from signoff.core.services import Services
from signoff.core.transaction import DbSession


async def get_settings(request: Request) -> Settings:
    settings: Settings = Services.of(request.app).settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = Services.of(request.app).clock
    return clock


def client_address(request: Request) -> str | None:
    """The client's address; behind a trusted proxy uvicorn has already put the real one here."""
    return request.client.host if request.client else None


async def get_client_address(request: Request) -> str | None:
    return client_address(request)


async def event_context(request: Request, principal: OptionalPrincipal) -> EventContext:
    return EventContext(
        actor=principal.key if principal is not None else None,
        client_address=client_address(request),
        request_id=getattr(request.state, "request_id", None),
    )


async def get_events(
    request: Request,
    session: DbSession,
    context: Annotated[EventContext, Depends(event_context)],
) -> EventRecorder:
    return EventRecorder(
        session,
        Services.of(request.app).clock,
        context=context,
        listeners=Services.of(request.app).event_listeners,
        on_commit=Services.of(request.app).events_committed,
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ClientAddress = Annotated[str | None, Depends(get_client_address)]
Events = Annotated[EventRecorder, Depends(get_events)]


# Declare with a default of None (``if_match: IfMatchHeader = None``): a missing header must
# reach ``require_if_match`` and become 428, not a 422 from validation. The OpenAPI
# document marks it required all the same (core/openapi.py reads the marker), since the
# server refuses every request without it.
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the representation being changed (from a previous GET); "
        "required (428 without it).",
        json_schema_extra={REQUIRED_MARKER: True},
        max_length=1024,
    ),
]
# Where a change without a precondition is harmless (resolving a thread twice).
OptionalIfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the representation being changed; optional here.",
        max_length=1024,
    ),
]
IfNoneMatchHeader = Annotated[str | None, Header(alias="If-None-Match")]


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


PageDep = Annotated[PageRequest, Depends(page_request)]
