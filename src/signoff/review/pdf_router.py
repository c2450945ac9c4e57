"""The PDF of an approved version, with its sign-off page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from signoff.core.cpu import CpuBudgetExceededError, CpuBusyError
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.transaction import UoW
from signoff.documents.deps import Documents, Reading, get_cpu
from signoff.documents.errors import DocumentNotFound
from signoff.documents.schemas import VERSION_PATTERN
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.review.errors import NotApproved
from signoff.review.repository import ReviewRepository
from signoff.review.router import get_review_repo
from signoff.review.signoff_sheet import SignoffSheets

router = signoff_router(tags=["review"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]


async def get_sheets(
    request: Request,
    repo: Annotated[ReviewRepository, Depends(get_review_repo)],
    documents: Documents,
    reading: Reading,
) -> SignoffSheets:
    return SignoffSheets(repo, documents, reading, get_cpu(request))


@router.get(
    "/orgs/{org}/documents/{doc}/exports/pdf",
    response_class=Response,
    responses={
        **problems(
            OrgNotFound,
            InsufficientRole,
            InsufficientScope,
            DocumentNotFound,
            NotApproved,
            CpuBudgetExceededError,
            CpuBusyError,
        ),
        200: {"content": {"application/pdf": {}}},
    },
)
async def export_pdf(
    doc: str,
    access: Reader,
    sheets: Annotated[SignoffSheets, Depends(get_sheets)],
    uow: UoW,
    version: Annotated[str | None, Query(pattern=VERSION_PATTERN)] = None,
) -> Response:
    """An approved version (the last one unless `version` is given) as PDF, with a sign-off
    page: each approval's approver, team, time and pinned section hashes, the content hash
    and the approval's audit chain entry. A version that is not approved is a 409."""
    job = await sheets.prepare(access, doc, version)
    # WeasyPrint takes seconds: done reading, the connection goes back to the pool first.
    await uow.end_reads()
    pdf = await sheets.render(job)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{doc}-{job.version}.pdf"'},
    )
