"""Section owners, review policy, submission, verdicts, the approval view and comments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, Depends, Query, Request, Response

from signoff.core.bounds import DB_INT_MAX
from signoff.core.errors import PreconditionFailedError, PreconditionRequiredError
from signoff.core.pagination import Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events, IfMatchHeader, OptionalIfMatchHeader, PageDep
from signoff.documents.deps import Documents, Reading
from signoff.documents.errors import DocumentArchived, DocumentNotFound
from signoff.orgs.deps import MemberServiceDep, requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.review.attention import AttentionService
from signoff.review.comments import CommentService, thread_etag
from signoff.review.errors import (
    AlreadyApproved,
    AlreadyInReview,
    AuthorCannotApprove,
    CommentNotFound,
    InvalidOwnerRule,
    NotInReview,
    NotThreadModerator,
    PersonRequired,
    QuoteNotFound,
    StaleReview,
    SubmissionRefused,
    TooManyReplies,
    UnknownRevision,
    UnknownSection,
)
from signoff.review.filters import ThreadFilter
from signoff.review.metrics import ApprovalMetrics
from signoff.review.ownership import OwnerRule
from signoff.review.repository import ReviewRepository
from signoff.review.schemas import (
    ApprovalRead,
    CommentCreate,
    CommentPatch,
    CommentRead,
    DocumentReviewPolicyBody,
    DocumentReviewPolicyRead,
    OwnerRuleBody,
    ReplyCreate,
    ReviewCreate,
    ReviewCreated,
    ReviewPolicyBody,
    ReviewRead,
    RoundRead,
    SubmissionCreate,
    approval_read,
    comment_read,
    policy_read,
    review_read,
    round_read,
)
from signoff.review.service import (
    ReviewService,
    document_policy_etag,
    owners_etag,
    policy_etag,
)

router = signoff_router(tags=["review"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]
Reviewer = Annotated[OrgAccess, requires(Action.REVIEWS_WRITE)]
Admin = Annotated[OrgAccess, requires(Action.POLICY_MANAGE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
DOC_DENIED = (*DENIED, DocumentNotFound)
PRECONDITIONS = (PreconditionFailedError, PreconditionRequiredError)
BASE = "/orgs/{org}/documents/{doc}"


async def get_review_repo(request: Request, session: DbSession) -> ReviewRepository:
    return ReviewRepository(session, Services.of(request.app).cursors)


async def get_reviews(
    repo: Annotated[ReviewRepository, Depends(get_review_repo)],
    documents: Documents,
    reading: Reading,
    members: MemberServiceDep,
    events: Events,
    clock: ClockDep,
    request: Request,
) -> ReviewService:
    approvals = Services.of(request.app).part(ApprovalMetrics)
    return ReviewService(repo, documents, reading, members, events, clock, approvals)


Reviews = Annotated[ReviewService, Depends(get_reviews)]


async def get_comments(
    repo: Annotated[ReviewRepository, Depends(get_review_repo)],
    documents: Documents,
    reviews: Reviews,
    events: Events,
    clock: ClockDep,
) -> CommentService:
    return CommentService(repo, documents, reviews, events, clock)


Comments = Annotated[CommentService, Depends(get_comments)]


async def get_attention(
    repo: Annotated[ReviewRepository, Depends(get_review_repo)], clock: ClockDep
) -> AttentionService:
    return AttentionService(repo, clock)


Attention = Annotated[AttentionService, Depends(get_attention)]


@router.get("/orgs/{org}/section-owners", responses=problems(*DENIED))
async def get_section_owners(
    access: Reader, reviews: Reviews, response: Response
) -> list[OwnerRuleBody]:
    """Which teams own which sections. Every matching rule's team must approve the
    sections it owns in a review."""
    policy = await reviews.policy(access)
    response.headers["ETag"] = owners_etag(policy)
    return [OwnerRuleBody(pattern=r.pattern, team=r.team) for r in policy.owners]


@router.put(
    "/orgs/{org}/section-owners", responses=problems(*DENIED, InvalidOwnerRule, *PRECONDITIONS)
)
async def put_section_owners(
    rules: Annotated[list[OwnerRuleBody], Body(max_length=200)],
    access: Admin,
    reviews: Reviews,
    response: Response,
    if_match: IfMatchHeader = None,
) -> list[OwnerRuleBody]:
    """Replace the ownership rules (admins), e.g. `[{"pattern": "7.*", "team": "security"}]`;
    `If-Match` is required. Open rounds are judged by the new rules from their next action."""
    policy = await reviews.put_owners(
        access, [OwnerRule(r.pattern, r.team) for r in rules], if_match
    )
    response.headers["ETag"] = owners_etag(policy)
    return [OwnerRuleBody(pattern=r.pattern, team=r.team) for r in policy.owners]


@router.get("/orgs/{org}/review-policy", responses=problems(*DENIED))
async def get_review_policy(
    access: Reader, reviews: Reviews, response: Response
) -> ReviewPolicyBody:
    """Approvals a round needs by default, and after how many days an approval expires."""
    policy = await reviews.policy(access)
    response.headers["ETag"] = policy_etag(policy)
    return policy_read(policy)


@router.put("/orgs/{org}/review-policy", responses=problems(*DENIED, *PRECONDITIONS))
async def put_review_policy(
    body: ReviewPolicyBody,
    access: Admin,
    reviews: Reviews,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ReviewPolicyBody:
    """Set the review policy (admins); `If-Match` is required."""
    policy = await reviews.put_policy(
        access, body.required_approvals, body.approval_expiry_days, if_match
    )
    response.headers["ETag"] = policy_etag(policy)
    return policy_read(policy)


@router.get(f"{BASE}/review-policy", responses=problems(*DOC_DENIED))
async def get_document_review_policy(
    doc: str, access: Reader, reviews: Reviews, documents: Documents, response: Response
) -> DocumentReviewPolicyRead:
    """The document's own number of required approvals, if it overrides the default."""
    document = await documents.get(access, doc)
    policy = await reviews.policy(access)
    response.headers["ETag"] = document_policy_etag(document)
    return DocumentReviewPolicyRead(
        required_approvals=document.required_approvals,
        effective_required_approvals=document.required_approvals or policy.required_approvals,
    )


