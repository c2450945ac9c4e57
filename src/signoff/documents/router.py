"""Documents and their sections: create, import, export, push, edit, archive."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response

from signoff.core.bounds import DB_INT_MAX
from signoff.core.concurrency import not_modified
from signoff.core.errors import UnsupportedMediaTypeError
from signoff.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import lean, signoff_router
from signoff.core.services import Services
from signoff.core.web import IfMatchHeader, IfNoneMatchHeader, PageDep
from signoff.documents.body import body_schema, json_body, markdown_body, media_type
from signoff.documents.deps import Documents, Reading, reading_for
from signoff.documents.errors import (
    DocumentArchived,
    DocumentNotFound,
    DocumentTooLargeError,
    InvalidMarkdown,
    NotUtf8,
    RevisionNotFound,
    SectionNotFound,
    UnknownAuthor,
    UnknownReviewer,
    UnsupportedFormat,
)
from signoff.documents.filters import DocumentFilter
from signoff.documents.representation import (
    document_bytes,
    encoding_for,
    negotiate,
    not_modified_response,
)
from signoff.documents.runtime import DocumentsRuntime
from signoff.documents.schemas import (
    VERSION_PATTERN,
    DocumentCreate,
    DocumentPatch,
    DocumentRead,
    DocumentSummary,
    SectionPut,
    SectionRead,
    SectionSummary,
    document_read,
    section_read,
    section_summary,
    summary,
)
from signoff.documents.service.documents import (
    Change,
    document_etag,
    find_section,
    representation_etag,
    section_etag,
)
from signoff.documents.service.reading import FORMATS, ReadingService
from signoff.orgs.deps import access_for, requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.templates.errors import TemplateNotFound

router = signoff_router(tags=["documents"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
BASE = "/orgs/{org}/documents"
Format = Literal["json", "markdown", "html"]


async def _read(change: Change, reading: ReadingService, response: Response) -> DocumentRead:
    snap = await reading.snapshot(change.document)
    response.headers["ETag"] = document_etag(change.document)
    return document_read(snap, change.warnings)


@router.post(
    BASE,
    status_code=201,
    openapi_extra=body_schema(DocumentCreate),
    responses=problems(
        *DENIED,
        TemplateNotFound,
        InvalidMarkdown,
        DocumentTooLargeError,
        NotUtf8,
        UnsupportedMediaTypeError,
    ),
)
async def create_document(
    request: Request,
    access: Writer,
    documents: Documents,
    reading: Reading,
    response: Response,
    title: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="Markdown import: the title, for a document without one in its "
            "front matter or a `#` heading (an RFC-style document).",
        ),
    ] = None,
    template: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Markdown import: the template (`org:rfc`); default: the front "
            "matter's `template`, else the built-in one.",
        ),
    ] = None,
) -> DocumentRead:
    """Create a draft from a template (JSON), or import a Markdown document (text/markdown)."""
    kind = media_type(request)
    if kind == "application/json":
        body = await json_body(request, DocumentCreate)
        change = await documents.create(access, body.title, body.template)
    elif kind in ("text/markdown", "text/x-markdown"):
        text = await markdown_body(request)
        change = await documents.import_markdown(access, text, title, template)
    else:
        raise UnsupportedMediaTypeError(
            "Send JSON to create from a template, or text/markdown to import.",
            headers={"Accept-Post": "application/json, text/markdown"},
        )
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/documents/{change.document.key}"
    return await _read(change, reading, response)


# The common list: no filter, at most a limit (other queries are the route's to validate).
_LIMIT_ONLY = re.compile(r"(?:limit=([0-9]{1,4}))?")


async def _lean_list_documents(request: Request) -> Response | None:
    """``list_documents`` with no filter: the first page of the organization's documents."""
    query = _LIMIT_ONLY.fullmatch(request.scope["query_string"].decode("latin-1"))
    if query is None:
        return None
    limit = int(query.group(1) or DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        return None  # the route refuses it, as declared
    access = await access_for(request, Action.DOCUMENTS_READ)
    if access is None:
        return None
    listed = await list_documents(access, await reading_for(request), PageRequest(limit=limit))
    return Response(listed.model_dump_json(by_alias=True), media_type="application/json")


@router.get(BASE, responses=problems(*DENIED))
@lean(_lean_list_documents)
async def list_documents(
    access: Reader,
    reading: Reading,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    author: Annotated[str | None, Query(description="A user id.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title.")] = None,
    archived: bool = False,
    template: Annotated[
        str | None,
        Query(
            max_length=70,
            description="Made from this template: `backend-server` (built in) or `org:<slug>`.",
        ),
    ] = None,
) -> Page[DocumentSummary]:
    """Documents of the organization, newest first."""
    try:
        by = uuid.UUID(author) if author else None
    except ValueError:
        return Page(items=[], next_cursor=None)
    filters = DocumentFilter(
        status=status, author=by, q=q, archived=archived, template=template or None
    )
    items, cursor = await reading.page(access, page, filters)
    return Page(items=[summary(d) for d in items], next_cursor=cursor)


def _format(request: Request, format: Format | None) -> Format:
    if format is not None:
        return format
    return negotiate(request.headers.get("accept"))  # type: ignore[return-value]


async def _lean_get_document(request: Request) -> Response | None:
    """``get_document`` at the head with no query parameter: the common read and its 304."""
    if request.scope["query_string"]:
        return None
    access = await access_for(request, Action.DOCUMENTS_READ)
    if access is None:
        return None
    reading = await reading_for(request)
    doc, if_none_match = request.path_params["doc"], request.headers.get("if-none-match")
    answer = await get_document(doc, request, access, reading, if_none_match=if_none_match)
    # At the head every answer is already bytes (or a 304); never run the route twice.
    assert isinstance(answer, Response)
    return answer


@router.get(
    f"{BASE}/{{doc}}",
    response_model=DocumentRead,
    responses={
        **problems(*DENIED, DocumentNotFound, RevisionNotFound, UnsupportedFormat),
        200: {
            "content": {"application/json": {}, "text/markdown": {}, "text/html": {}},
            "description": "The document (JSON), or its Markdown or HTML export.",
        },
    },
)
@lean(_lean_get_document)
async def get_document(
    doc: str,
    request: Request,
    access: Reader,
    reading: Reading,
    revision: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    version: Annotated[str | None, Query(pattern=VERSION_PATTERN)] = None,
    format: Format | None = None,
    standalone: Annotated[
        bool | None,
        Query(
            description="HTML only: a complete, styled, printable page (style inline, nothing "
            "loaded from elsewhere), or the `<article>` fragment for embedding. Default: the "
            "page when HTML was asked for with `Accept: text/html`, the fragment with "
            "`format=html`."
        ),
    ] = None,
    if_none_match: IfNoneMatchHeader = None,
) -> Response | DocumentRead:
    """A document: JSON, or exported as Markdown or HTML (`Accept` or `format`), at its head or
    at an older `revision` or `version`."""
    fmt: str = _format(request, format)
    if fmt == "html" and (standalone if standalone is not None else format is None):
        fmt = "page"
    media = FORMATS.get(fmt, "application/json")
    at_head = revision is None and version is None
    if at_head:
        # The fast path: one Core select of the document's row, then the ETag, then bytes
        # made by an earlier request (design §10.2).
        row = await reading.head_row(access, doc)
        etag = representation_etag(row.id, row.head_revision, fmt, row.status)
        if not_modified(if_none_match, etag):
            return not_modified_response(etag)
        encoding = encoding_for(request.headers.get("accept-encoding"))
        cached = reading.cached_head(row, fmt, encoding)
        if cached is not None:
            return document_bytes(cached, etag, media, encoding)
    document = await reading.document(access, doc)
    number = revision if version is None else None
    if number is None and version is None:
        number = document.head_revision
    if number is not None:  # the ETag is known before anything is loaded
        etag = document_etag(document, fmt, number)
        if not_modified(if_none_match, etag):
            return not_modified_response(etag)
    snap = await reading.snapshot(document, revision=number, version=version)
    etag = document_etag(document, fmt, snap.revision.number)
    if fmt == "json":
        summaries = {
            name: await summarize(reading.session, document)
            for name, summarize in Services.of(request.app).part(DocumentsRuntime).summaries.items()
        }
        body = document_read(snap, summaries=summaries).model_dump_json().encode()
    else:
        body = await reading.rendered(document, snap.revision, fmt)
    if at_head and snap.revision.number == row.head_revision:
        bodies = reading.keep_head(row, fmt, body)
        return document_bytes(bodies[encoding], etag, media, encoding)
    return document_bytes(body, etag, media, "identity")


@router.put(
    f"{BASE}/{{doc}}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        }
    },
    responses=problems(
        *DENIED,
        DocumentNotFound,
        DocumentArchived,
        InvalidMarkdown,
        DocumentTooLargeError,
        NotUtf8,
        UnsupportedMediaTypeError,
    ),
)
async def replace_document(
    doc: str,
    request: Request,
    access: Writer,
    documents: Documents,
    reading: Reading,
    response: Response,
    if_match: IfMatchHeader = None,
) -> DocumentRead:
    """Replace the content with Markdown (docs-as-code push); `If-Match` is required."""
    text = await markdown_body(request)
    change = await documents.replace_markdown(access, doc, text, if_match)
    return await _read(change, reading, response)


