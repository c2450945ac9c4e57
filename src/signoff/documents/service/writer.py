"""Saving a new state of a document as an immutable revision.

Every change (an import, a push of Markdown, one section, the title or authors) goes
through ``RevisionWriter.save``: sections are matched to the previous revision by stable
id, unchanged section states are shared rather than copied, the search index is updated
for the sections that changed, and one event says what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import CursorCodec
from signoff.docformat import Section, section_hash
from signoff.documents.events import DocumentStateChanged, RevisionSaved
from signoff.documents.models import Document, Revision, SectionVersion
from signoff.documents.repository import DocumentRepository


def version_label(major: int, minor: int) -> str:
    """`major.minor`: minor counts the revisions since the last approval, which made major."""
    return f"{major}.{minor}"


@dataclass(frozen=True)
class Snapshot:
    """Everything a revision holds, before it is saved. Sections carry their stable ids."""

    title: str
    authors: list[dict[str, str]]
    sections: tuple[Section, ...]
    reviewers: list[dict[str, str]] = field(default_factory=list)
    preamble: str = ""
    control_extra: dict[str, Any] = field(default_factory=dict)

    def control(self) -> tuple[Any, ...]:
        return (self.title, self.authors, self.reviewers, self.preamble, self.control_extra)


@dataclass(frozen=True)
class Saved:
    revision: Revision
    sections: list[SectionVersion]
    changes: list[dict[str, str]]


class RevisionListener(Protocol):
    """Keeps something derived from the text in step with each new revision, in the same
    transaction (the registers and trace links are such projections)."""

    async def __call__(self, document: Document, saved: Saved) -> None: ...


# Listeners need the request's session and events: the app registers factories of them.
ListenerFactory = Callable[[AsyncSession, EventRecorder, Clock], RevisionListener]


def fingerprint(section: Section) -> str:
    state = [
        section.id,
        section.number,
        section.title,
        section.level,
        section.template_number,
        section.body,
    ]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()


def _changes(
    previous: Sequence[SectionVersion] | None, current: Sequence[SectionVersion]
) -> list[dict[str, str]]:
    """What changed per section since ``previous`` (nothing is listed for a first revision:
    everything in it is new)."""
    if previous is None:
        return []
    before = {s.section_id: s for s in previous}
    after = {s.section_id for s in current}
    found: list[dict[str, str]] = []
    for s in current:
        old = before.get(s.section_id)
        if old is None:
            change = "added"
        elif old.content_hash != s.content_hash:
            change = "changed"
        elif (old.number, old.title, old.level) != (s.number, s.title, s.level):
            change = "moved"
        else:
            continue
        found.append({"section_id": s.section_id, "number": s.number or "", "change": change})
    found += [
        {"section_id": i, "number": old.number or "", "change": "removed"}
        for i, old in before.items()
        if i not in after
    ]
    return found


class RevisionWriter:
    def __init__(
        self,
        repo: DocumentRepository,
        events: EventRecorder,
        clock: Clock,
        listeners: Sequence[ListenerFactory] = (),
    ) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock
        self._listeners = [make(repo.session, events, clock) for make in listeners]

    @classmethod
    def of_session(
        cls, session: AsyncSession, cursors: CursorCodec, events: EventRecorder, clock: Clock
    ) -> RevisionWriter:
        """A writer for another domain's use case (review approves a document), which has
        no business with this domain's repository."""
        return cls(DocumentRepository(session, cursors), events, clock)

    async def save(
        self,
        document: Document,
        snapshot: Snapshot,
        actor: str | None,
        previous: Revision | None,
    ) -> Saved | None:
        """Save ``snapshot`` as the document's next revision; None when nothing changed."""
        old_sections = await self._repo.sections_of(previous.id) if previous else None
        sections = await self._section_versions(document, snapshot.sections)
        changes = _changes(old_sections, sections)
        if previous is not None and not changes and _control(previous) == snapshot.control():
            return None
        if document.status == "approved":
            document.status = "draft"  # editing an approved document starts the next draft
        document.minor += 1
        number = (previous.number if previous else 0) + 1
        now = self._clock.now()
        revision = Revision(
            document_id=document.id,
            number=number,
            version=version_label(document.major, document.minor),
            status=document.status,
            title=snapshot.title,
            authors=snapshot.authors,
            reviewers=snapshot.reviewers,
            preamble=snapshot.preamble,
            control_extra=snapshot.control_extra,
            changes=changes,
            content_hash=_content_hash(snapshot, sections),
            created_by=actor,
            created_at=now,
        )
        await self._repo.add(revision)
        await self._repo.link_sections(revision.id, [s.id for s in sections])
        title_changed = document.title != snapshot.title
        document.head_revision, document.version = number, revision.version
        document.title, document.updated_at = snapshot.title, now
        await self._reindex(
            document, sections, changes, first=previous is None, title_changed=title_changed
        )
        saved = Saved(revision, sections, changes)
        # The revision's own event first: what listeners record follows from it (a register
        # row changed, a link turned suspect, an approval dismissed, the document approved).
        await self._record(document, revision, changes, first=previous is None)
        for listener in self._listeners:
            await listener(document, saved)
        return saved

    async def approve(self, document: Document, actor: str | None) -> Saved:
        """Freeze the head as the next major version: a new revision with the same content,
        status `approved`, version `<major + 1>.0`. Revisions never change, so the approved
        one stays readable (`?version=1.0`) whatever happens to the draft after it."""
        head = await self._repo.revision(document.id, document.head_revision)
        assert head is not None
        sections = await self._repo.sections_of(head.id)
        now = self._clock.now()
        document.major, document.minor, document.status = document.major + 1, 0, "approved"
        revision = Revision(
            document_id=document.id,
            number=head.number + 1,
            version=version_label(document.major, 0),
            status="approved",
            title=head.title,
            authors=list(head.authors),
            reviewers=list(head.reviewers),
            preamble=head.preamble,
            control_extra=dict(head.control_extra),
            changes=[],
            content_hash=head.content_hash,
            created_by=actor,
            created_at=now,
        )
        await self._repo.add(revision)
        await self._repo.link_sections(revision.id, [s.id for s in sections])
        document.head_revision, document.version = revision.number, revision.version
        document.approved_revision, document.approved_at = revision.number, now
        document.approval_expired_at, document.updated_at = None, now
        return Saved(revision, sections, [])

    async def _section_versions(
        self, document: Document, sections: Sequence[Section]
    ) -> list[SectionVersion]:
        prints = [fingerprint(s) for s in sections]
        known = await self._repo.versions_by_fingerprint(document.id, prints)
        result = []
        for section, print_ in zip(sections, prints, strict=True):
            version = known.get(print_)
            if version is None:
                assert section.id is not None
                version = SectionVersion(
                    document_id=document.id,
                    section_id=section.id,
                    number=section.number,
                    title=section.title,
                    level=section.level,
                    template_number=section.template_number,
                    body=section.body,
                    content_hash=section_hash(section),
                    fingerprint=print_,
                )
                self._repo.session.add(version)
                known[print_] = version
            result.append(version)
        await self._repo.session.flush()
        return result

    async def _reindex(
        self,
        document: Document,
        sections: list[SectionVersion],
        changes: list[dict[str, str]],
        *,
        first: bool,
        title_changed: bool,
    ) -> None:
        if first:
            await self._repo.index(document, sections, title=True)
            return
        touched = {c["section_id"] for c in changes}
        await self._repo.unindex(document.id, sorted(touched))
        await self._repo.index(
            document, [s for s in sections if s.section_id in touched], title=False
        )
        if title_changed:
            await self._repo.retitle(document)

    async def record_state(
        self, document: Document, change: Literal["archived", "restored"]
    ) -> None:
        """An event for a change of the document's state that is not a new revision."""
        await self._events.emit(
            DocumentStateChanged(
                org_id=document.org_id,
                subject=f"documents/{document.key}",
                change=change,
                document_id=document.id,
                key=document.key,
            )
        )

    async def _record(
        self, document: Document, revision: Revision, changes: list[dict[str, str]], *, first: bool
    ) -> None:
        await self._events.emit(
            RevisionSaved(
                org_id=document.org_id,
                subject=f"documents/{document.key}",
                document_id=document.id,
                key=document.key,
                revision=revision.number,
                version=revision.version,
                title=document.title,
                changed_sections=None if first else changes,
            )
        )


def _control(revision: Revision) -> tuple[Any, ...]:
    return (
        revision.title,
        revision.authors,
        revision.reviewers,
        revision.preamble,
        revision.control_extra,
    )


def _content_hash(snapshot: Snapshot, sections: Sequence[SectionVersion]) -> str:
    digest = hashlib.sha256(json.dumps(snapshot.control(), sort_keys=True, default=str).encode())
    for s in sections:
        digest.update(s.fingerprint.encode())
    return digest.hexdigest()
