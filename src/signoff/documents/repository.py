"""Every query of the documents domain. Each one is scoped by the organization."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.db import upsert_into
from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.core.types import new_id
from signoff.documents.filters import DocumentFilter
from signoff.documents.models import (
    KEY_PREFIX,
    Document,
    DocumentAuthor,
    DocumentCounter,
    DocumentReviewer,
    LintPolicy,
    Revision,
    RevisionSection,
    SearchEntry,
    SectionVersion,
)

_KEY = re.compile(rf"^{KEY_PREFIX}(\d{{1,9}})$", re.IGNORECASE)


def parse_ref(ref: str) -> tuple[str, int | uuid.UUID] | None:
    """A document reference: its key (`DD-12`) as ("number", 12), or its id as ("id", the
    UUID); None if it is neither."""
    match = _KEY.match(ref)
    if match:
        return "number", int(match.group(1))
    try:
        return "id", uuid.UUID(ref)
    except ValueError:
        return None


def document_clause(org_id: uuid.UUID, ref: str) -> Any:
    """Match a document by key (`DD-12`) or id, inside one organization; None if neither."""
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    column, value = parsed
    return (Document.org_id == org_id) & (getattr(Document, column) == value)


_DOCUMENT = Document.__table__
# Built once: building the select per request (ORM attribute comparisons) cost a third of
# what the select itself costs on a cached read (py-spy, issue 16).
_ROW_BY = {
    column: select(*_DOCUMENT.c).where(
        _DOCUMENT.c.org_id == bindparam("org_id"), _DOCUMENT.c[column] == bindparam("ref")
    )
    for column in ("number", "id")
}


_LIVE_PAGE = select(*_DOCUMENT.c).where(_DOCUMENT.c.archived_at.is_(None))


class DocumentRepository:
    def __init__(self, session: AsyncSession, cursors: CursorCodec) -> None:
        self.session = session
        self._cursors = cursors

    async def document(self, org_id: uuid.UUID, ref: str, *, lock: bool = False) -> Document | None:
        clause = document_clause(org_id, ref)
        if clause is None:
            return None
        query = select(Document).where(clause)
        if lock:
            # Serializes writers of one document: revision numbers stay a gapless sequence.
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def document_row(self, org_id: uuid.UUID, ref: str) -> Row[Any] | None:
        """The document's row through Core (no ORM object): all a cached read needs."""
        parsed = parse_ref(ref)
        if parsed is None:
            return None
        column, value = parsed
        # On the session's connection: Core, without the ORM's execution of a statement.
        connection = await self.session.connection()
        result = await connection.execute(_ROW_BY[column], {"org_id": org_id, "ref": value})
        return result.first()

    async def next_number(self, org_id: uuid.UUID) -> int:
        """The next key number of the organization, atomically: concurrent creations get
        different numbers, and a number is never given out twice."""
        await self.session.execute(
            upsert_into(self.session, DocumentCounter)
            .values(org_id=org_id, last=0)
            .on_conflict_do_nothing()
        )
        result = await self.session.execute(
            update(DocumentCounter)
            .where(DocumentCounter.org_id == org_id)
            .values(last=DocumentCounter.last + 1)
            .returning(DocumentCounter.last)
        )
        return int(result.scalar_one())

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def page(
        self, org_id: uuid.UUID, page: PageRequest, filters: DocumentFilter
    ) -> tuple[list[Document], str | None]:
        stmt: Select[Document] = select(Document).where(Document.org_id == org_id)
        if not filters.archived:
            stmt = stmt.where(Document.archived_at.is_(None))
        if filters.status:
            stmt = stmt.where(Document.status == filters.status)
        if filters.author:
            stmt = stmt.where(
                Document.id.in_(
                    select(DocumentAuthor.document_id).where(
                        DocumentAuthor.user_id == filters.author
                    )
                )
            )
        if filters.template:
            # As a document is created from it: `backend-server` (built in) or `org:api`.
            name = filters.template
            source, slug = ("org", name[4:]) if name.startswith("org:") else ("builtin", name)
            stmt = stmt.where(Document.template_source == source, Document.template_slug == slug)
        if filters.q:
            stmt = stmt.where(Document.title.ilike(f"%{_escape_like(filters.q)}%", escape="\\"))
        rows, cursor = await keyset_page(
            self.session,
            stmt,
            [Document.id],
            page,
            self._cursors,
            scope=f"{org_id}:{filters.scope}",
            descending=True,
        )
        return [r[0] for r in rows], cursor

    async def page_rows(
        self, org_id: uuid.UUID, page: PageRequest
    ) -> tuple[Sequence[Row[Any]], str | None]:
        """``page`` with no filter, as Core rows (no ORM object): the fast lane's list. The
        cursor's scope is the same, so a cursor from either lists on in the other."""
        return await keyset_page(
            self.session,
            _LIVE_PAGE.where(_DOCUMENT.c.org_id == org_id),
            [_DOCUMENT.c.id],
            page,
            self._cursors,
            scope=f"{org_id}:documents:",
            descending=True,
        )

    async def revision(self, document_id: uuid.UUID, number: int) -> Revision | None:
        return await self.session.scalar(
            select(Revision).where(Revision.document_id == document_id, Revision.number == number)
        )

    async def revision_by_version(self, document_id: uuid.UUID, version: str) -> Revision | None:
        return await self.session.scalar(
            select(Revision)
            .where(Revision.document_id == document_id, Revision.version == version)
            .order_by(Revision.number.desc())
            .limit(1)
        )

    async def revisions(
        self, document_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[Revision], str | None]:
        stmt = select(Revision).where(Revision.document_id == document_id)
        rows, cursor = await keyset_page(
            self.session,
            stmt,
            [Revision.number],
            page,
            self._cursors,
            scope=f"revisions:{document_id}",
            descending=True,
        )
        return [r[0] for r in rows], cursor

    async def sections_of(self, revision_id: uuid.UUID) -> list[SectionVersion]:
        """The sections of a revision in document order (one query, no N+1)."""
        query = (
            select(SectionVersion)
            .join(RevisionSection, RevisionSection.section_version_id == SectionVersion.id)
            .where(RevisionSection.revision_id == revision_id)
            .order_by(RevisionSection.position)
        )
        return list(await self.session.scalars(query))

    async def heads_with_sections(
        self, documents: Sequence[Document]
    ) -> dict[uuid.UUID, tuple[Revision, list[SectionVersion]]]:
        """The head revision of each document with its sections in order: two queries
        whatever the number of documents (a list page's batch, no N+1)."""
        if not documents:
            return {}
        pairs = [(d.id, d.head_revision) for d in documents]
        revisions = {
            r.id: r
            for r in await self.session.scalars(
                select(Revision).where(tuple_(Revision.document_id, Revision.number).in_(pairs))
            )
        }
        found: dict[uuid.UUID, tuple[Revision, list[SectionVersion]]] = {
            r.document_id: (r, []) for r in revisions.values()
        }
        query = (
            select(RevisionSection.revision_id, SectionVersion)
            .join(RevisionSection, RevisionSection.section_version_id == SectionVersion.id)
            .where(RevisionSection.revision_id.in_(list(revisions)))
            .order_by(RevisionSection.revision_id, RevisionSection.position)
        )
        for revision_id, section in (await self.session.execute(query)).all():
            found[revisions[revision_id].document_id][1].append(section)
        return found

    async def versions_by_fingerprint(
        self, document_id: uuid.UUID, fingerprints: Sequence[str]
    ) -> dict[str, SectionVersion]:
        if not fingerprints:
            return {}
        rows = await self.session.scalars(
            select(SectionVersion).where(
                SectionVersion.document_id == document_id,
                SectionVersion.fingerprint.in_(list(fingerprints)),
            )
        )
        return {row.fingerprint: row for row in rows}

    async def link_sections(self, revision_id: uuid.UUID, version_ids: Sequence[uuid.UUID]) -> None:
        if version_ids:
            await self.session.execute(
                insert(RevisionSection),
                [
                    {"revision_id": revision_id, "position": i, "section_version_id": v}
                    for i, v in enumerate(version_ids)
                ],
            )

    async def authors(self, document_id: uuid.UUID) -> list[uuid.UUID]:
        query = select(DocumentAuthor.user_id).where(DocumentAuthor.document_id == document_id)
        return list(await self.session.scalars(query.order_by(DocumentAuthor.position)))

    async def set_authors(self, document_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            delete(DocumentAuthor).where(DocumentAuthor.document_id == document_id)
        )
        if user_ids:
            await self.session.execute(
                insert(DocumentAuthor),
                [
                    {"document_id": document_id, "user_id": u, "position": i}
                    for i, u in enumerate(user_ids)
                ],
            )

    async def reviewers(self, document_id: uuid.UUID) -> list[DocumentReviewer]:
        query = select(DocumentReviewer).where(DocumentReviewer.document_id == document_id)
        return list(await self.session.scalars(query.order_by(DocumentReviewer.position)))

    async def set_reviewers(
        self, document_id: uuid.UUID, entries: Sequence[dict[str, str]]
    ) -> None:
        """Entries as in Document Control: `{kind: user|team, id, ...}`."""
        await self.session.execute(
            delete(DocumentReviewer).where(DocumentReviewer.document_id == document_id)
        )
        if entries:
            await self.session.execute(
                insert(DocumentReviewer),
                [
                    {
                        "document_id": document_id,
                        "position": i,
                        "user_id": uuid.UUID(e["id"]) if e["kind"] == "user" else None,
                        "team_id": uuid.UUID(e["id"]) if e["kind"] == "team" else None,
                    }
                    for i, e in enumerate(entries)
                ],
            )

    async def unindex(
        self, document_id: uuid.UUID, section_ids: Sequence[str] | None = None
    ) -> None:
        """Remove a document's search entries: all, or those of some sections."""
        query = delete(SearchEntry).where(SearchEntry.document_id == document_id)
        if section_ids is not None:
            if not section_ids:
                return
            query = query.where(SearchEntry.section_id.in_(list(section_ids)))
        await self.session.execute(query)

    async def index(
        self, document: Document, sections: Sequence[SectionVersion], *, title: bool
    ) -> None:
        """Add search entries for ``sections`` (and for the title when ``title``).

        The document's title is indexed once, on its own entry: repeating it on every
        section would make each section of a document whose title matches a hit.
        """
        base: dict[str, object] = {"org_id": document.org_id, "document_id": document.id}
        rows: list[dict[str, object]] = [
            base
            | {
                "id": new_id(),
                "section_id": s.section_id,
                "number": s.number,
                "doc_title": "",
                "title": s.title,
                "body": s.body,
            }
            for s in sections
        ]
        if title:
            rows.append(
                base
                | {
                    "id": new_id(),
                    "section_id": None,
                    "number": None,
                    "doc_title": document.title,
                    "title": "",
                    "body": "",
                }
            )
        if rows:
            await self.session.execute(insert(SearchEntry), rows)

    async def retitle(self, document: Document) -> None:
        await self.session.execute(
            update(SearchEntry)
            .where(SearchEntry.document_id == document.id, SearchEntry.section_id.is_(None))
            .values(doc_title=document.title)
        )

    async def lint_policy(self, org_id: uuid.UUID) -> LintPolicy | None:
        return await self.session.get(LintPolicy, org_id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
