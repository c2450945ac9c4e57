"""The review of a document: round state, what is missing, verdicts with the section hashes
they pinned, dismissed approvals with their diff; submit, withdraw, approve or request
changes on the revision on screen, and comment threads."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from signoff.core.errors import SignoffError
from signoff.core.pagination import PageRequest
from signoff.documents.deps import Documents
from signoff.documents.schemas import summary
from signoff.orgs.service import OrgAccess
from signoff.review.router import Comments, Reviews
from signoff.review.schemas import (
    CommentCreate,
    CommentPatch,
    ReplyCreate,
    ReviewCreate,
    SubmissionCreate,
    approval_read,
    comment_read,
)
from signoff.web.access import OrgReader, OrgReviewer, OrgWriter
from signoff.web.forms import parse, text
from signoff.web.render import html
from signoff.web.routing import refused, web_router
from signoff.web.session import BrowserDep

router = web_router()
BASE = "/ui/orgs/{org}/documents/{doc}/review"


async def _context(
    access: OrgAccess, doc: str, documents: Documents, reviews: Reviews, comments: Comments
) -> dict[str, Any]:
    document = await documents.get(access, doc)
    _, sections = await documents.head(document)
    threads, _ = await comments.page(access, doc, PageRequest(limit=200))
    return {
        "document": summary(document),
        "approval": approval_read(await reviews.approval(access, doc)),
        "sections": sections,
        "threads": [comment_read(t) for t in threads],
        "can_write": access.role.label in ("member", "admin", "owner"),
    }


@router.get(BASE)
async def review_page(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    context = await _context(access, doc, documents, reviews, comments)
    return html(request, "review/review.html", context)


class Act:
    """One review action from a form: done through the service, then back to the page (or
    the page again with the refusal, at its status, the transaction rolled back)."""

    def __init__(
        self,
        request: Request,
        access: OrgAccess,
        doc: str,
        documents: Documents,
        reviews: Reviews,
        comments: Comments,
    ) -> None:
        self.request, self.access, self.doc = request, access, doc
        self.documents, self.reviews, self.comments = documents, reviews, comments

    async def form(self) -> FormData:
        return await self.request.form()

    async def refused(self, exc: SignoffError) -> SignoffError:
        context = await _context(self.access, self.doc, self.documents, self.reviews, self.comments)
        return refused(self.request, exc, "review/review.html", context)

    def back(self, anchor: str = "") -> Response:
        url = f"/ui/orgs/{self.access.org.slug}/documents/{self.doc}/review"
        return RedirectResponse(url + anchor, status_code=303)


async def _act(act: Act, run: Any, anchor: str = "") -> Response:
    try:
        await run()
    except SignoffError as exc:
        raise await act.refused(exc) from exc
    return act.back(anchor)


@router.post(BASE + "/submission")
async def submit(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    act = Act(request, access, doc, documents, reviews, comments)
    form = await act.form()

    async def run() -> None:
        body = parse(SubmissionCreate, {"message": text(form, "message", required=False)})
        await reviews.submit(access, doc, body.message)

    return await _act(act, run)


@router.post(BASE + "/withdrawal")
async def withdraw(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgWriter,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    act = Act(request, access, doc, documents, reviews, comments)

    async def run() -> None:
        await reviews.withdraw(access, doc)

    return await _act(act, run)


@router.post(BASE + "/verdict")
async def give_verdict(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReviewer,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    """Approve or request changes on the revision the reviewer had on screen."""
    act = Act(request, access, doc, documents, reviews, comments)
    form = await act.form()

    async def run() -> None:
        body = parse(
            ReviewCreate,
            {
                "verdict": text(form, "verdict", max_length=40),
                "body": text(form, "body", required=False, max_length=20_000),
                "revision": text(form, "revision", max_length=12) or None,
            },
        )
        await reviews.review(access, doc, body.verdict, body.body, body.sections, body.revision)

    return await _act(act, run, "#verdicts")


@router.post(BASE + "/comments")
async def open_thread(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReviewer,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    act = Act(request, access, doc, documents, reviews, comments)
    form = await act.form()

    async def run() -> None:
        body = parse(
            CommentCreate,
            {
                "section": text(form, "section", max_length=128),
                "body": text(form, "body", required=False, max_length=20_000),
                "quote": text(form, "quote", required=False, max_length=2000) or None,
                "blocking": form.get("blocking") == "on",
            },
        )
        await comments.create(access, doc, body.section, body.body, body.quote, body.blocking)

    return await _act(act, run, "#threads")


@router.post(BASE + "/comments/{thread}/replies")
async def reply(
    request: Request,
    doc: str,
    thread: uuid.UUID,
    browser: BrowserDep,
    access: OrgReviewer,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    act = Act(request, access, doc, documents, reviews, comments)
    form = await act.form()

    async def run() -> None:
        body = parse(ReplyCreate, {"body": text(form, "body", required=False, max_length=20_000)})
        await comments.reply(access, doc, thread, body.body)

    return await _act(act, run, f"#t-{thread}")


@router.post(BASE + "/comments/{thread}")
async def change_thread(
    request: Request,
    doc: str,
    thread: uuid.UUID,
    browser: BrowserDep,
    access: OrgReviewer,
    documents: Documents,
    reviews: Reviews,
    comments: Comments,
) -> Response:
    """Resolve or reopen a thread, or make it blocking or not."""
    act = Act(request, access, doc, documents, reviews, comments)
    form = await act.form()

    async def run() -> None:
        values = {k: form.get(k) == "true" for k in ("resolved", "blocking") if k in form}
        body = parse(CommentPatch, values)
        await comments.update(
            access, doc, thread, None, resolved=body.resolved, blocking=body.blocking, body=None
        )

    return await _act(act, run, f"#t-{thread}")
