"""An organization's page: the same access check as the API's routes, by the same action."""

# No `from __future__ import annotations`: the dependency below names `action`, a local,
# in an annotation FastAPI must evaluate.

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from signoff.core.permissions import Action
from signoff.orgs.deps import requires
from signoff.orgs.service import OrgAccess


@dataclass(frozen=True)
class OrgRef:
    """What the layout shows of the organization: plain values, still readable when the
    request's transaction has been rolled back (an error page)."""

    slug: str
    name: str


def org_page(action: Action) -> Any:
    """The caller's access to the path's organization (a 404 page when they have none), also
    given to the page's layout (navigation)."""

    async def check(request: Request, access: Annotated[OrgAccess, requires(action)]) -> OrgAccess:
        request.state.web_page["org"] = OrgRef(access.org.slug, access.org.name)
        request.state.web_page["role"] = access.role.label
        return access

    check.__name__ = f"org_page_{action.name.lower()}"
    return Depends(check)


OrgReader = Annotated[OrgAccess, org_page(Action.DOCUMENTS_READ)]
OrgWriter = Annotated[OrgAccess, org_page(Action.DOCUMENTS_WRITE)]
OrgReviewer = Annotated[OrgAccess, org_page(Action.REVIEWS_WRITE)]