@router.patch(
    f"{BASE}/{{doc}}",
    responses=problems(*DENIED, DocumentNotFound, DocumentArchived, UnknownAuthor, UnknownReviewer),
)
async def update_document(
    doc: str,
    body: DocumentPatch,
    access: Writer,
    documents: Documents,
    reading: Reading,
    response: Response,
    if_match: IfMatchHeader = None,
) -> DocumentRead:
    """Change the title, authors or reviewers; `If-Match` is required. Reviewers are
    Document Control: changing them is a revision that changes no section, so it dismisses
    no approval."""
    change = await documents.patch(
        access,
        doc,
        if_match,
        title=body.title,
        authors=body.authors,
        reviewers=[r.target for r in body.reviewers] if body.reviewers is not None else None,
    )
    return await _read(change, reading, response)


@router.delete(
    f"{BASE}/{{doc}}",
    status_code=204,
    responses=problems(*DENIED, DocumentNotFound, DocumentArchived),
)
async def archive_document(doc: str, access: Writer, documents: Documents) -> Response:
    """Archive: the document is kept, read-only and out of search, until restored."""
    await documents.archive(access, doc)
    return Response(status_code=204)


@router.post(f"{BASE}/{{doc}}/restore", responses=problems(*DENIED, DocumentNotFound))
async def restore_document(doc: str, access: Writer, documents: Documents) -> DocumentSummary:
    """Bring an archived document back."""
    return summary(await documents.restore(access, doc))


