"""The audit log of an organization (admins)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from signoff.audit.service import AuditService
from signoff.core.pagination import Page, PageRequest
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import page_request
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess

router = signoff_router(tags=["audit"])
Auditor = Annotated[OrgAccess, requires(Action.AUDIT_READ)]


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    event_id: uuid.UUID
    type: str
    actor: str | None
    client_address: str | None
    request_id: str | None
    subject: str
    data: dict[str, Any]
    occurred_at: datetime
    prev_hash: str
    hash: str


class VerificationRead(BaseModel):
    valid: bool
    entries: int
    first_invalid_seq: int | None
    reason: str | None
    head_hash: str


async def get_audit(request: Request, session: DbSession) -> AuditService:
    return AuditService(session, Services.of(request.app).cursors)


AuditDep = Annotated[AuditService, Depends(get_audit)]


@router.get(
    "/orgs/{org}/audit-events", responses=problems(OrgNotFound, InsufficientRole, InsufficientScope)
)
async def list_audit_events(
    access: Auditor,
    audit: AuditDep,
    page: Annotated[PageRequest, Depends(page_request)],
    type: Annotated[
        str | None, Query(max_length=100, description="Type prefix, e.g. `orgs.`")
    ] = None,
) -> Page[AuditEventRead]:
    """The organization's audit log, newest first."""
    items, cursor = await audit.list(access.org_id, page, type)
    return Page(items=[AuditEventRead.model_validate(e) for e in items], next_cursor=cursor)


@router.get(
    "/orgs/{org}/audit-events/verify",
    responses=problems(OrgNotFound, InsufficientRole, InsufficientScope),
)
async def verify_audit_events(access: Auditor, audit: AuditDep) -> VerificationRead:
    """Recompute the hash chain and report whether any entry was altered, removed or added."""
    result = await audit.verify(access.org_id)
    return VerificationRead(**result.__dict__)
