"""The review of a document: round state, what is missing, verdicts with the section hashes
they pinned, dismissed approvals with their diff; submit, withdraw, approve or request
changes on the revision on screen, and comment threads.

Every route takes the access check its action needs and one ``ReviewPage``: the request,
the document and the services, which renders the page and runs a form's action."""

# No `from __future__ import annotations`: FastAPI reads the annotations of `ReviewPage`, a
# dataclass dependency, at runtime.

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
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

router = web_router()
BASE = "/ui/orgs/{org}/documents/{doc}/review"


@dataclass
class ReviewPage:
    request: Request
    doc: str
    documents: Documents
    reviews: Reviews
    comments: Comments

    async def context(self, access: OrgAccess) -> dict[str, Any]:
        document = await self.documents.get(access, self.doc)
        _, sections = await self.documents.head(document)
        threads, _ = await self.comments.page_of(document, PageRequest(limit=200), head=sections)
        return {
            "document": summary(document),
            "approval": approval_read(await self.reviews.approval_of(document, sections)),
            "sections": sections,
            "threads": [comment_read(t) for t in threads],
            "can_write": access.role.label in ("member", "admin", "owner"),
        }

    async def act(
        self, access: OrgAccess, run: Callable[[], Awaitable[Any]], anchor: str = ""
    ) -> Response:
        """One review action from a form: done through the service, then back to the page
        (or the page again with the refusal, at its status, the transaction rolled back)."""
        try:
            await run()
        except SignoffError as exc:
            page = await self.context(access)
            raise refused(self.request, exc, "review/review.html", page) from exc
        url = f"/ui/orgs/{access.org.slug}/documents/{self.doc}/review"
        return RedirectResponse(url + anchor, status_code=303)


Page = Annotated[ReviewPage, Depends()]


@router.get(BASE)
async def review_page(access: OrgReader, page: Page) -> Response:
    return html(page.request, "review/review.html", await page.context(access))


@router.post(BASE + "/submission")
async def submit(access: OrgWriter, page: Page) -> Response:
    form = await page.request.form()

    async def run() -> None:
        body = parse(SubmissionCreate, {"message": text(form, "message", required=False)})
        await page.reviews.submit(access, page.doc, body.message)

    return await page.act(access, run)


@router.post(BASE + "/withdrawal")
async def withdraw(access: OrgWriter, page: Page) -> Response:
    return await page.act(access, lambda: page.reviews.withdraw(access, page.doc))


@router.post(BASE + "/verdict")
async def give_verdict(access: OrgReviewer, page: Page) -> Response:
    """Approve or request changes on the revision the reviewer had on screen."""
    form = await page.request.form()

    async def run() -> None:
        body = parse(
            ReviewCreate,
            {
                "verdict": text(form, "verdict", max_length=40),
                "body": text(form, "body", required=False, max_length=20_000),
                "revision": text(form, "revision", max_length=12) or None,
            },
        )
        await page.reviews.review(
            access, page.doc, body.verdict, body.body, body.sections, body.revision
        )

    return await page.act(access, run, "#verdicts")


@router.post(BASE + "/comments")
async def open_thread(access: OrgReviewer, page: Page) -> Response:
    form = await page.request.form()

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
        await page.comments.create(
            access, page.doc, body.section, body.body, body.quote, body.blocking
        )

    return await page.act(access, run, "#threads")


@router.post(BASE + "/comments/{thread}/replies")
async def reply(thread: uuid.UUID, access: OrgReviewer, page: Page) -> Response:
    form = await page.request.form()

    async def run() -> None:
        body = parse(ReplyCreate, {"body": text(form, "body", required=False, max_length=20_000)})
        await page.comments.reply(access, page.doc, thread, body.body)

    return await page.act(access, run, f"#t-{thread}")


@router.post(BASE + "/comments/{thread}")
async def change_thread(thread: uuid.UUID, access: OrgReviewer, page: Page) -> Response:
    """Resolve or reopen a thread, or make it blocking or not."""
    form = await page.request.form()

    async def run() -> None:
        values = {k: form.get(k) == "true" for k in ("resolved", "blocking") if k in form}
        body = parse(CommentPatch, values)
        await page.comments.update(
            access,
            page.doc,
            thread,
            None,
            resolved=body.resolved,
            blocking=body.blocking,
            body=None,
        )

    return await page.act(access, run, f"#t-{thread}")
