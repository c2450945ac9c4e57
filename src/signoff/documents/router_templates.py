"""Registering an organization's template, from Markdown or inferred from a document.

Here rather than in `templates.router`: inferring reads a document, and the documents
domain sits above templates (rule 1), so the route that needs both lives in the upper one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Response

from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.documents.deps import Reading
from signoff.documents.errors import DocumentNotFound, RevisionNotFound
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.templates.deps import Templates
from signoff.templates.errors import InvalidTemplate
from signoff.templates.schemas import TemplateRead, TemplateRegister, full

router = signoff_router(tags=["templates"])
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)


@router.post(
    "/orgs/{org}/templates",
    status_code=201,
    responses=problems(*DENIED, InvalidTemplate, DocumentNotFound, RevisionNotFound),
)
async def create_org_template(
    body: TemplateRegister,
    access: Annotated[OrgAccess, requires(Action.POLICY_MANAGE)],
    templates: Templates,
    reading: Reading,
    response: Response,
) -> TemplateRead:
    """Register a template from Markdown, or infer one from a document's outline
    (`from_document`); registering a slug again makes a new version."""
    if body.from_document is not None:
        markdown = await reading.outline_template(access, body.from_document)
    else:
        markdown = body.markdown or ""  # TemplateRegister requires one of the two
    loaded = await templates.register(
        access.org_id, body.slug, body.name, markdown, access.principal.user_id
    )
    response.headers["Location"] = (
        f"/v1/orgs/{access.org.slug}/templates/{loaded.ref.slug}?version={loaded.ref.version}"
    )
    return full(loaded)
