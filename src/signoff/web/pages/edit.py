"""Editing one section: Markdown with a live, server-rendered preview, saved with the
section's ETag. A concurrent save by someone else is a conflict shown with both texts:
the typed text stays in the form, and the other person's is beside it to merge."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from signoff.core.errors import PreconditionFailedError, SignoffError
from signoff.docformat.html import render_fragment
from signoff.documents.deps import Documents
from signoff.documents.reader import LockedDocument, SectionRow
from signoff.documents.schemas import SectionPut, summary
from signoff.documents.service.documents import find_section, section_etag
from signoff.templates.deps import Templates
from signoff.web.access import OrgWriter
from signoff.web.forms import parse, text
from signoff.web.render import PAGE_HEADERS, html
from signoff.web.routing import refused, web_router
from signoff.web.session import BrowserDep

router = web_router()
BASE = "/ui/orgs/{org}/documents/{doc}/sections/{section}"
MAX_BODY = 1024 * 1024


def _context(
    document: LockedDocument, section: SectionRow, body: str, **extra: object
) -> dict[str, object]:
    return {
        "document": summary(document),
        "section": section,
        "body": body,
        "etag": section_etag(document, section),
        "preview": render_fragment(body),
        "theirs": None,
        "guidance": None,
        **extra,
    }


@router.get(BASE + "/edit")
async def edit_section_page(
    request: Request,
    doc: str,
    section: str,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
    templates: Templates,
) -> Response:
    document = await documents.writable(access, doc)
    _, sections = await documents.head(document)
    found = find_section(sections, section)
    # The template's guidance for this section (ui.md: the editor shows it), rendered by
    # the same sanitizer as the section: an organization's template is user content.
    loaded = await templates.resolve(access.org_id, document.template_name)
    spec = loaded.parsed.get(found.template_number) if found.template_number else None
    guidance = render_fragment(spec.guidance) if spec is not None and spec.guidance else None
    context = _context(document, found, found.body, guidance=guidance)
    return html(request, "documents/edit.html", context)


@router.post(BASE + "/edit")
async def save_section(
    request: Request,
    doc: str,
    section: str,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
) -> Response:
    form = await request.form()
    mine = parse(SectionPut, {"body": text(form, "body", required=False, max_length=MAX_BODY)})
    etag = text(form, "etag", required=False, max_length=1024) or None
    try:
        change, _ = await documents.update_section(access, doc, section, mine.body, etag)
    except PreconditionFailedError as exc:
        # Someone saved this section since it was opened: show theirs beside ours, with
        # the new ETag, so saving again is a decision taken with both texts in view.
        raise refused(
            request,
            exc,
            "documents/edit.html",
            await _conflict(access, documents, doc, section, mine.body),
        ) from exc
    except SignoffError as exc:
        document = await documents.get(access, doc)
        _, sections = await documents.head(document)
        found = find_section(sections, section)
        context = _context(document, found, mine.body, etag=etag)
        raise refused(request, exc, "documents/edit.html", context) from exc
    number = change.document.key
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{number}?saved={section}#{section}",
        status_code=303,
    )


async def _conflict(
    access: OrgWriter, documents: Documents, doc: str, section: str, mine: str
) -> dict[str, object]:
    document = await documents.get(access, doc)
    _, sections = await documents.head(document)
    found = find_section(sections, section)
    return _context(document, found, mine, theirs=found.body)


@router.post(BASE + "/preview")
async def preview_section(
    request: Request,
    doc: str,
    section: str,
    browser: BrowserDep,
    access: OrgWriter,
) -> Response:
    """The Markdown being typed, rendered by the same sanitizer as the reader."""
    form = await request.form()
    body = text(form, "body", required=False, max_length=MAX_BODY)
    return HTMLResponse(render_fragment(body), headers=PAGE_HEADERS)
