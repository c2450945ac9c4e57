"""FastAPI wiring of the templates domain: the one ``TemplateService`` dependency, for its
own routes and for the documents domain above it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events
from signoff.templates.service import TemplateService


async def get_templates(session: DbSession, events: Events, clock: ClockDep) -> TemplateService:
    return TemplateService(session, events, clock)


Templates = Annotated[TemplateService, Depends(get_templates)]
