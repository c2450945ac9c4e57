"""The document reader (any revision or approved version) and the diff of two versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from signoff.core.pagination import PageRequest
from signoff.core.services import Services
from signoff.documents.deps import Documents, Policies, Reading
from signoff.documents.reader import DocumentRow, RevisionRow
from signoff.documents.rendering import RenderCache, status_of
from signoff.documents.runtime import DocumentsRuntime
from signoff.documents.schemas import VERSION_PATTERN, LintRead, diff_read, lint_read, summary
from signoff.documents.service.policy import LintPolicyService
from signoff.documents.service.reading import ReadingService, Snapshot
from signoff.orgs.service import OrgAccess
from signoff.review.router import Comments, Reviews
from signoff.review.schemas import approval_read, comment_read
from signoff.web.access import OrgReader
from signoff.web.article import annotate, cut
from signoff.web.render import html
from signoff.web.routing import web_router
from signoff.web.session import BrowserDep

router = web_router()
BASE = "/ui/orgs/{org}/documents/{doc}"
REF = r"^(\d+|\d+\.\d+)$"
# The switcher lists the head and the approved versions among the newest this many.
MAX_VERSIONS = 200
Number = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


async def versions(reading: ReadingService, document: DocumentRow) -> list[RevisionRow]:
    """What the version switcher offers: the head, then every approved version."""
    revisions, _ = await reading.revisions(document, PageRequest(limit=MAX_VERSIONS))
    return [r for r in revisions if r.number == document.head_revision or r.status == "approved"]


async def _lint(
    request: Request,
    access: OrgAccess,
    reading: ReadingService,
    policies: LintPolicyService,
    snap: Snapshot,
) -> LintRead:
    """Lint of a revision is a function of its text, the template, the organization's
    policy and the day: kept in the render cache under that key, since linting a large
    document is most of a reader page's cost."""
    policy = await policies.get(access)
    document = snap.document
    key = (
        document.id,
        snap.revision.number,
        "lint",
        status_of(document, snap.revision),
        policy.version if policy else 0,
        reading.today(),
        document.approval_expired_at,
    )
    cache: RenderCache = Services.of(request.app).part(DocumentsRuntime).render_cache
    cached = cache.get(key)
    if cached is not None:
        return LintRead.model_validate_json(cached)
    report, config = await reading.lint(access, snap)
    lint = lint_read(report, config)
    cache.put(key, lint.model_dump_json().encode())
    return lint


@router.get(BASE)
async def read_document(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reading: Reading,
    reviews: Reviews,
    comments: Comments,
    policies: Policies,
    revision: Number = None,
    version: Annotated[str | None, Query(pattern=VERSION_PATTERN)] = None,
) -> Response:
    document = await documents.get(access, doc)
    snap = await reading.snapshot(
        document, revision=None if version else revision or document.head_revision, version=version
    )
    head = snap.revision.number == document.head_revision
    rendered = (await reading.rendered(document, snap.revision, "html")).decode()
    article = cut(rendered, snap.sections)
    lint = await _lint(request, access, reading, policies, snap)
    # The head's sections, read once above, are what the round is judged on and where the
    # threads are placed: the services take them rather than read them again.
    sections = snap.sections if head else None
    approval = approval_read(await reviews.approval_of(document, sections)) if head else None
    threads, _ = await comments.page_of(document, PageRequest(limit=200), head=sections)
    annotate(article, approval, lint.findings, [comment_read(t) for t in threads])
    return html(
        request,
        "documents/reader.html",
        {
            "document": summary(document),
            "revision": snap.revision,
            "head": head,
            "article": article,
            "lint": lint,
            "approval": approval,
            "versions": await versions(reading, document),
            "can_write": access.role.label in ("member", "admin", "owner"),
        },
    )


@router.get(BASE + "/diff")
async def diff_document(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reading: Reading,
    from_: Annotated[str | None, Query(alias="from", pattern=REF)] = None,
    to: Annotated[str | None, Query(pattern=REF)] = None,
) -> Response:
    """Two versions section by section; changed, added and removed first. By default the
    last approved version against the head (or the first revision, before any approval)."""
    document = await documents.get(access, doc)
    old = from_ or (f"{document.major}.0" if document.major else "1")
    new = to or str(document.head_revision)
    before, after, diffs = await reading.diff(document, old, new)
    result = diff_read(before, after, diffs)
    order = {"changed": 0, "renamed": 0, "added": 1, "removed": 2, "unchanged": 3}
    ordered = sorted(result.sections, key=lambda s: order[s.status])
    return html(
        request,
        "documents/diff.html",
        {
            "document": summary(document),
            "diff": result,
            "sections": [(s, *_sides(s.diff)) for s in ordered],
            "old": old,
            "new": new,
            "versions": (await reading.revisions(document, PageRequest(limit=MAX_VERSIONS)))[0],
        },
    )


def _sides(unified: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A unified diff as two columns of (kind, line): removed on the left, added right."""
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for line in unified.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            left.append(("del", line[1:]))
        elif line.startswith("+"):
            right.append(("ins", line[1:]))
        else:
            left.append(("same", line[1:]))
            right.append(("same", line[1:]))
    return left, right
