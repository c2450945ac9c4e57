"""An organization's own request budgets (design §10.5): read by members, set by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import Response

from signoff.core.errors import PreconditionFailedError, PreconditionRequiredError
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.web import IfMatchHeader, SettingsDep
from signoff.orgs.deps import RequestLimitServiceDep, requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.schemas import RequestLimitsBody, RequestLimitsRead
from signoff.orgs.service import OrgAccess
from signoff.orgs.service.request_limits import RequestLimits, limits_etag

router = signoff_router(tags=["organizations"])
Reader = Annotated[OrgAccess, requires(Action.ORG_READ)]
Admin = Annotated[OrgAccess, requires(Action.POLICY_MANAGE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
PRECONDITIONS = (PreconditionFailedError, PreconditionRequiredError)


def _read(limits: RequestLimits, settings: SettingsDep, response: Response) -> RequestLimitsRead:
    response.headers["ETag"] = limits_etag(limits)
    return RequestLimitsRead(
        reads_per_minute=limits.reads_per_minute,
        writes_per_minute=limits.writes_per_minute,
        server_reads=settings.request_limits.org_reads,
        server_writes=settings.request_limits.org_writes,
    )


@router.get("/orgs/{org}/request-limits", responses=problems(*DENIED))
async def get_request_limits(
    access: Reader, limits: RequestLimitServiceDep, settings: SettingsDep, response: Response
) -> RequestLimitsRead:
    """The organization's own budgets of requests per minute, and the server's."""
    return _read(await limits.get(access), settings, response)


@router.put("/orgs/{org}/request-limits", responses=problems(*DENIED, *PRECONDITIONS))
async def put_request_limits(
    body: RequestLimitsBody,
    access: Admin,
    limits: RequestLimitServiceDep,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RequestLimitsRead:
    """Set the organization's own budgets of requests per minute (admins; `null`: none);
    `If-Match` is required."""
    saved = await limits.put(access, body.reads_per_minute, body.writes_per_minute, if_match)
    return _read(saved, settings, response)
