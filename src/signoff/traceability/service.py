"""Attaching OpenAPI documents and test reports, and managing trace links by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.documents.reader import DocumentRef
from signoff.documents.service.documents import DocumentService
from signoff.exchange import reqif
from signoff.orgs.service import OrgAccess
from signoff.traceability import ends as ends_module
from signoff.traceability import matrix as matrices
from signoff.traceability.ends import ALLOWED, End, Ends
from signoff.traceability.errors import (
    InvalidReport,
    InvalidSpec,
    LinkEndMissing,
    LinkExists,
    LinkKindNotAllowed,
    LinkNotFound,
)
from signoff.traceability.events import (
    ApiSpecAttached,
    TestReportAttached,
    TraceLinkChanged,
    TraceLinkConfirmed,
)
from signoff.traceability.formats import (
    OperationDiff,
    SpecError,
    TestReportError,
    diff_operations,
    parse_junit,
    parse_openapi,
)
from signoff.traceability.links import LinkKeeper, on_link
from signoff.traceability.matrix import Matrix
from signoff.traceability.models import ApiOperation, ApiSpec, TestResult, TestRun, TraceLink
from signoff.traceability.requirements import report_requirements, spec_requirements


@dataclass(frozen=True)
class SpecAttached:
    spec: ApiSpec
    diff: OperationDiff
    suspected: int


@dataclass(frozen=True)
class RunAttached:
    run: TestRun
    outcomes: dict[str, int]
    new_tests: list[str]
    missing_tests: list[str]
    suspected: int


class TraceService:
    def __init__(
        self,
        session: AsyncSession,
        documents: DocumentService,
        events: EventRecorder,
        clock: Clock,
        cursors: CursorCodec,
    ) -> None:
        self._session = session
        self._documents = documents
        self._events = events
        self._clock = clock
        self._cursors = cursors
        self._keeper = LinkKeeper(session, events, clock)

    async def ends(self, document: DocumentRef) -> Ends:
        _, sections = await self._documents.head(document)
        return await ends_module.load(self._session, document, sections)

    async def matrix(self, access: OrgAccess, ref: str) -> tuple[DocumentRef, Matrix]:
        """The document's requirements against sections, operations and tests (the API's
        traceability route and the traceability page both show this)."""
        document = await self._documents.get(access, ref)
        _, sections = await self._documents.head(document)
        ends = await ends_module.load(self._session, document, sections)
        links = list(
            await self._session.scalars(
                select(TraceLink).where(TraceLink.document_id == document.id)
            )
        )
        endpoints = next((s.body for s in sections if s.template_number == "4.3"), "")
        return document, matrices.build(ends, links, endpoints)

    async def reqif_trace(
        self, access: OrgAccess, ref: str
    ) -> tuple[list[reqif.Endpoint], dict[str, tuple[list[str], list[str]]]]:
        """What a ReqIF export says of each requirement's trace: the operations and tests
        it is linked to (by any origin: table, spec, report, manual), by requirement id."""
        _, matrix = await self.matrix(access, ref)
        endpoints: dict[tuple[str, str], reqif.Endpoint] = {}
        traced: dict[str, tuple[list[str], list[str]]] = {}
        for row in matrix.rows:
            for end in (*row.operations, *row.tests):
                endpoints.setdefault((end.kind, end.ref), _endpoint(end))
            traced[row.requirement.label] = (
                [e.ref for e in row.operations],
                [e.ref for e in row.tests],
            )
        return list(endpoints.values()), traced

    async def _suspects(self, document: DocumentRef) -> int:
        count = await self._session.scalar(
            select(func.count()).where(
                TraceLink.document_id == document.id, TraceLink.suspect.is_(True)
            )
        )
        return int(count or 0)

    async def attach_spec(
        self, access: OrgAccess, ref: str, data: bytes, content_type: str | None
    ) -> SpecAttached:
        document = await self._documents.writable(access, ref)
        try:
            spec = parse_openapi(data, content_type=content_type)
        except SpecError as exc:
            raise InvalidSpec.of(exc) from exc
        before = await self.ends(document)
        previous = parse_openapi(before.spec.raw.encode()) if before.spec else None
        number = (before.spec.number if before.spec else 0) + 1
        row = ApiSpec(
            org_id=document.org_id,
            document_id=document.id,
            number=number,
            title=spec.title,
            api_version=spec.version,
            openapi=spec.openapi_version,
            raw=data.decode("utf-8", "replace"),
            created_at=self._clock.now(),
            created_by=access.principal.key,
        )
        self._session.add(row)
        await self._session.flush()
        linked = spec_requirements(data, content_type, spec)
        self._session.add_all(
            ApiOperation(
                spec_id=row.id,
                operation_id=op.operation_id,
                method=op.method,
                path=op.path,
                summary=op.summary or "",
                content_hash=op.content_hash,
                requirements=linked.get(op.operation_id, []),
            )
            for op in spec.operations
        )
        await self._session.flush()
        suspects = await self._suspects(document)
        await self._keeper.refresh(document, await self.ends(document))
        diff = (
            diff_operations(previous, spec)
            if previous
            else OperationDiff(spec.operations, (), (), ())
        )
        await self._events.emit(
            ApiSpecAttached(
                org_id=document.org_id,
                subject=f"documents/{document.key}",
                document=document.key,
                number=number,
                operations=len(spec.operations),
                added=len(diff.added),
                removed=len(diff.removed),
                changed=len(diff.changed),
            )
        )
        return SpecAttached(row, diff, await self._suspects(document) - suspects)

    async def attach_tests(self, access: OrgAccess, ref: str, data: bytes) -> RunAttached:
        document = await self._documents.writable(access, ref)
        try:
            report = parse_junit(data)
        except TestReportError as exc:
            raise InvalidReport.of(exc) from exc
        before = await self.ends(document)
        number = (before.run.number if before.run else 0) + 1
        run = TestRun(
            org_id=document.org_id,
            document_id=document.id,
            number=number,
            name=report.name,
            flavour=report.flavour,
            created_at=self._clock.now(),
            created_by=access.principal.key,
        )
        self._session.add(run)
        await self._session.flush()
        proves = report_requirements(data, report)
        self._session.add_all(
            TestResult(
                run_id=run.id,
                test_id=case.test_id,
                name=case.name,
                outcome=case.outcome,
                time_s=case.time_s,
                message=case.message,
                requirements=proves.get(case.test_id, []),
            )
            for case in report.cases
        )
        await self._session.flush()
        suspects = await self._suspects(document)
        await self._keeper.refresh(document, await self.ends(document))
        outcomes: dict[str, int] = {}
        for case in report.cases:
            outcomes[case.outcome] = outcomes.get(case.outcome, 0) + 1
        ids = {c.test_id for c in report.cases}
        await self._events.emit(
            TestReportAttached(
                org_id=document.org_id,
                subject=f"documents/{document.key}",
                document=document.key,
                number=number,
                outcomes=outcomes,
            )
        )
        return RunAttached(
            run,
            outcomes,
            sorted(ids - before.tests.keys()),
            sorted(before.tests.keys() - ids),
            await self._suspects(document) - suspects,
        )

    async def links(
        self, access: OrgAccess, ref: str, page: PageRequest, suspect: bool | None
    ) -> tuple[DocumentRef, list[TraceLink], str | None]:
        document = await self._documents.get(access, ref)
        stmt = select(TraceLink).where(TraceLink.document_id == document.id)
        if suspect is not None:
            stmt = stmt.where(TraceLink.suspect.is_(suspect))
        rows, cursor = await keyset_page(
            self._session,
            stmt,
            [TraceLink.id],
            page,
            self._cursors,
            scope=f"links:{document.id}:{suspect}",
        )
        return document, [r[0] for r in rows], cursor

    async def link(
        self,
        access: OrgAccess,
        ref: str,
        source_kind: str,
        source_ref: str,
        target_kind: str,
        target_ref: str,
    ) -> TraceLink:
        if (source_kind, target_kind) not in ALLOWED:
            raise LinkKindNotAllowed(f"{source_kind} → {target_kind} is not a trace link.")
        document = await self._documents.writable(access, ref)
        ends = await self.ends(document)
        source_ref = self._resolve(ends, source_kind, source_ref)
        target_ref = self._resolve(ends, target_kind, target_ref)
        link = self._keeper.make(
            document,
            (source_kind, source_ref, target_kind, target_ref),
            ends,
            "manual",
            self._clock.now(),
            access.principal.key,
        )
        self._session.add(link)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            raise LinkExists() from exc
        await self._events.emit(TraceLinkChanged(**on_link(document, link), change="created"))
        return link

    def _resolve(self, ends: Ends, kind: str, ref: str) -> str:
        """A link end named the way people name it: a requirement by its id (`REQ-001`) or
        row id, a section by number or id, an operation by id, a test by id."""
        if kind == "requirement":
            found = ends.get(kind, ref) or ends.requirement_by_id(ref)
        elif kind == "section":
            found = ends.get(kind, ends.numbers.get(ref.lstrip("§"), ref))
        else:
            found = ends.get(kind, ref)
        if found is None:
            raise LinkEndMissing(f"No {kind} '{ref}' in this document.")
        return found.ref

    async def get(
        self, access: OrgAccess, ref: str, link_id: uuid.UUID
    ) -> tuple[DocumentRef, TraceLink]:
        document = await self._documents.get(access, ref)
        link = await self._session.scalar(
            select(TraceLink).where(TraceLink.id == link_id, TraceLink.document_id == document.id)
        )
        if link is None:
            raise LinkNotFound()
        return document, link

    async def unlink(self, access: OrgAccess, ref: str, link_id: uuid.UUID) -> None:
        await self._documents.writable(access, ref)
        document, link = await self.get(access, ref, link_id)
        await self._events.emit(TraceLinkChanged(**on_link(document, link), change="deleted"))
        await self._session.delete(link)
        await self._session.flush()

    async def confirm(
        self, access: OrgAccess, ref: str, link_id: uuid.UUID, note: str | None = None
    ) -> TraceLink:
        """Someone looked at both ends and says the link still holds (and, with a note, why)."""
        document = await self._documents.writable(access, ref)
        _, link = await self.get(access, ref, link_id)
        ends = await self.ends(document)
        source = ends.get(link.source_kind, link.source_ref)
        target = ends.get(link.target_kind, link.target_ref)
        if source is None or target is None:
            raise LinkEndMissing("An end of this link no longer exists: delete the link instead.")
        now = self._clock.now()
        link.source_hash, link.target_hash = source.hash, target.hash
        link.suspect, link.suspect_reason, link.suspect_since = False, None, None
        link.confirmed_at, link.confirmed_by = now, access.principal.key
        link.confirmation_note = note or None
        await self._session.flush()
        confirmed = TraceLinkConfirmed(**on_link(document, link), note=link.confirmation_note)
        await self._events.emit(confirmed)
        return link


def _endpoint(end: End) -> reqif.Endpoint:
    if end.kind == "operation":
        name = f"{end.detail.get('method', '')} {end.detail.get('path', '')}".strip()
        return reqif.Endpoint("operation", end.ref, name, str(end.detail.get("summary") or ""))
    return reqif.Endpoint("test", end.ref, end.label, str(end.detail.get("outcome") or ""))
