"""Comment threads anchored to a section (and optionally a quoted passage), with replies.

A thread stays attached to its section by stable id whatever happens to the text; it shows
as outdated when the quoted passage is gone from the section, or (without a quote) when the
section changed since the thread was opened. Blocking threads hold back approval until
resolved; resolving one may complete the round.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.core.permissions import Role
from signoff.documents.reader import DocumentRef, SectionRef
from signoff.documents.service.documents import DocumentService
from signoff.orgs.service import OrgAccess
from signoff.review.errors import (
    CommentNotFound,
    NotThreadModerator,
    QuoteNotFound,
    TooManyReplies,
    UnknownSection,
)
from signoff.review.events import About, Change, CommentChanged, CommentReplied, about
from signoff.review.filters import ThreadFilter
from signoff.review.mentions import handles
from signoff.review.models import CommentReply, CommentThread
from signoff.review.repository import ReviewRepository
from signoff.review.service import ReviewService, find

MAX_REPLIES = 500


def thread_etag(thread: CommentThread) -> str:
    return etag_of("comment", thread.id, thread.version)


@dataclass(frozen=True)
class ThreadView:
    thread: CommentThread
    replies: list[CommentReply]
    section: SectionRef | None  # as it is now; None when the section is gone

    @property
    def outdated(self) -> bool:
        if self.section is None:
            return True
        if self.thread.quote:
            return self.thread.quote not in self.section.body
        return self.section.content_hash != self.thread.anchor_hash


class CommentService:
    def __init__(
        self,
        repo: ReviewRepository,
        documents: DocumentService,
        reviews: ReviewService,
        events: EventRecorder,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._documents = documents
        self._reviews = reviews
        self._events = events
        self._clock = clock

    async def create(
        self,
        access: OrgAccess,
        ref: str,
        section_ref: str,
        body: str,
        quote: str | None,
        blocking: bool,
    ) -> ThreadView:
        member = await self._reviews.person(access)
        document = await self._documents.writable(access, ref)
        head = await self._reviews.rounds.head_sections(document)
        section = find(head, section_ref)
        if section is None:
            raise UnknownSection(
                errors=[{"pointer": "/section", "detail": f"no section '{section_ref}'"}]
            )
        if quote is not None and quote not in section.body:
            raise QuoteNotFound(
                f"The quote is not in §{section.number or section.section_id} as it is now.",
                errors=[{"pointer": "/quote", "detail": "not found in the section's body"}],
            )
        round_ = await self._repo.open_round(document.id)
        now = self._clock.now()
        thread = CommentThread(
            org_id=document.org_id,
            document_id=document.id,
            round_id=round_.id if round_ else None,
            section_id=section.section_id,
            section_number=section.number,
            quote=quote,
            anchor_hash=section.content_hash,
            revision=document.head_revision,
            body=body,
            author_id=member.user.id,
            author_name=member.user.name,
            blocking=blocking,
            replies=0,
            created_at=now,
            updated_at=now,
            version=1,
        )
        await self._repo.add(thread)
        await self._repo.index_mentions(thread, handles(body))
        await self._events.emit(_changed(document, thread, "created"))
        return ThreadView(thread, [], section)

    async def reply(
        self, access: OrgAccess, ref: str, thread_id: uuid.UUID, body: str
    ) -> ThreadView:
        member = await self._reviews.person(access)
        document = await self._documents.writable(access, ref)
        thread = await self._thread(document, thread_id)
        if thread.replies >= MAX_REPLIES:
            raise TooManyReplies(f"A thread holds at most {MAX_REPLIES} replies: open a new one.")
        now = self._clock.now()
        reply = CommentReply(
            thread_id=thread.id,
            body=body,
            author_id=member.user.id,
            author_name=member.user.name,
            created_at=now,
        )
        await self._repo.add(reply)
        await self._repo.index_mentions(thread, handles(body))
        thread.replies += 1
        thread.updated_at, thread.version = now, thread.version + 1
        await self._events.emit(CommentReplied(**_on(document, thread), reply_id=reply.id))
        return await self._view(document, thread)

    async def update(
        self,
        access: OrgAccess,
        ref: str,
        thread_id: uuid.UUID,
        if_match: str | None,
        *,
        resolved: bool | None,
        blocking: bool | None,
        body: str | None,
    ) -> ThreadView:
        """Resolve or reopen (the thread's author, the document's authors, admins); make it
        blocking or not (its author, admins); edit its text (its author)."""
        member = await self._reviews.person(access)
        document = await self._documents.writable(access, ref)
        thread = await self._thread(document, thread_id)
        if if_match is not None:
            require_if_match(if_match, thread_etag(thread))
        mine = thread.author_id == member.user.id
        admin = access.role >= Role.ADMIN
        author = member.user.id in await self._repo.authors(document)
        if resolved is not None and not (mine or author or admin):
            raise NotThreadModerator("Resolving needs the thread's author, an author or an admin.")
        if blocking is not None and not (mine or admin):
            raise NotThreadModerator("Only the thread's author or an admin changes blocking.")
        if body is not None and not mine:
            raise NotThreadModerator("Only the thread's author edits its text.")
        now = self._clock.now()
        changed: list[Change] = []
        if resolved is not None and resolved != (thread.resolved_at is not None):
            thread.resolved_at = now if resolved else None
            thread.resolved_by = member.user.name if resolved else None
            changed.append("resolved" if resolved else "reopened")
        if blocking is not None and blocking != thread.blocking:
            thread.blocking = blocking
            changed.append("updated")
        if body is not None and body != thread.body:
            thread.body = body
            replies = (await self._repo.replies([thread.id]))[thread.id]
            names = handles(body).union(*(handles(r.body) for r in replies))
            await self._repo.index_mentions(thread, names, replace=True)
            changed.append("updated")
        if changed:
            thread.updated_at, thread.version = now, thread.version + 1
            for change in dict.fromkeys(changed):
                await self._events.emit(_changed(document, thread, change))
            round_ = await self._repo.open_round(document.id)
            if round_ is not None:
                await self._reviews.rounds.complete_if_met(document, round_, access.principal.key)
        return await self._view(document, thread)

    async def get(self, access: OrgAccess, ref: str, thread_id: uuid.UUID) -> ThreadView:
        document = await self._documents.get(access, ref)
        return await self._view(document, await self._thread(document, thread_id))

    async def page(
        self,
        access: OrgAccess,
        ref: str,
        page: PageRequest,
        filters: ThreadFilter | None = None,
    ) -> tuple[list[ThreadView], str | None]:
        return await self.page_of(await self._documents.get(access, ref), page, filters)

    async def page_of(
        self,
        document: DocumentRef,
        page: PageRequest,
        filters: ThreadFilter | None = None,
        head: Sequence[SectionRef] | None = None,
    ) -> tuple[list[ThreadView], str | None]:
        """Threads of a document the caller has read through the documents service;
        ``head``: the head revision's sections when the caller has them already."""
        if head is None:
            head = await self._reviews.rounds.head_sections(document)
        filters = filters or ThreadFilter()
        if filters.section is not None:
            section = find(head, filters.section)
            if section is not None:
                filters = filters.at_section(section.section_id)
        threads, cursor = await self._repo.thread_page(document.id, page, filters)
        replies = await self._repo.replies([t.id for t in threads])
        by_id = {s.section_id: s for s in head}
        views = [ThreadView(t, replies[t.id], by_id.get(t.section_id)) for t in threads]
        return views, cursor

    async def _thread(self, document: DocumentRef, thread_id: uuid.UUID) -> CommentThread:
        thread = await self._repo.thread(document.id, thread_id)
        if thread is None:
            raise CommentNotFound()
        return thread

    async def _view(self, document: DocumentRef, thread: CommentThread) -> ThreadView:
        head = await self._reviews.rounds.head_sections(document)
        replies = (await self._repo.replies([thread.id]))[thread.id]
        return ThreadView(
            thread, replies, next((s for s in head if s.section_id == thread.section_id), None)
        )


class OnThread(About):
    comment_id: uuid.UUID
    section_id: str
    section: str | None


def _on(document: DocumentRef, thread: CommentThread) -> OnThread:
    return {
        **about(document),
        "comment_id": thread.id,
        "section_id": thread.section_id,
        "section": thread.section_number,
    }


def _changed(document: DocumentRef, thread: CommentThread, change: Change) -> CommentChanged:
    return CommentChanged(**_on(document, thread), change=change, blocking=thread.blocking)
