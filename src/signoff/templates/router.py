"""Templates: built-in ones for everyone, org templates for their organization."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from signoff.core.access import AUTHENTICATED
from signoff.core.bounds import DB_INT_MAX
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.templates import service
from signoff.templates.errors import InvalidTemplate, TemplateNotFound
from signoff.templates.schemas import TemplateCreate, TemplateRead, TemplateSummary, full, summary
from signoff.templates.service import TemplateService

router = signoff_router(tags=["templates"])
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
# Templates never change once registered: a client may keep them.
CACHEABLE = "private, max-age=3600"


async def get_templates(session: DbSession, events: Events, clock: ClockDep) -> TemplateService:
    return TemplateService(session, events, clock)


Templates = Annotated[TemplateService, Depends(get_templates)]


@router.get("/templates", dependencies=[AUTHENTICATED])
async def list_templates() -> list[TemplateSummary]:
    """The built-in templates; `backend-server` is the backend-server design template."""
    return [summary(t) for t in service.builtins()]


@router.get(
    "/templates/{template}", dependencies=[AUTHENTICATED], responses=problems(TemplateNotFound)
)
async def get_template(template: str, response: Response) -> TemplateRead:
    """A built-in template with its section tree."""
    response.headers["Cache-Control"] = CACHEABLE
    return full(service.builtin(template))


@router.get("/orgs/{org}/templates", responses=problems(*DENIED))
async def list_org_templates(
    access: Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)], templates: Templates
) -> list[TemplateSummary]:
    """Templates documents in this organization can use: built-in ones and the org's own."""
    own = await templates.org_templates(access.org_id)
    return [summary(t) for t in [*service.builtins(), *own]]


@router.post("/orgs/{org}/templates", status_code=201, responses=problems(*DENIED, InvalidTemplate))
async def create_org_template(
    body: TemplateCreate,
    access: Annotated[OrgAccess, requires(Action.POLICY_MANAGE)],
    templates: Templates,
    request: Request,
    response: Response,
) -> TemplateRead:
    """Register a template from Markdown; registering a slug again makes a new version."""
    loaded = await templates.register(
        access.org_id, body.slug, body.name, body.markdown, access.principal.user_id
    )
    response.headers["Location"] = (
        f"/v1/orgs/{access.org.slug}/templates/{loaded.ref.slug}?version={loaded.ref.version}"
    )
    return full(loaded)


@router.get("/orgs/{org}/templates/{template}", responses=problems(*DENIED, TemplateNotFound))
async def get_org_template(
    template: str,
    access: Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)],
    templates: Templates,
    version: Annotated[
        int | None, Query(ge=1, le=DB_INT_MAX, description="Default: the latest.")
    ] = None,
) -> TemplateRead:
    """One template usable in this organization, with its section tree."""
    return full(await templates.resolve(access.org_id, template, version))
