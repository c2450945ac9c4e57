"""Creating and changing documents. Every change is a new revision (see writer.py)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.config import DocumentSettings
from signoff.core.cpu import CpuPool
from signoff.core.pagination import PageRequest
from signoff.docformat import (
    DocFormatError,
    Limits,
    LintConfig,
    LintReport,
    MissingTitle,
    ParsedDocument,
    Section,
    Template,
    check_section_body,
    document_from_template,
    match_template,
    require_title,
)
from signoff.documents import work
from signoff.documents.errors import (
    DocumentArchived,
    DocumentNotFound,
    SectionNotFound,
    UnknownAuthor,
    UnknownReviewer,
    from_docformat,
)
from signoff.documents.filters import DocumentFilter
from signoff.documents.identity import assign_ids
from signoff.documents.models import Document, Revision, SectionVersion
from signoff.documents.reader import DocumentRef
from signoff.documents.rendering import to_sections
from signoff.documents.repository import DocumentRepository
from signoff.documents.service.writer import RevisionWriter, Saved, Snapshot
from signoff.orgs.errors import TeamNotFound
from signoff.orgs.reader import TeamRef
from signoff.orgs.service import MemberService, OrgAccess, TeamService
from signoff.orgs.service.members import Member
from signoff.templates.service import LoadedTemplate, TemplateService

# Document Control values the server derives; an import that sets them is told so.
DERIVED = ("key", "version", "revision", "status")


FORMATS = ("json", "markdown", "html")


def document_etag(document: Document, fmt: str = "json", revision: int | None = None) -> str:
    """The ETag of one representation of a revision (the head by default). The head's
    includes the status, which a submission or withdrawal changes without a revision."""
    number = revision or document.head_revision
    status = document.status if number == document.head_revision else ""
    return representation_etag(document.id, number, fmt, status)


def representation_etag(document_id: uuid.UUID, number: int, fmt: str, status: str) -> str:
    """``status`` is the document's at its head, and empty for older revisions."""
    return etag_of("document", document_id, number, fmt, status)


def require_current(document: Document, if_match: str | None) -> None:
    """If-Match for a change of the whole document: any representation of the head counts."""
    require_if_match(
        if_match,
        document_etag(document),
        equivalents=[document_etag(document, fmt) for fmt in FORMATS],
    )


def section_etag(document: Document, section: SectionVersion) -> str:
    return etag_of("section", document.id, section.section_id, section.fingerprint)


def find_section(sections: Sequence[SectionVersion], ref: str) -> SectionVersion:
    """A section by stable id, else by number (`3.3`)."""
    found = next((s for s in sections if s.section_id == ref), None)
    found = found or next((s for s in sections if s.number == ref), None)
    if found is None:
        raise SectionNotFound(f"No section {ref}.")
    return found


@dataclass(frozen=True)
class Change:
    document: Document
    saved: Saved | None
    warnings: list[str]