@router.put(
    f"{BASE}/review-policy", responses=problems(*DOC_DENIED, DocumentArchived, *PRECONDITIONS)
)
async def put_document_review_policy(
    doc: str,
    body: DocumentReviewPolicyBody,
    access: Writer,
    reviews: Reviews,
    response: Response,
    if_match: IfMatchHeader = None,
) -> DocumentReviewPolicyRead:
    """Override the number of approvals for this document (`null`: the organization's);
    `If-Match` is required. A round that now meets the policy is approved at once."""
    document = await reviews.put_document_policy(access, doc, body.required_approvals, if_match)
    policy = await reviews.policy(access)
    response.headers["ETag"] = document_policy_etag(document)
    return DocumentReviewPolicyRead(
        required_approvals=document.required_approvals,
        effective_required_approvals=document.required_approvals or policy.required_approvals,
    )


@router.post(
    f"{BASE}/submission",
    status_code=201,
    responses=problems(
        *DOC_DENIED, DocumentArchived, SubmissionRefused, AlreadyInReview, AlreadyApproved
    ),
)
async def create_submission(
    doc: str,
    access: Writer,
    reviews: Reviews,
    body: Annotated[SubmissionCreate | None, Body()] = None,
) -> RoundRead:
    """Submit the draft for review: opens a round on the current revision. Refused (409
    `submission_refused`) with every reason in `errors`: lint findings that block under the
    organization's policy, open blocking questions, nobody to review."""
    round_ = await reviews.submit(access, doc, body.message if body else "")
    return round_read(round_)


@router.delete(f"{BASE}/submission", responses=problems(*DOC_DENIED, DocumentArchived, NotInReview))
async def delete_submission(doc: str, access: Writer, reviews: Reviews) -> RoundRead:
    """Withdraw the document from review, back to draft; the round's verdicts end with it."""
    return round_read(await reviews.withdraw(access, doc))


@router.get(f"{BASE}/reviews", responses=problems(*DOC_DENIED))
async def list_reviews(
    doc: str,
    access: Reader,
    reviews: Reviews,
    page: PageDep,
    round: Annotated[
        int | None, Query(ge=1, le=DB_INT_MAX, description="Only this round's.")
    ] = None,
) -> Page[ReviewRead]:
    """Every verdict, oldest first, with the section hashes it was given on and whether an
    edit dismissed it."""
    items, rounds, cursor = await reviews.reviews(access, doc, round, page)
    return Page(
        items=[review_read(r, rounds[r.round_id].number) for r in items], next_cursor=cursor
    )


