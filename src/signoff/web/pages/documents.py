"""The organization's documents: list with search and filters, new, import, export."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from signoff.core.errors import SignoffError
from signoff.core.inputs import checked_text
from signoff.core.pagination import PageRequest
from signoff.core.services import Services
from signoff.documents.deps import Documents, Reading
from signoff.documents.errors import NotUtf8
from signoff.documents.filters import DocumentFilter
from signoff.documents.reader import DocumentRow
from signoff.documents.rendering import RenderCache
from signoff.documents.runtime import DocumentsRuntime
from signoff.documents.schemas import DocumentCreate, document_read, search_hit, summary
from signoff.documents.service.reading import FORMATS
from signoff.review.router import Reviews
from signoff.templates import service as builtin_templates
from signoff.templates.deps import Templates
from signoff.templates.schemas import summary as template_summary
from signoff.web.access import OrgReader, OrgWriter
from signoff.web.forms import FieldMissing, parse, text
from signoff.web.render import html
from signoff.web.routing import refused, web_router
from signoff.web.session import BrowserDep

router = web_router()
BASE = "/ui/orgs/{org}/documents"
STATUSES = ("draft", "in_review", "approved")
PAGE = 25


@router.get(BASE)
async def list_documents(
    request: Request,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reading: Reading,
    templates: Templates,
    reviews: Reviews,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    template: Annotated[str, Query(max_length=70)] = "",
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    """Newest first, keyset-paginated like the API; with words, the full-text search."""
    q = q.strip()
    hits = [search_hit(r) for r in await reading.search(access, q, PAGE)] if q else []
    items, next_cursor = [], None
    scores: dict[str, int] = {}
    owners: dict[uuid.UUID, list[str]] = {}
    found: Sequence[DocumentRow] = []
    if not q:
        filters = DocumentFilter(
            status=status if status in STATUSES else None, template=template or None
        )
        found, next_cursor = await documents.page(access, PageRequest(PAGE, cursor), filters)
        items = [summary(d) for d in found]
        scores = await _completeness(request, access, reading, found)
        owners = await reviews.owner_teams(access, found)
    return html(
        request,
        "documents/list.html",
        {
            "items": items,
            "hits": hits,
            "q": q,
            "status": status,
            "statuses": STATUSES,
            "template": template,
            "templates": await _templates(access, templates),
            "next_cursor": next_cursor,
            "completeness": scores if not q else {},
            "owners": {d.key: owners.get(d.id, []) for d in found},
        },
    )


async def _completeness(
    request: Request, access: OrgReader, reading: Reading, found: Sequence[DocumentRow]
) -> dict[str, int]:
    """The reader's completeness score of each listed document's head, kept in the render
    cache by revision (a revision's text never changes); the ones not cached are scored in
    one batch (ReadingService.completeness: two queries for the whole page)."""
    cache: RenderCache = Services.of(request.app).part(DocumentsRuntime).render_cache
    scores: dict[str, int] = {}
    missing = []
    for document in found:
        cached = cache.get((document.id, document.head_revision, "completeness"))
        if cached is None:
            missing.append(document)
        else:
            scores[document.key] = int(cached)
    fresh = await reading.completeness(access, missing)
    for document in missing:
        if document.id in fresh:
            scores[document.key] = fresh[document.id]
            key = (document.id, document.head_revision, "completeness")
            cache.put(key, str(fresh[document.id]).encode())
    return scores


async def _templates(access: OrgReader, templates: Templates) -> list[object]:
    own = await templates.org_templates(access.org_id)
    return [template_summary(t) for t in [*builtin_templates.builtins(), *own]]


@router.get(BASE + "/new")
async def new_document_page(
    request: Request, browser: BrowserDep, access: OrgWriter, templates: Templates
) -> Response:
    return html(
        request,
        "documents/new.html",
        {"templates": await _templates(access, templates), "values": {}},
    )


@router.post(BASE)
async def create_document(
    request: Request,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
    templates: Templates,
) -> Response:
    form = await request.form()
    values = {
        "title": text(form, "title", required=False, max_length=1000),
        "template": text(form, "template", required=False, max_length=200) or None,
    }
    try:
        body = parse(DocumentCreate, values)
        change = await documents.create(access, body.title, body.template)
    except SignoffError as exc:
        context = {"templates": await _templates(access, templates), "values": values}
        raise refused(request, exc, "documents/new.html", context) from exc
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{change.document.key}", status_code=303
    )


@router.post(BASE + "/import")
async def import_document(
    request: Request,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
    templates: Templates,
) -> Response:
    """Import a Markdown file, as ``POST /v1/.../documents`` with text/markdown does."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FieldMissing("Choose a Markdown file to import.", errors=[{"field": "file"}])
        raw = await upload.read()
        try:
            markdown = checked_text(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise NotUtf8(f"Byte {exc.start} of the file is not UTF-8.") from exc
        change = await documents.import_markdown(access, markdown)
    except SignoffError as exc:
        context = {"templates": await _templates(access, templates), "values": {}}
        raise refused(request, exc, "documents/new.html", context) from exc
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{change.document.key}", status_code=303
    )


@router.get(BASE + "/{doc}/export")
async def export_document(
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reading: Reading,
    format: Annotated[str, Query(pattern="^(markdown|html|json)$")] = "markdown",
    revision: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """A download of the revision on screen: the same bytes as the API's export."""
    document = await documents.get(access, doc)
    snap = await reading.snapshot(document, revision=revision or document.head_revision)
    if format == "json":
        body = document_read(snap).model_dump_json(indent=2).encode()
        media, suffix = "application/json", "json"
    else:
        body = await reading.rendered(document, snap.revision, format)
        media, suffix = FORMATS[format], "md" if format == "markdown" else "html"
    name = f"{document.key}-{snap.revision.version}.{suffix}"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
