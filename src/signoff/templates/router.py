"""Templates: built-in ones for everyone, org templates for their organization.

Registering one (`POST /orgs/{org}/templates`) is in `documents.router_templates`: a
template may be inferred from a document, and documents sit above templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from signoff.core.access import AUTHENTICATED
from signoff.core.bounds import DB_INT_MAX
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.templates import service
from signoff.templates.deps import Templates
from signoff.templates.errors import TemplateNotFound
from signoff.templates.schemas import TemplateRead, TemplateSummary, full, summary

router = signoff_router(tags=["templates"])
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
# Templates never change once registered: a client may keep them.
CACHEABLE = "private, max-age=3600"


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