@router.get(f"{BASE}/{{doc}}/sections", responses=problems(*DENIED, DocumentNotFound))
async def list_sections(doc: str, access: Reader, documents: Documents) -> list[SectionSummary]:
    """The sections of the head revision, in order."""
    _, sections = await documents.head(await documents.get(access, doc))
    return [section_summary(s) for s in sections]


@router.get(
    f"{BASE}/{{doc}}/sections/{{section}}",
    responses=problems(*DENIED, DocumentNotFound, SectionNotFound),
)
async def get_section(
    doc: str, section: str, access: Reader, documents: Documents, response: Response
) -> SectionRead:
    """One section, by stable id or by number (`3.3`)."""
    document = await documents.get(access, doc)
    _, sections = await documents.head(document)
    found = find_section(sections, section)
    response.headers["ETag"] = section_etag(document, found)
    return section_read(found)


@router.put(
    f"{BASE}/{{doc}}/sections/{{section}}",
    responses=problems(
        *DENIED,
        DocumentNotFound,
        SectionNotFound,
        DocumentArchived,
        InvalidMarkdown,
        DocumentTooLargeError,
    ),
)
async def update_section(
    doc: str,
    section: str,
    body: SectionPut,
    access: Writer,
    documents: Documents,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SectionRead:
    """Replace one section's Markdown; `If-Match` is the section's ETag, so edits of other
    sections by others do not conflict."""
    change, updated = await documents.update_section(access, doc, section, body.body, if_match)
    response.headers["ETag"] = section_etag(change.document, updated)
    return section_read(updated)
