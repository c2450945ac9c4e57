"""Attachments (OpenAPI, test reports), trace links and the traceability matrix."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Request, Response

from signoff.core.errors import UnsupportedMediaTypeError
from signoff.core.inputs import checked_text
from signoff.core.pagination import Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events, PageDep
from signoff.documents.body import media_type
from signoff.documents.deps import Documents
from signoff.documents.errors import DocumentArchived, DocumentNotFound, UnsupportedFormat
from signoff.exchange.sheets import XLSX
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.traceability import matrix as matrices
from signoff.traceability.errors import (
    InvalidReport,
    InvalidSpec,
    LinkEndMissing,
    LinkExists,
    LinkKindNotAllowed,
    LinkNotFound,
)
from signoff.traceability.schemas import (
    MatrixRead,
    RunAttachedRead,
    SpecAttachedRead,
    TraceLinkConfirm,
    TraceLinkCreate,
    TraceLinkRead,
    link_read,
    matrix_read,
    run_read,
    spec_read,
)
from signoff.traceability.service import TraceService

router = signoff_router(tags=["traceability"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope, DocumentNotFound)
BASE = "/orgs/{org}/documents/{doc}"
SPEC_TYPES = (
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json",
)
REPORT_TYPES = ("application/xml", "text/xml", "application/junit+xml")


async def get_trace(
    request: Request, session: DbSession, documents: Documents, events: Events, clock: ClockDep
) -> TraceService:
    return TraceService(session, documents, events, clock, Services.of(request.app).cursors)


Trace = Annotated[TraceService, Depends(get_trace)]


async def _body(request: Request, accepted: tuple[str, ...]) -> bytes:
    if media_type(request) not in accepted:
        raise UnsupportedMediaTypeError(
            f"Send one of: {', '.join(accepted)}.", headers={"Accept-Post": ", ".join(accepted)}
        )
    data = await request.body()
    # The document is kept as sent (its text), so it must be storable as text.
    checked_text(data.decode("utf-8", "replace"))
    return data


def _raw(types: tuple[str, ...]) -> dict[str, object]:
    return {
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in types},
        }
    }


@router.post(
    f"{BASE}/openapi",
    status_code=201,
    openapi_extra=_raw(SPEC_TYPES),
    responses=problems(*DENIED, InvalidSpec, DocumentArchived, UnsupportedMediaTypeError),
)
async def attach_openapi(
    doc: str, request: Request, access: Writer, trace: Trace
) -> SpecAttachedRead:
    """Attach an OpenAPI 3.0/3.1 document (JSON or YAML); its operations become link targets.
    Attaching a changed one says which operations were added, removed or changed."""
    data = await _body(request, SPEC_TYPES)
    return spec_read(
        await trace.attach_spec(access, doc, data, request.headers.get("content-type"))
    )


@router.post(
    f"{BASE}/test-results",
    status_code=201,
    openapi_extra=_raw(REPORT_TYPES),
    responses=problems(*DENIED, InvalidReport, DocumentArchived, UnsupportedMediaTypeError),
)
async def attach_test_results(
    doc: str, request: Request, access: Writer, trace: Trace
) -> RunAttachedRead:
    """Attach a JUnit XML report (pytest, Surefire, gotestsum, jest-junit); its tests become
    link targets with their outcome."""
    return run_read(await trace.attach_tests(access, doc, await _body(request, REPORT_TYPES)))


@router.get(f"{BASE}/trace-links", responses=problems(*DENIED))
async def list_trace_links(
    doc: str, access: Reader, trace: Trace, page: PageDep, suspect: bool | None = None
) -> Page[TraceLinkRead]:
    """The document's trace links (`suspect=true`: the ones to look at again)."""
    _, links, cursor = await trace.links(access, doc, page, suspect)
    return Page(items=[link_read(x) for x in links], next_cursor=cursor)


@router.post(
    f"{BASE}/trace-links",
    status_code=201,
    responses=problems(*DENIED, LinkKindNotAllowed, LinkEndMissing, LinkExists, DocumentArchived),
)
async def create_trace_link(
    doc: str, body: TraceLinkCreate, access: Writer, trace: Trace, response: Response
) -> TraceLinkRead:
    """Link a requirement to a section, operation or test; a section to an operation; an
    operation to a test."""
    link = await trace.link(
        access, doc, body.source_kind, body.source, body.target_kind, body.target
    )
    response.headers["Location"] = (
        f"/v1/orgs/{access.org.slug}/documents/{doc}/trace-links/{link.id}"
    )
    return link_read(link)


@router.get(f"{BASE}/trace-links/{{link_id}}", responses=problems(*DENIED, LinkNotFound))
async def get_trace_link(
    doc: str, link_id: uuid.UUID, access: Reader, trace: Trace
) -> TraceLinkRead:
    """One trace link, with whether it is suspect and why."""
    _, link = await trace.get(access, doc, link_id)
    return link_read(link)


@router.delete(
    f"{BASE}/trace-links/{{link_id}}",
    status_code=204,
    responses=problems(*DENIED, LinkNotFound, DocumentArchived),
)
async def delete_trace_link(doc: str, link_id: uuid.UUID, access: Writer, trace: Trace) -> Response:
    """Remove a trace link."""
    await trace.unlink(access, doc, link_id)
    return Response(status_code=204)


@router.post(
    f"{BASE}/trace-links/{{link_id}}/confirm",
    responses=problems(*DENIED, LinkNotFound, LinkEndMissing, DocumentArchived),
)
async def confirm_trace_link(
    doc: str,
    link_id: uuid.UUID,
    access: Writer,
    trace: Trace,
    body: TraceLinkConfirm | None = None,
) -> TraceLinkRead:
    """Say the link still holds after a change at either end: it is no longer suspect."""
    note = body.note if body is not None else None
    return link_read(await trace.confirm(access, doc, link_id, note))


@router.get(
    f"{BASE}/traceability",
    response_model=MatrixRead,
    responses={
        **problems(*DENIED, UnsupportedFormat),
        200: {
            "content": {
                "application/json": {},
                "text/markdown": {},
                "text/csv": {},
                XLSX: {},
            },
            "description": "The matrix and coverage (JSON, Markdown, CSV or XLSX).",
        },
    },
)
async def get_traceability(
    doc: str,
    request: Request,
    access: Reader,
    trace: Trace,
    format: Literal["json", "markdown", "csv", "xlsx"] | None = None,
) -> Response | MatrixRead:
    """Requirements against sections, operations and tests, with coverage figures:
    requirements without a section, referenced sections that do not exist, operations not
    described in §4.3, requirements without a passing test, suspect links."""
    document, matrix = await trace.matrix(access, doc)
    fmt = format or _negotiate(request.headers.get("accept", "*/*"))
    if fmt == "markdown":
        return Response(matrices.as_markdown(matrix), media_type="text/markdown; charset=utf-8")
    if fmt == "csv":
        return Response(matrices.as_csv(matrix), media_type="text/csv; charset=utf-8")
    if fmt == "xlsx":
        return Response(matrices.as_xlsx(matrix, document.key), media_type=XLSX)
    return matrix_read(matrix)


def _negotiate(accept: str) -> Literal["json", "markdown", "csv", "xlsx"]:
    for media, fmt in (
        (XLSX, "xlsx"),
        ("text/markdown", "markdown"),
        ("text/csv", "csv"),
        ("application/json", "json"),
        ("*/*", "json"),
    ):
        if media in accept.lower():
            return fmt  # type: ignore[return-value]
    raise UnsupportedFormat(f"Accept application/json, text/markdown, text/csv or {XLSX}.")