@router.post(
    f"{BASE}/reviews",
    status_code=201,
    responses=problems(
        *DOC_DENIED,
        DocumentArchived,
        NotInReview,
        AuthorCannotApprove,
        PersonRequired,
        UnknownSection,
        UnknownRevision,
        StaleReview,
    ),
)
async def create_review(
    doc: str, body: ReviewCreate, access: Reviewer, reviews: Reviews
) -> ReviewCreated:
    """Give a verdict: `approve` (with the `revision` you read), `request_changes` or
    `comment`. An approval records the content hash of each section it covers; when the
    round then meets the policy, the document is approved in the same transaction."""
    review, document = await reviews.review(
        access, doc, body.verdict, body.body, body.sections, body.revision
    )
    round_ = (await reviews.rounds.repo.rounds([review.round_id]))[review.round_id]
    return ReviewCreated(
        **review_read(review, round_.number).model_dump(),
        document_status=document.status,
        document_version=document.version,
    )


@router.get(f"{BASE}/approval", responses=problems(*DOC_DENIED))
async def get_approval(doc: str, access: Reader, reviews: Reviews) -> ApprovalRead:
    """What is approved, by whom, on which section hashes, and exactly what is missing."""
    return approval_read(await reviews.approval(access, doc))


@router.get(f"{BASE}/comments", responses=problems(*DOC_DENIED))
async def list_comments(
    doc: str,
    access: Reader,
    comments: Comments,
    page: PageDep,
    section: Annotated[str | None, Query(max_length=128, description="Id or number.")] = None,
    resolved: bool | None = None,
    blocking: bool | None = None,
) -> Page[CommentRead]:
    """Comment threads, oldest first, with their replies and whether they are outdated."""
    filters = ThreadFilter(section, resolved, blocking)
    views, cursor = await comments.page(access, doc, page, filters)
    return Page(items=[comment_read(v) for v in views], next_cursor=cursor)


@router.post(
    f"{BASE}/comments",
    status_code=201,
    responses=problems(
        *DOC_DENIED, DocumentArchived, PersonRequired, UnknownSection, QuoteNotFound
    ),
)
async def create_comment(
    doc: str, body: CommentCreate, access: Reviewer, comments: Comments, response: Response
) -> CommentRead:
    """Open a thread on a section, optionally quoting a passage of it; `blocking` threads
    must be resolved before the document can be approved."""
    view = await comments.create(access, doc, body.section, body.body, body.quote, body.blocking)
    response.headers["Location"] = (
        f"/v1/orgs/{access.org.slug}/documents/{doc}/comments/{view.thread.id}"
    )
    response.headers["ETag"] = thread_etag(view.thread)
    return comment_read(view)


@router.get(f"{BASE}/comments/{{comment_id}}", responses=problems(*DOC_DENIED, CommentNotFound))
async def get_comment(
    doc: str, comment_id: uuid.UUID, access: Reader, comments: Comments, response: Response
) -> CommentRead:
    """One thread with its replies."""
    view = await comments.get(access, doc, comment_id)
    response.headers["ETag"] = thread_etag(view.thread)
    return comment_read(view)


@router.post(
    f"{BASE}/comments/{{comment_id}}/replies",
    status_code=201,
    responses=problems(
        *DOC_DENIED, DocumentArchived, PersonRequired, CommentNotFound, TooManyReplies
    ),
)
async def create_comment_reply(
    doc: str, comment_id: uuid.UUID, body: ReplyCreate, access: Reviewer, comments: Comments
) -> CommentRead:
    """Reply in a thread (a resolved thread stays resolved)."""
    return comment_read(await comments.reply(access, doc, comment_id, body.body))


@router.patch(
    f"{BASE}/comments/{{comment_id}}",
    responses=problems(
        *DOC_DENIED,
        DocumentArchived,
        PersonRequired,
        CommentNotFound,
        NotThreadModerator,
        PreconditionFailedError,
    ),
)
async def update_comment(
    doc: str,
    comment_id: uuid.UUID,
    body: CommentPatch,
    access: Reviewer,
    comments: Comments,
    response: Response,
    if_match: OptionalIfMatchHeader = None,
) -> CommentRead:
    """Resolve or reopen a thread (its author, the document's authors, admins), make it
    blocking or not (its author, admins), or edit its text (its author). `If-Match` is
    optional here: resolving twice is harmless."""
    view = await comments.update(
        access,
        doc,
        comment_id,
        if_match,
        resolved=body.resolved,
        blocking=body.blocking,
        body=body.body,
    )
    response.headers["ETag"] = thread_etag(view.thread)
    return comment_read(view)
