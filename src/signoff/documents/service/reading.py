"""Reading documents: any revision, in JSON, Markdown or HTML; history, diffs, lint, search."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.cpu import CpuPool
from signoff.core.pagination import PageRequest
from signoff.docformat import (
    DiffStatus,
    LintConfig,
    LintReport,
    ParsedDocument,
    SectionDiff,
    Severity,
)
from signoff.documents import search, work
from signoff.documents.errors import DocumentNotFound, InvalidLintPolicy, RevisionNotFound
from signoff.documents.filters import DocumentFilter
from signoff.documents.models import Document, LintPolicy, Revision, SectionVersion
from signoff.documents.rendering import RenderCache, head_key, parsed_document, status_of
from signoff.documents.repository import DocumentRepository
from signoff.orgs.service import OrgAccess
from signoff.templates.service import TemplateService

FORMATS = {
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "page": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Snapshot:
    document: Document
    revision: Revision
    sections: list[SectionVersion]

    @property
    def template(self) -> str:
        return self.document.template_name

    def parsed(self) -> ParsedDocument:
        return parsed_document(self.document, self.revision, self.sections, self.template)


@dataclass(frozen=True)
class SectionChange:
    """One section's change between two revisions: what a diff shows of it."""

    section_id: str | None
    number: str | None
    title: str
    status: DiffStatus
    diff: str

    @classmethod
    def of(cls, change: SectionDiff) -> SectionChange:
        section = change.new or change.old
        assert section is not None
        return cls(section.id, section.number, section.title, change.status, change.diff)

    def row(self) -> list[str | None]:
        return [self.section_id, self.number, self.title, self.status.value, self.diff]

    @classmethod
    def from_row(cls, row: list[str]) -> SectionChange:
        section_id, number, title, status, diff = row
        return cls(section_id, number, title, DiffStatus(status), diff)


@dataclass(frozen=True)
class SearchResult:
    document: Document
    hit: search.Hit


def policy_config(policy: LintPolicy | None) -> LintConfig:
    if policy is None:
        return LintConfig()
    try:
        return LintConfig(
            enabled=frozenset(policy.enabled) if policy.enabled is not None else None,
            disabled=frozenset(policy.disabled),
            severities={k: Severity(v) for k, v in policy.severities.items()},
            blocking_severities=frozenset(Severity(s) for s in policy.blocking_severities),
        )
    except ValueError as exc:
        raise InvalidLintPolicy(str(exc)) from exc


