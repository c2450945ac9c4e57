"""Revisions, diffs, lint, search and the lint policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response

from signoff.core.access import AUTHENTICATED
from signoff.core.bounds import DB_INT_MAX
from signoff.core.errors import InvalidCursorError, UnsupportedMediaTypeError
from signoff.core.pagination import CursorCodec, Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.web import ClockDep, IfMatchHeader, PageDep
from signoff.docformat import DEFAULT_SEVERITIES, LintConfig
from signoff.documents.body import markdown_body
from signoff.documents.deps import Documents, Policies, Reading
from signoff.documents.errors import (
    DocumentNotFound,
    DocumentTooLargeError,
    InvalidLintPolicy,
    InvalidMarkdown,
    NotUtf8,
    RevisionNotFound,
)
from signoff.documents.schemas import (
    REF_PATTERN,
    DiffRead,
    LintPolicyPut,
    LintPolicyRead,
    LintRead,
    RevisionDetail,
    RevisionRead,
    SearchHitRead,
    diff_read,
    lint_read,
    policy_read,
    revision_read,
    search_hit,
    section_summary,
)
from signoff.documents.service.policy import policy_etag
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.templates import service as templates
from signoff.templates.errors import TemplateNotFound

router = signoff_router(tags=["documents"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
BASE = "/orgs/{org}/documents/{doc}"
DEFAULTS = {rule: severity.value for rule, severity in DEFAULT_SEVERITIES.items()}


@router.get(f"{BASE}/revisions", responses=problems(*DENIED, DocumentNotFound))
async def list_revisions(
    doc: str, access: Reader, documents: Documents, reading: Reading, page: PageDep
) -> Page[RevisionRead]:
    """The document's history, newest first: who changed what, when."""
    items, cursor = await reading.revisions(await documents.get(access, doc), page)
    return Page(items=[revision_read(r) for r in items], next_cursor=cursor)


@router.get(
    f"{BASE}/revisions/{{revision}}",
    responses=problems(*DENIED, DocumentNotFound, RevisionNotFound),
)
async def get_revision(
    doc: str,
    revision: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    access: Reader,
    documents: Documents,
    reading: Reading,
) -> RevisionDetail:
    """One revision and the sections it holds (export it with `GET ...?revision=N`)."""
    snap = await reading.snapshot(await documents.get(access, doc), revision=revision)
    return RevisionDetail(
        **revision_read(snap.revision).model_dump(),
        sections=[section_summary(s) for s in snap.sections],
    )


@router.get(f"{BASE}/diff", responses=problems(*DENIED, DocumentNotFound, RevisionNotFound))
async def get_diff(
    doc: str,
    access: Reader,
    documents: Documents,
    reading: Reading,
    from_: Annotated[
        str, Query(alias="from", pattern=REF_PATTERN, description="Revision or version.")
    ],
    to: Annotated[str | None, Query(pattern=REF_PATTERN, description="Default: the head.")] = None,
) -> DiffRead:
    """Per-section unified diff between two revisions or versions."""
    document = await documents.get(access, doc)
    before, after, diffs = await reading.diff(document, from_, to or str(document.head_revision))
    return diff_read(before, after, diffs)


@router.get(f"{BASE}/lint", responses=problems(*DENIED, DocumentNotFound, RevisionNotFound))
async def get_lint(
    doc: str,
    access: Reader,
    documents: Documents,
    reading: Reading,
    revision: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
) -> LintRead:
    """Lint findings and the completeness score, under the organization's lint policy."""
    snap = await reading.snapshot(await documents.get(access, doc), revision=revision)
    report, config = await reading.lint(access, snap)
    return lint_read(report, config)


@router.post(
    "/lint",
    dependencies=[AUTHENTICATED],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        }
    },
    responses=problems(
        InvalidMarkdown, DocumentTooLargeError, NotUtf8, UnsupportedMediaTypeError, TemplateNotFound
    ),
)
async def lint_markdown(
    request: Request,
    documents: Documents,
    clock: ClockDep,
    template: Annotated[str, Query(max_length=100)] = templates.BUILTIN_SLUG,
) -> LintRead:
    """Lint a Markdown document sent as is, against a built-in template; nothing is stored."""
    text = await markdown_body(request)
    config = LintConfig()
    report = await documents.lint_text(
        text, templates.builtin(template).parsed, clock.now().date(), config
    )
    return lint_read(report, config)


@router.get("/orgs/{org}/search", responses=problems(*DENIED, InvalidCursorError))
async def search_documents(
    request: Request,
    access: Reader,
    reading: Reading,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to find.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[SearchHitRead]:
    """Full-text search over titles and sections, best matches first, each with a snippet
    whose matched words are in `<mark>`."""
    cursors: CursorCodec = Services.of(request.app).cursors
    scope = f"search:{access.org_id}:{q}"
    offset = 0
    if cursor is not None:
        values = cursors.decode(scope, cursor)
        if len(values) != 1 or not isinstance(values[0], int) or values[0] < 0:
            raise InvalidCursorError("The cursor is not one this server issued.")
        offset = values[0]
    results = await reading.search(access, q, limit + 1, offset)
    more = len(results) > limit
    return Page(
        items=[search_hit(r) for r in results[:limit]],
        next_cursor=cursors.encode(scope, [offset + limit]) if more else None,
    )


@router.get("/orgs/{org}/lint-policy", responses=problems(*DENIED))
async def get_lint_policy(access: Reader, policies: Policies, response: Response) -> LintPolicyRead:
    """Which lint rules run, at which severity, and which severities block review."""
    policy = await policies.get(access)
    response.headers["ETag"] = policy_etag(policy)
    return policy_read(policy, DEFAULTS)


@router.put("/orgs/{org}/lint-policy", responses=problems(*DENIED, InvalidLintPolicy))
async def put_lint_policy(
    body: LintPolicyPut,
    access: Annotated[OrgAccess, requires(Action.POLICY_MANAGE)],
    policies: Policies,
    response: Response,
    if_match: IfMatchHeader = None,
) -> LintPolicyRead:
    """Set the lint policy (admins); `If-Match` is required."""
    policy = await policies.put(
        access,
        if_match,
        enabled=body.enabled,
        disabled=body.disabled,
        severities=dict(body.severities),
        blocking=list(body.blocking_severities),
    )
    response.headers["ETag"] = policy_etag(policy)
    return policy_read(policy, DEFAULTS)
