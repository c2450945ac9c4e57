"""FastAPI wiring of the documents domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from signoff.core.auth import optional_principal
from signoff.core.cpu import CpuPool
from signoff.core.services import Services
from signoff.core.transaction import DbSession, get_session
from signoff.core.web import ClockDep, Events, SettingsDep, event_context, get_clock, get_events
from signoff.documents.rendering import RenderCache
from signoff.documents.repository import DocumentRepository
from signoff.documents.runtime import DocumentsRuntime
from signoff.documents.service.documents import DocumentService
from signoff.documents.service.policy import LintPolicyService
from signoff.documents.service.reading import ReadingService
from signoff.documents.service.writer import RevisionWriter
from signoff.orgs.deps import MemberServiceDep, TeamServiceDep
from signoff.templates.deps import Templates, get_templates


def get_cpu(request: Request) -> CpuPool:
    cpu: CpuPool = Services.of(request.app).cpu
    return cpu


async def get_repo(request: Request, session: DbSession) -> DocumentRepository:
    return DocumentRepository(session, Services.of(request.app).cursors)


Repo = Annotated[DocumentRepository, Depends(get_repo)]


async def get_documents(
    request: Request,
    repo: Repo,
    events: Events,
    clock: ClockDep,
    templates: Templates,
    members: MemberServiceDep,
    teams: TeamServiceDep,
    settings: SettingsDep,
) -> DocumentService:
    listeners = Services.of(request.app).part(DocumentsRuntime).revision_listeners.factories
    writer = RevisionWriter(repo, events, clock, listeners)
    return DocumentService(
        repo, writer, templates, members, teams, clock, settings.documents, get_cpu(request)
    )


async def get_reading(
    request: Request, repo: Repo, templates: Templates, clock: ClockDep
) -> ReadingService:
    cache: RenderCache = Services.of(request.app).part(DocumentsRuntime).render_cache
    return ReadingService(repo, templates, cache, clock, get_cpu(request))


async def reading_for(request: Request) -> ReadingService:
    """``Reading`` for a lean resolver (``core.routing.lean``): the same dependencies,
    called in the order FastAPI calls them."""
    session, clock = await get_session(request), await get_clock(request)
    context = await event_context(request, await optional_principal(request))
    templates = await get_templates(session, await get_events(request, session, context), clock)
    return await get_reading(request, await get_repo(request, session), templates, clock)


async def get_policy(repo: Repo, events: Events, clock: ClockDep) -> LintPolicyService:
    return LintPolicyService(repo, events, clock)


Documents = Annotated[DocumentService, Depends(get_documents)]
Reading = Annotated[ReadingService, Depends(get_reading)]
Policies = Annotated[LintPolicyService, Depends(get_policy)]