class DocumentService:
    def __init__(
        self,
        repo: DocumentRepository,
        writer: RevisionWriter,
        templates: TemplateService,
        members: MemberService,
        teams: TeamService,
        clock: Clock,
        settings: DocumentSettings,
        cpu: CpuPool,
    ) -> None:
        self._cpu = cpu
        self._repo = repo
        self._writer = writer
        self._templates = templates
        self._members = members
        self._teams = teams
        self._clock = clock
        self.limits = Limits(
            max_document_bytes=settings.max_document_bytes,
            max_section_bytes=settings.max_section_bytes,
            max_sections=settings.max_sections,
            max_nesting_depth=settings.max_nesting_depth,
        )

    async def get(self, access: OrgAccess, ref: str, *, lock: bool = False) -> Document:
        document = await self._repo.document(access.org_id, ref, lock=lock)
        if document is None:
            raise DocumentNotFound(f"No document {ref}.")
        return document

    async def find(self, access: OrgAccess, ref: str) -> Document | None:
        return await self._repo.document(access.org_id, ref)

    async def page(
        self, access: OrgAccess, page: PageRequest, filters: DocumentFilter
    ) -> tuple[list[Document], str | None]:
        return await self._repo.page(access.org_id, page, filters)

    async def head(self, document: DocumentRef) -> tuple[Revision, list[SectionVersion]]:
        revision = await self._repo.revision(document.id, document.head_revision)
        assert revision is not None
        return revision, await self._repo.sections_of(revision.id)

    async def template_of(self, document: DocumentRef) -> LoadedTemplate:
        """The template the document was made from (its version, not the latest)."""
        return await self._templates.resolve(document.org_id, document.template_name)

    async def parse(self, text: str, template: Template | None = None) -> ParsedDocument:
        """Parse Markdown a client sent, in a worker process when it is large (core/cpu.py).

        Only a template whose sections are `#` headings changes how the text is read."""
        shaped = template if template is not None and template.h1_sections else None
        try:
            return await self._cpu.run(
                work.parse,
                text,
                self.limits,
                shaped,
                size=len(text),
                what="parsing the document",
            )
        except DocFormatError as exc:
            raise from_docformat(exc) from exc

    async def lint_text(
        self, text: str, template: Template, today: date, config: LintConfig
    ) -> LintReport:
        """Lint Markdown as sent, nothing stored (``POST /v1/lint``)."""
        try:
            return await self._cpu.run(
                work.lint_text,
                text,
                self.limits,
                template,
                today,
                config,
                size=len(text),
                what="linting the document",
            )
        except DocFormatError as exc:
            raise from_docformat(exc) from exc

    async def create(self, access: OrgAccess, title: str, template: str | None) -> Change:
        loaded = await self._templates.resolve(access.org_id, template)
        return await self._create(
            access, loaded, document_from_template(loaded.parsed, title=title)
        )

    async def import_markdown(
        self, access: OrgAccess, text: str, title: str | None = None, template: str | None = None
    ) -> Change:
        """Import Markdown on ``template`` (default: the front matter's `template`, else the
        built-in); ``title``, when given, is the title (RFC-style documents have none)."""
        parsed = await self.parse(text)
        loaded = await self._templates.resolve(access.org_id, template or parsed.control.template)
        if loaded.parsed.h1_sections:
            parsed = await self.parse(text, loaded.parsed)
        if title is not None and title.strip():
            control = dataclasses.replace(parsed.control, title=" ".join(title.split()))
            parsed = dataclasses.replace(parsed, control=control)
        parsed = _titled(parsed)
        return await self._create(access, loaded, match_template(parsed, loaded.parsed))

    async def _create(
        self, access: OrgAccess, loaded: LoadedTemplate, parsed: ParsedDocument
    ) -> Change:
        now = self._clock.now()
        document = Document(
            org_id=access.org_id,
            number=await self._repo.next_number(access.org_id),
            title=parsed.control.title,
            template_source=loaded.ref.source,
            template_slug=loaded.ref.slug,
            template_version=loaded.ref.version,
            status="draft",
            version="0.0",
            major=0,
            minor=0,
            head_revision=0,
            created_by=access.principal.user_id,
            created_at=now,
            updated_at=now,
        )
        await self._repo.add(document)
        authors, warnings = await self._authors_named(access, parsed.control.authors)
        if not authors and access.principal.user_id is not None:
            authors = await self._members.among(access, [access.principal.user_id])
        reviewers, unknown = await self._reviewers_named(access, parsed.control.reviewers)
        await self._repo.set_reviewers(document.id, reviewers)
        snapshot = await self._snapshot(
            document, parsed, assign_ids(parsed.sections, []), authors, reviewers
        )
        saved = await self._writer.save(document, snapshot, access.principal.key, None)
        return Change(document, saved, _derived_warnings(parsed, None) + warnings + unknown)

    async def replace_markdown(
        self, access: OrgAccess, ref: str, text: str, if_match: str | None
    ) -> Change:
        """Docs-as-code push: the Markdown becomes the document's next revision."""
        document = await self.writable(access, ref)
        require_current(document, if_match)
        loaded = await self.template_of(document)
        parsed = match_template(_titled(await self.parse(text, loaded.parsed)), loaded.parsed)
        revision, previous = await self.head(document)
        authors, warnings = await self._authors_named(access, parsed.control.authors)
        if not authors:
            authors = await self._members.among(access, await self._repo.authors(document.id))
        reviewers, unknown = await self._reviewers_named(access, parsed.control.reviewers)
        if parsed.control.reviewers:
            await self._repo.set_reviewers(document.id, reviewers)
        else:
            reviewers = list(revision.reviewers)  # a push without reviewers keeps them
        sections = assign_ids(parsed.sections, previous)
        warnings = _derived_warnings(parsed, document) + warnings + unknown  # before the bump
        snapshot = await self._snapshot(document, parsed, sections, authors, reviewers)
        saved = await self._writer.save(document, snapshot, access.principal.key, revision)
        return Change(document, saved, warnings)

    async def update_section(
        self, access: OrgAccess, ref: str, section_ref: str, body: str, if_match: str | None
    ) -> tuple[Change, SectionVersion]:
        document = await self.writable(access, ref)
        head = await self.head(document)
        target = find_section(head[1], section_ref)
        require_if_match(if_match, section_etag(document, target))
        return await self.rewrite_section(access, document, target.section_id, body, head=head)

    async def rewrite_section(
        self,
        access: OrgAccess,
        document: Document,
        section_id: str,
        body: str,
        *,
        head: tuple[Revision, list[SectionVersion]] | None = None,
    ) -> tuple[Change, SectionVersion]:
        """Save a new body for one section of a document already locked by ``writable``
        (``head``: its head revision and sections, when the caller loaded them)."""
        revision, sections = head or await self.head(document)
        target = find_section(sections, section_id)
        try:
            body = check_section_body(body, level=target.level, limits=self.limits)
        except DocFormatError as exc:
            raise from_docformat(exc, "/body") from exc
        edited = tuple(
            dataclasses.replace(s, body=body) if s.id == target.section_id else s
            for s in to_sections(sections)
        )
        saved = await self._writer.save(
            document, _snapshot_of(revision, edited), access.principal.key, revision
        )
        current = saved.sections if saved else sections
        return Change(document, saved, []), find_section(current, target.section_id)

    async def patch(
        self,
        access: OrgAccess,
        ref: str,
        if_match: str | None,
        *,
        title: str | None,
        authors: list[uuid.UUID] | None,
        reviewers: list[uuid.UUID | str] | None = None,
    ) -> Change:
        """Title, authors and reviewers are Document Control: a new revision when they
        change."""
        document = await self.writable(access, ref)
        require_current(document, if_match)
        revision, sections = await self.head(document)
        snapshot = _snapshot_of(revision, to_sections(sections))
        if reviewers is not None:
            chosen = await self._reviewers(access, reviewers)
            await self._repo.set_reviewers(document.id, chosen)
            snapshot = dataclasses.replace(snapshot, reviewers=chosen)
        if title is not None:
            snapshot = dataclasses.replace(snapshot, title=title)
        if authors is not None:
            members = await self._members.among(access, authors)
            missing = [str(a) for a in authors if a not in members]
            if missing:
                raise UnknownAuthor(f"Not members of the organization: {', '.join(missing)}.")
            await self._repo.set_authors(document.id, authors)
            snapshot = dataclasses.replace(snapshot, authors=[_person(members[a]) for a in authors])
        saved = await self._writer.save(document, snapshot, access.principal.key, revision)
        return Change(document, saved, [])

    async def archive(self, access: OrgAccess, ref: str) -> Document:
        document = await self.writable(access, ref)
        document.archived_at = self._clock.now()
        await self._repo.unindex(document.id)
        await self._writer.record_state(document, "archived")
        return document

    async def restore(self, access: OrgAccess, ref: str) -> Document:
        document = await self.get(access, ref, lock=True)
        if document.archived_at is not None:
            document.archived_at = None
            _, sections = await self.head(document)
            await self._repo.index(document, sections, title=True)
            await self._writer.record_state(document, "restored")
        return document

    async def writable(self, access: OrgAccess, ref: str) -> Document:
        """The document, locked for this transaction; refused when archived."""
        document = await self.get(access, ref, lock=True)
        if document.archived_at is not None:
            raise DocumentArchived(f"{document.key} is archived; restore it to change it.")
        return document

    async def _authors_named(
        self, access: OrgAccess, named: Sequence[str]
    ) -> tuple[dict[uuid.UUID, Member], list[str]]:
        """Authors named in imported Document Control (`Name <email>` or an email) who are
        members; the others are reported, not invented."""
        found: dict[uuid.UUID, Member] = {}
        warnings = []
        for entry in named:
            email = entry.rsplit("<", 1)[-1].rstrip(">").strip()
            member = await self._members.by_email(access, email) if "@" in email else None
            if member is None:
                warnings.append(f"author '{entry}' is not a member of the organization; ignored")
            else:
                found[member.user.id] = member
        return found, warnings

    async def _reviewers(
        self, access: OrgAccess, wanted: Sequence[uuid.UUID | str]
    ) -> list[dict[str, str]]:
        """Reviewers by user id (members) or team slug, as Document Control entries."""
        members = await self._members.among(access, [w for w in wanted if isinstance(w, uuid.UUID)])
        chosen: list[dict[str, str]] = []
        for entry in wanted:
            if isinstance(entry, uuid.UUID):
                if entry not in members:
                    raise UnknownReviewer(f"{entry} is not a member of the organization.")
                chosen.append(_person(members[entry]))
            else:
                try:
                    chosen.append(_team(await self._teams.get(access, entry)))
                except TeamNotFound as exc:
                    raise UnknownReviewer(f"No team '{entry}'.") from exc
        unique = {(c["kind"], c["id"]): c for c in chosen}
        return list(unique.values())

    async def _reviewers_named(
        self, access: OrgAccess, named: Sequence[str]
    ) -> tuple[list[dict[str, str]], list[str]]:
        """Reviewers named in imported Document Control: `@team`, or a member's email."""
        found: list[dict[str, str]] = []
        warnings = []
        for entry in named:
            text = entry.strip()
            if text.startswith("@"):
                try:
                    found.append(_team(await self._teams.get(access, text[1:].strip())))
                except TeamNotFound:
                    warnings.append(
                        f"reviewer '{entry}' is not a team of the organization; ignored"
                    )
                continue
            email = text.rsplit("<", 1)[-1].rstrip(">").strip()
            member = await self._members.by_email(access, email) if "@" in email else None
            if member is None:
                warnings.append(f"reviewer '{entry}' is not a member of the organization; ignored")
            else:
                found.append(_person(member))
        unique = {(c["kind"], c["id"]): c for c in found}
        return list(unique.values()), warnings

    async def _snapshot(
        self,
        document: Document,
        parsed: ParsedDocument,
        sections: tuple[Section, ...],
        authors: dict[uuid.UUID, Member],
        reviewers: list[dict[str, str]],
    ) -> Snapshot:
        await self._repo.set_authors(document.id, list(authors))
        return Snapshot(
            title=parsed.control.title or document.title,
            authors=[_person(m) for m in authors.values()],
            reviewers=reviewers,
            sections=sections,
            preamble=parsed.preamble,
            control_extra=dict(parsed.control.extra),
        )