class ReadingService:
    def __init__(
        self,
        repo: DocumentRepository,
        templates: TemplateService,
        cache: RenderCache,
        clock: Clock,
        cpu: CpuPool,
    ) -> None:
        self._cpu = cpu
        self._repo = repo
        self._templates = templates
        self._cache = cache
        self._clock = clock

    async def snapshot(
        self, document: Document, *, revision: int | None = None, version: str | None = None
    ) -> Snapshot:
        found = await self._revision(document, revision=revision, version=version)
        return Snapshot(document, found, await self._repo.sections_of(found.id))

    async def _revision(
        self, document: Document, *, revision: int | None = None, version: str | None = None
    ) -> Revision:
        if version is not None:
            found = await self._repo.revision_by_version(document.id, version)
        else:
            found = await self._repo.revision(document.id, revision or document.head_revision)
        if found is None:
            asked = f"version {version}" if version else f"revision {revision}"
            raise RevisionNotFound(f"{document.key} has no {asked}.")
        return found

    @property
    def session(self) -> AsyncSession:
        return self._repo.session

    async def document(self, access: OrgAccess, ref: str) -> Document:
        document = await self._repo.document(access.org_id, ref)
        if document is None:
            raise DocumentNotFound(f"No document {ref}.")
        return document

    async def page(
        self, access: OrgAccess, page: PageRequest, filters: DocumentFilter
    ) -> tuple[list[Document], str | None]:
        return await self._repo.page(access.org_id, page, filters)

    async def head_row(self, access: OrgAccess, ref: str) -> Row[Any]:
        row = await self._repo.document_row(access.org_id, ref)
        if row is None:
            raise DocumentNotFound(f"No document {ref}.")
        return row

    def cached_head(self, row: Row[Any], fmt: str, encoding: str) -> bytes | None:
        """The head's whole response body, when an earlier request made it. Keyed by the
        document's entire row: any change to the document (a revision, a status, a title,
        archiving) is a different key, and the old entry ages out of the LRU."""
        return self._cache.get(head_key(row, fmt, encoding))

    def keep_head(self, row: Row[Any], fmt: str, body: bytes) -> dict[str, bytes]:
        """Keep the head's body, as is and gzipped; returns both by encoding."""
        bodies = {"identity": body, "gzip": gzip.compress(body, compresslevel=6, mtime=0)}
        for encoding, value in bodies.items():
            self._cache.put(head_key(row, fmt, encoding), value)
        return bodies

    async def rendered(self, document: Document, revision: Revision, fmt: str) -> bytes:
        """Markdown or HTML of a revision, from the cache when it was rendered before."""
        key = (document.id, revision.number, fmt, status_of(document, revision))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        snap = Snapshot(document, revision, await self._repo.sections_of(revision.id))
        parsed = snap.parsed()
        body = await self._cpu.run(
            work.render, parsed, fmt, size=work.size_of(parsed), what="rendering the document"
        )
        self._cache.put(key, body)
        return body

    async def outline_template(self, access: OrgAccess, ref: str) -> str:
        """Template Markdown inferred from the outline of a document's head revision."""
        snap = await self.snapshot(await self.document(access, ref))
        parsed = snap.parsed()
        return await self._cpu.run(
            work.infer, parsed, size=work.size_of(parsed), what="inferring a template"
        )

    async def revisions(
        self, document: Document, page: PageRequest
    ) -> tuple[list[Revision], str | None]:
        return await self._repo.revisions(document.id, page)

    async def diff(
        self, document: Document, old: str, new: str
    ) -> tuple[Revision, Revision, list[SectionChange]]:
        """The per-section changes from one revision (or version) to another. Revisions
        are immutable, so the changes of a pair are computed once and kept in the render
        cache: a diff asked again reads the two revision rows and nothing else."""
        before = await self._revision(document, **_which(old))  # type: ignore[arg-type]
        after = await self._revision(document, **_which(new))  # type: ignore[arg-type]
        key = (document.id, "diff", before.number, after.number)
        cached = self._cache.get(key)
        if cached is not None:
            return before, after, [SectionChange.from_row(c) for c in json.loads(cached)]
        earlier = Snapshot(document, before, await self._repo.sections_of(before.id)).parsed()
        later = Snapshot(document, after, await self._repo.sections_of(after.id)).parsed()
        diffs = await self._cpu.run(
            work.diff,
            earlier,
            later,
            size=work.size_of(earlier, later),
            what="comparing the revisions",
        )
        changes = [SectionChange.of(d) for d in diffs]
        self._cache.put(key, json.dumps([c.row() for c in changes]).encode())
        return before, after, changes

    async def lint(self, access: OrgAccess, snap: Snapshot) -> tuple[LintReport, LintConfig]:
        loaded = await self._templates.resolve(access.org_id, snap.template)
        config = policy_config(await self._repo.lint_policy(access.org_id))
        document, expired = snap.document, snap.document.approval_expired_at
        current = snap.revision.number == document.head_revision
        parsed = snap.parsed()
        report = await self._cpu.run(
            work.lint_parsed,
            parsed,
            loaded.parsed,
            self.today(),
            config,
            expired.date() if expired and current and document.status == "approved" else None,
            size=work.size_of(parsed),
            what="linting the document",
        )
        return report, config

    def today(self) -> date:
        return self._clock.now().date()

    async def completeness(
        self, access: OrgAccess, documents: Sequence[Document]
    ) -> dict[uuid.UUID, int]:
        """Each document's completeness at its head, as its lint report scores it (the
        reader shows that score), loaded in one batch for a list of documents."""
        heads = await self._repo.heads_with_sections(documents)
        scores: dict[uuid.UUID, int] = {}
        for document in documents:
            if document.id not in heads:
                continue
            snap = Snapshot(document, *heads[document.id])
            loaded = await self._templates.resolve(access.org_id, snap.template)
            parsed = snap.parsed()
            scores[document.id] = await self._cpu.run(
                work.completeness_parsed,
                parsed,
                loaded.parsed,
                self.today(),
                size=work.size_of(parsed),
                what="scoring the document's completeness",
            )
        return scores

    async def search(
        self, access: OrgAccess, query: str, limit: int, offset: int = 0
    ) -> list[SearchResult]:
        hits = await search.search(self._repo.session, access.org_id, query, limit, offset)
        ids = {h.document_id for h in hits}
        documents = (
            {
                d.id: d
                for d in await self._repo.session.scalars(
                    select(Document).where(Document.org_id == access.org_id, Document.id.in_(ids))
                )
            }
            if ids
            else {}
        )
        return [
            SearchResult(documents[h.document_id], h) for h in hits if h.document_id in documents
        ]


def _which(ref: str) -> dict[str, int | str]:
    """`3` is revision 3, `0.3` or `1.0` is a version."""
    if ref.isdigit():
        return {"revision": int(ref)}
    if ref.replace(".", "", 1).isdigit() and "." in ref:
        return {"version": ref}
    raise RevisionNotFound(f"'{ref}' is neither a revision number nor a version.")
