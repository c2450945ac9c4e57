"""Review policy, submission, verdicts and the approval view. Every change locks the
document row first, so edits, verdicts and the completion check of one document are
serialized: an approval is always judged against the head it will be counted on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import Event, EventRecorder
from signoff.core.pagination import PageRequest
from signoff.documents.reader import (
    DocumentReader,
    DocumentRef,
    HeadSection,
    LockedDocument,
    SectionRef,
)
from signoff.documents.service.documents import DocumentService
from signoff.documents.service.reading import ReadingService
from signoff.orgs.service import MemberService, OrgAccess
from signoff.orgs.service.members import Member
from signoff.review.engine import Judged, Policy, Rounds, policy_of
from signoff.review.errors import (
    AlreadyApproved,
    AlreadyInReview,
    AuthorCannotApprove,
    InvalidOwnerRule,
    NotInReview,
    PersonRequired,
    StaleReview,
    SubmissionRefused,
    UnknownRevision,
    UnknownSection,
)
from signoff.review.events import (
    DocumentPolicyChanged,
    DocumentSubmitted,
    DocumentWithdrawn,
    ReviewPolicyUpdated,
    ReviewSubmitted,
    SectionOwnersUpdated,
    about,
)
from signoff.review.metrics import ApprovalMetrics
from signoff.review.models import Review, ReviewPolicy, ReviewRound
from signoff.review.ownership import OwnerRule, owned_sections, valid_pattern
from signoff.review.repository import ReviewRepository


def owners_etag(policy: Policy) -> str:
    return etag_of("section-owners", policy.version)


def policy_etag(policy: Policy) -> str:
    return etag_of("review-policy", policy.version)


def document_policy_etag(document: DocumentRef) -> str:
    return etag_of("document-review-policy", document.id, document.required_approvals or 0)


def find(sections: Sequence[SectionRef], ref: str) -> SectionRef | None:
    """A section by stable id, else by number (`7.2` or `§7.2`)."""
    found = next((s for s in sections if s.section_id == ref), None)
    number = ref.removeprefix("§")
    return found or next((s for s in sections if s.number == number), None)


def covered_entry(section: SectionRef) -> dict[str, str | None]:
    return {
        "section_id": section.section_id,
        "number": section.number,
        "hash": section.content_hash,
    }


@dataclass(frozen=True)
class ApprovalView:
    document: DocumentRef
    round: ReviewRound | None
    judged: Judged
    reviews: list[Review]
    last_approved: ReviewRound | None


class ReviewService:
    def __init__(
        self,
        repo: ReviewRepository,
        documents: DocumentService,
        reading: ReadingService,
        members: MemberService,
        events: EventRecorder,
        clock: Clock,
        approvals: ApprovalMetrics,
    ) -> None:
        self._repo = repo
        self._documents = documents
        self._reading = reading
        self._members = members
        self._events = events
        self._clock = clock
        self.rounds = Rounds(repo, events, clock, approvals)

    # --- the organization's policy -----------------------------------------------------

    async def policy(self, access: OrgAccess) -> Policy:
        return await self.rounds.policy(access.org_id)

    async def _policy_row(self, access: OrgAccess) -> ReviewPolicy:
        row = await self._repo.policy(access.org_id)
        if row is None:
            row = ReviewPolicy(
                org_id=access.org_id,
                owners=[],
                required_approvals=1,
                approval_expiry_days=None,
                version=0,
                updated_at=self._clock.now(),
            )
            await self._repo.add(row)
        return row

    async def put_owners(
        self, access: OrgAccess, rules: Sequence[OwnerRule], if_match: str | None
    ) -> Policy:
        require_if_match(if_match, owners_etag(await self.policy(access)))
        teams = await self._repo.teams_exist(access.org_id, sorted({r.team for r in rules}))
        errors = [
            {"pointer": f"/{i}/pattern", "detail": f"'{r.pattern}' is not a section pattern"}
            for i, r in enumerate(rules)
            if not valid_pattern(r.pattern)
        ] + [
            {"pointer": f"/{i}/team", "detail": f"no team '{r.team}' in the organization"}
            for i, r in enumerate(rules)
            if r.team not in teams
        ]
        if errors:
            raise InvalidOwnerRule(errors=errors)
        row = await self._policy_row(access)
        row.owners = [{"pattern": r.pattern, "team": r.team} for r in rules]
        subject = f"orgs/{access.org.slug}"
        owners = SectionOwnersUpdated(org_id=access.org_id, subject=subject, rules=row.owners)
        return await self._saved(row, owners)

    async def put_policy(
        self,
        access: OrgAccess,
        required_approvals: int,
        approval_expiry_days: int | None,
        if_match: str | None,
    ) -> Policy:
        require_if_match(if_match, policy_etag(await self.policy(access)))
        row = await self._policy_row(access)
        row.required_approvals, row.approval_expiry_days = required_approvals, approval_expiry_days
        updated = ReviewPolicyUpdated(
            org_id=access.org_id,
            subject=f"orgs/{access.org.slug}",
            required_approvals=required_approvals,
            approval_expiry_days=approval_expiry_days,
        )
        return await self._saved(row, updated)

    async def _saved(self, row: ReviewPolicy, event: Event) -> Policy:
        row.version += 1
        row.updated_at = self._clock.now()
        await self._repo.session.flush()
        await self._events.emit(event)
        return policy_of(row)

    async def put_document_policy(
        self, access: OrgAccess, ref: str, required_approvals: int | None, if_match: str | None
    ) -> DocumentRef:
        document = await self._documents.writable(access, ref)
        require_if_match(if_match, document_policy_etag(document))
        document.required_approvals = required_approvals
        await self._events.emit(
            DocumentPolicyChanged(**about(document), required=required_approvals)
        )
        round_ = await self._repo.open_round(document.id)
        if round_ is not None:
            await self.rounds.complete_if_met(document, round_, access.principal.key)
        return document

    # --- submission --------------------------------------------------------------------

    async def submit(self, access: OrgAccess, ref: str, message: str) -> ReviewRound:
        document = await self._documents.writable(access, ref)
        if document.status == "in_review":
            raise AlreadyInReview(f"{document.key} is in review (round in progress).")
        if document.status == "approved":
            raise AlreadyApproved(f"{document.key} is approved at version {document.version}.")
        reasons = await self._refusals(access, document)
        if reasons:
            raise SubmissionRefused(
                f"{document.key} cannot be submitted: {len(reasons)} reason(s), listed in errors.",
                errors=reasons,
            )
        now = self._clock.now()
        round_ = ReviewRound(
            org_id=document.org_id,
            document_id=document.id,
            number=await self._repo.next_round_number(document.id),
            opened_revision=document.head_revision,
            opened_version=document.version,
            opened_by=access.principal.key,
            opened_at=now,
            message=message,
            outcome="open",
            approvals=[],
        )
        await self._repo.add(round_)
        document.status, document.updated_at = "in_review", now
        judged = await self.rounds.judge(document, round_)
        submitted = DocumentSubmitted(
            **about(document),
            round=round_.number,
            revision=document.head_revision,
            version=document.version,
            reviewers={
                "users": sorted(str(u) for u in judged.state.reviewer_users),
                "teams": sorted(judged.state.reviewer_teams),
            },
            owners={
                team: [judged.state.numbers.get(s) or s for s in ids]
                for team, ids in judged.owners.items()
            },
            required_approvals=judged.state.required_approvals,
        )
        await self._events.emit(submitted)
        return round_

    async def _refusals(
        self, access: OrgAccess, document: LockedDocument
    ) -> list[dict[str, object]]:
        """Every reason the policy forbids submitting, not only the first."""
        reasons: list[dict[str, object]] = []
        report, config = await self._reading.lint(access, await self._reading.snapshot(document))
        for finding in report.findings:
            if finding.severity in config.blocking_severities:
                reasons.append(
                    {
                        "code": "lint",
                        "rule": finding.rule,
                        "severity": finding.severity.value,
                        "section": finding.section,
                        "detail": finding.message,
                    }
                )
        for question in await self._repo.blocking_questions(document):
            reasons.append(
                {
                    "code": "blocking_question",
                    "question": question,
                    "detail": f"The blocking question '{question}' (§16.2) is open.",
                }
            )
        state = (await self.rounds.judge(document, None)).state
        if (
            not (state.reviewer_users - state.authors)
            and not state.reviewer_teams
            and not state.owners
        ):
            reasons.append(
                {
                    "code": "no_reviewers",
                    "detail": "Nobody would review it: add reviewers (PATCH the document) or "
                    "section owners (PUT /section-owners) whose sections it has.",
                }
            )
        return reasons

    async def withdraw(self, access: OrgAccess, ref: str) -> ReviewRound:
        document = await self._documents.writable(access, ref)
        round_ = await self._repo.open_round(document.id)
        if round_ is None:
            raise NotInReview(f"{document.key} is not in review.")
        now = self._clock.now()
        round_.outcome, round_.closed_at, round_.closed_by = "withdrawn", now, access.principal.key
        document.status, document.updated_at = "draft", now
        await self._repo.session.flush()
        await self._events.emit(DocumentWithdrawn(**about(document), round=round_.number))
        return round_

    # --- verdicts ----------------------------------------------------------------------

    async def person(self, access: OrgAccess) -> Member:
        """Reviews and comments are signed by a person: never an API key or a service
        account, whose approval would say nothing about who read the document."""
        if access.principal.user_id is None or access.principal.kind != "user":
            raise PersonRequired()
        return await self._members.get(access, access.principal.user_id)

    async def review(
        self,
        access: OrgAccess,
        ref: str,
        verdict: str,
        body: str,
        sections: Sequence[str] | None,
        revision: int | None,
    ) -> tuple[Review, DocumentRef]:
        member = await self.person(access)
        user = member.user
        document = await self._documents.writable(access, ref)
        round_ = await self._repo.open_round(document.id)
        if round_ is None:
            raise NotInReview(f"{document.key} is not in review: verdicts need an open round.")
        if verdict != "comment" and user.id in await self._repo.authors(document):
            # An author's change request could only be lifted by their own approval.
            raise AuthorCannotApprove(f"{user.name} is an author of {document.key}.")
        judged = await self.rounds.judge(document, round_)
        head = judged.sections
        asked = _resolve(head, sections or [])
        if asked:
            covered, whole = asked, False
        elif verdict == "comment":
            covered, whole = [], False
        else:
            covered, whole = await self._default_cover(access, user.id, judged)
        seen = revision or document.head_revision
        if verdict != "comment":
            await self._check_seen(document, seen, covered, whole, head)
        review = Review(
            org_id=document.org_id,
            document_id=document.id,
            round_id=round_.id,
            reviewer_id=user.id,
            reviewer_name=user.name,
            reviewer_email=user.email,
            verdict=verdict,
            body=body,
            whole_document=whole,
            covered=[covered_entry(s) for s in covered],
            revision=seen,
            created_at=self._clock.now(),
        )
        await self._repo.add(review)
        reviewed = ReviewSubmitted(
            **about(document),
            round=round_.number,
            review_id=review.id,
            verdict=verdict,
            reviewer_id=user.id,
            reviewer=user.name,
            revision=seen,
            whole_document=whole,
            sections=review.covered,
        )
        await self._events.emit(reviewed)
        await self.rounds.complete_if_met(document, round_, access.principal.key)
        return review, document

    async def _default_cover(
        self, access: OrgAccess, user_id: uuid.UUID, judged: Judged
    ) -> tuple[list[SectionRef], bool]:
        """No section list: a requested reviewer (in person or through a team) covers the
        whole document; a member of owning teams covers their teams' sections; anyone else
        covers the whole document."""
        state = judged.state
        teams = await self._repo.teams_of(access.org_id, user_id)
        asked_for = user_id in state.reviewer_users or bool(teams & state.reviewer_teams)
        owned = {sid for team in teams & set(judged.owners) for sid in judged.owners[team]}
        if asked_for or not owned:
            return list(judged.sections), True
        return [s for s in judged.sections if s.section_id in owned], False

    async def _check_seen(
        self,
        document: DocumentRef,
        seen: int,
        covered: Sequence[SectionRef],
        whole: bool,
        head: Sequence[SectionRef],
    ) -> None:
        """A verdict is about the revision the reviewer read: refused when any section it
        covers changed since (the client reads again and decides again)."""
        if seen == document.head_revision:
            return
        # Revision numbers are a gapless sequence from 1 to the head's.
        if not 0 < seen <= document.head_revision:
            raise UnknownRevision(
                f"{document.key} has no revision {seen}.",
                errors=[{"pointer": "/revision", "detail": "not a revision of the document"}],
            )
        reader = DocumentReader(self._repo.session, document.org_id)
        then = {s.section_id: s.content_hash for s in await reader.sections(document.id, seen)}
        changed = [s for s in covered if then.get(s.section_id) != s.content_hash]
        if whole and set(then) != {s.section_id for s in head}:
            changed = list(head)
        if changed:
            raise StaleReview(
                f"Sections changed since revision {seen}; read revision "
                f"{document.head_revision} and review again.",
                errors=[
                    {
                        "section_id": s.section_id,
                        "number": s.number,
                        "detail": f"§{s.number or s.section_id} changed since revision {seen}",
                    }
                    for s in changed
                ],
                current_revision=document.head_revision,
            )

    async def reviews(
        self, access: OrgAccess, ref: str, round_number: int | None, page: PageRequest
    ) -> tuple[list[Review], dict[uuid.UUID, ReviewRound], str | None]:
        document = await self._documents.get(access, ref)
        round_id = None
        if round_number is not None:
            wanted = await self._repo.round_by_number(document.id, round_number)
            round_id = wanted.id if wanted else uuid.UUID(int=0)
        items, cursor = await self._repo.review_page(document.id, round_id, page)
        rounds = await self._repo.rounds(sorted({r.round_id for r in items}))
        return items, rounds, cursor

    async def approval(self, access: OrgAccess, ref: str) -> ApprovalView:
        return await self.approval_of(await self._documents.get(access, ref))

    async def approval_of(
        self, document: DocumentRef, head: Sequence[HeadSection] | None = None
    ) -> ApprovalView:
        """The approval view of a document the caller has read through the documents
        service (its access is checked there); ``head``: the head revision's sections when
        the caller has them already (the reader page), so they are read once."""
        round_, last = await self._repo.open_and_approved(document.id)
        judged = await self.rounds.judge(document, round_, head)
        return ApprovalView(document, round_, judged, judged.reviews, last)

    async def owner_teams(
        self, access: OrgAccess, documents: Sequence[DocumentRef]
    ) -> dict[uuid.UUID, list[str]]:
        """The teams that own sections of each document's head under the organization's
        ownership rules (those ``GET .../approval`` judges by), for a list of documents:
        two statements whatever their number."""
        policy = await self.policy(access)
        if not policy.owners or not documents:
            return {}
        reader = DocumentReader(self._repo.session, access.org_id)
        outlines = await reader.head_outlines(d.id for d in documents)
        return {
            doc_id: sorted(owned_sections(policy.owners, outline))
            for doc_id, outline in outlines.items()
        }


def _resolve(head: Sequence[SectionRef], refs: Sequence[str]) -> list[SectionRef]:
    found: list[SectionRef] = []
    errors = []
    for i, ref in enumerate(refs):
        section = find(head, ref)
        if section is None:
            errors.append({"pointer": f"/sections/{i}", "detail": f"no section '{ref}'"})
        elif section not in found:
            found.append(section)
    if errors:
        raise UnknownSection(errors=errors)
    return found
