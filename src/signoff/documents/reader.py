"""What other domains may read of a document (rule 1): frozen views of its head, its
sections with their content hashes, and its revisions, through ``DocumentReader``, and the
``DocumentRef`` / ``SectionRef`` shapes their services take. Review, registers,
traceability, notify and inbound import this module, never ``documents.models`` or
``documents.repository`` (import-linter holds them to it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, select

from signoff.core.repository import TenantRepository
from signoff.documents.models import (
    KEY_PREFIX,
    Document,
    DocumentAuthor,
    DocumentReviewer,
    Revision,
    RevisionSection,
    SectionVersion,
)

# A document locked by ``DocumentService.writable``: another domain reads it as a
# ``DocumentRef`` and hands it back to the documents service's write methods, nothing more.
LockedDocument = Document
# The rows the documents services return to the pages that show them (``web/``): a page
# reads their attributes and hands them back to the documents services, nothing more; it
# never queries or changes them (import-linter keeps ``web/`` out of ``documents.models``).
DocumentRow = Document
RevisionRow = Revision
SectionRow = SectionVersion


class DocumentRef(Protocol):
    """A document as other domains see it: a ``DocumentHead``, or the documents service's
    own row handed to them (read only)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def head_revision(self) -> int: ...
    @property
    def required_approvals(self) -> int | None: ...
    @property
    def template_name(self) -> str: ...


class SectionRef(Protocol):
    @property
    def section_id(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def content_hash(self) -> str: ...


class HeadSection(SectionRef, Protocol):
    """A section with the template section it matched, which ownership rules may name
    (a ``SectionDigest``, or the documents service's own row)."""

    @property
    def template_number(self) -> str | None: ...


@dataclass(frozen=True)
class DocumentHead:
    id: uuid.UUID
    org_id: uuid.UUID
    key: str
    title: str
    status: str
    version: str
    head_revision: int
    approved_revision: int | None
    approved_at: datetime | None
    archived_at: datetime | None
    required_approvals: int | None
    template_name: str


@dataclass(frozen=True)
class SectionDigest:
    section_id: str
    number: str | None
    title: str
    level: int
    body: str
    content_hash: str
    # The template section it matched: a number, or a heading path (`/proposal/risks`).
    template_number: str | None = None


@dataclass(frozen=True)
class RevisionRef:
    number: int
    version: str
    status: str
    title: str
    content_hash: str
    created_by: str | None
    created_at: datetime


def head_of(document: Document) -> DocumentHead:
    return DocumentHead(
        document.id,
        document.org_id,
        document.key,
        document.title,
        document.status,
        document.version,
        document.head_revision,
        document.approved_revision,
        document.approved_at,
        document.archived_at,
        document.required_approvals,
        document.template_name,
    )


def live_document_ids() -> Select[Any]:
    """The ids of documents not archived: for another domain's ``IN (...)`` filter, so
    its queries stay one statement without naming this domain's tables."""
    return select(Document.id).where(Document.archived_at.is_(None))


class DocumentReader(TenantRepository[Document]):
    model = Document

    async def heads(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DocumentHead]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = await self.session.scalars(self.scoped().where(Document.id.in_(wanted)))
        return {row.id: head_of(row) for row in rows}

    async def by_key(self, key: str) -> DocumentHead | None:
        """The document with this display key (``DD-12``) here; None for any other text."""
        number = key.removeprefix(KEY_PREFIX)
        if not number.isdigit():
            return None
        row = await self.session.scalar(self.scoped().where(Document.number == int(number)))
        return None if row is None else head_of(row)

    async def head(self, document_id: uuid.UUID) -> DocumentHead | None:
        return (await self.heads([document_id])).get(document_id)

    async def sections(self, document_id: uuid.UUID, revision: int) -> list[SectionDigest]:
        """The sections of one revision, in document order (empty: no such revision here)."""
        query = (
            select(SectionVersion)
            .join(RevisionSection, RevisionSection.section_version_id == SectionVersion.id)
            .join(Revision, Revision.id == RevisionSection.revision_id)
            .join(Document, Document.id == Revision.document_id)
            .where(self.owned(), Document.id == document_id, Revision.number == revision)
            .order_by(RevisionSection.position)
        )
        return [
            SectionDigest(
                s.section_id,
                s.number,
                s.title,
                s.level,
                s.body,
                s.content_hash,
                s.template_number,
            )
            for s in await self.session.scalars(query)
        ]

    async def head_outlines(
        self, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[str, str | None, str | None]]]:
        """The (section id, number, template key) of each document's head sections, in
        order: what ownership rules match, in one Core select for a list page (no bodies)."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        query = (
            select(
                Document.id,
                SectionVersion.section_id,
                SectionVersion.number,
                SectionVersion.template_number,
            )
            .join(Revision, Revision.document_id == Document.id)
            .join(RevisionSection, RevisionSection.revision_id == Revision.id)
            .join(SectionVersion, SectionVersion.id == RevisionSection.section_version_id)
            .where(
                self.owned(),
                Document.id.in_(wanted),
                Revision.number == Document.head_revision,
            )
            .order_by(Document.id, RevisionSection.position)
        )
        outlines: dict[uuid.UUID, list[tuple[str, str | None, str | None]]] = {}
        for doc_id, section_id, number, template_key in await self.session.execute(query):
            outlines.setdefault(doc_id, []).append((section_id, number, template_key))
        return outlines

    async def revisions(self, document_id: uuid.UUID) -> list[RevisionRef]:
        """Every revision of the document, oldest first."""
        query = (
            select(Revision)
            .join(Document, Document.id == Revision.document_id)
            .where(self.owned(), Document.id == document_id)
            .order_by(Revision.number)
        )
        return [
            RevisionRef(
                r.number, r.version, r.status, r.title, r.content_hash, r.created_by, r.created_at
            )
            for r in await self.session.scalars(query)
        ]

    async def authors(self, document_id: uuid.UUID) -> frozenset[uuid.UUID]:
        query = (
            select(DocumentAuthor.user_id)
            .join(Document, Document.id == DocumentAuthor.document_id)
            .where(self.owned(), DocumentAuthor.document_id == document_id)
        )
        return frozenset(await self.session.scalars(query))

    async def reviewers(
        self, document_id: uuid.UUID
    ) -> tuple[frozenset[uuid.UUID], list[uuid.UUID]]:
        """The users and the teams (ids, in the document's order) asked to review it."""
        rows = (
            await self.session.execute(
                select(DocumentReviewer.user_id, DocumentReviewer.team_id)
                .join(Document, Document.id == DocumentReviewer.document_id)
                .where(self.owned(), DocumentReviewer.document_id == document_id)
                .order_by(DocumentReviewer.position)
            )
        ).all()
        users = frozenset(u for u, _ in rows if u is not None)
        return users, [team for _, team in rows if team is not None]