def _person(member: Member) -> dict[str, str]:
    return {
        "kind": "user",
        "id": str(member.user.id),
        "name": member.user.name,
        "email": member.user.email,
    }


def _team(team: TeamRef) -> dict[str, str]:
    return {"kind": "team", "id": str(team.id), "name": team.name, "slug": team.slug}


def _snapshot_of(revision: Revision, sections: tuple[Section, ...]) -> Snapshot:
    return Snapshot(
        title=revision.title,
        authors=list(revision.authors),
        sections=sections,
        reviewers=list(revision.reviewers),
        preamble=revision.preamble,
        control_extra=dict(revision.control_extra),
    )


def _derived_warnings(parsed: ParsedDocument, current: Document | None) -> list[str]:
    """What the Markdown tried to set that the server derives (a value equal to the
    derived one, as in a document exported from Signoff, is not a complaint)."""
    control = parsed.control
    derived = (
        {
            "key": current.key,
            "version": current.version,
            "revision": str(current.head_revision),
            "status": current.status,
        }
        if current
        else {}
    )
    return [
        f"'{name}' is derived by the server; '{value}' in the document was ignored"
        for name in DERIVED
        if (value := getattr(control, name)) not in (None, "")
        and _plain(value) != _plain(derived.get(name, value + "!"))
    ]


def _plain(value: str) -> str:
    """`In Review` and `in_review` are the same status."""
    return value.strip().lower().replace(" ", "_")


def _titled(parsed: ParsedDocument) -> ParsedDocument:
    try:
        return require_title(parsed)
    except MissingTitle as exc:
        raise from_docformat(exc) from exc
