"""Register rows through the API: every write is an edit of the section's Markdown, saved
as a new revision, so the table and the register can never disagree."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.documents.reader import (
    DocumentHead,
    DocumentReader,
    DocumentRef,
    LockedDocument,
    live_document_ids,
)
from signoff.documents.service.documents import DocumentService
from signoff.orgs.service import OrgAccess
from signoff.registers.codec import Row, read_rows, write_rows
from signoff.registers.errors import (
    DuplicateKey,
    InvalidRegisterItem,
    ItemNotFound,
    RegisterSectionMissing,
)
from signoff.registers.kinds import DECISIONS, REQUIREMENTS, Kind, normalize_key
from signoff.registers.models import RegisterItem
from signoff.registers.places import RegisterPlaces
from signoff.registers.reader import RegisterRow
from signoff.registers.schemas import merged, to_row, validation_errors


def item_etag(item: RegisterItem | RegisterRow) -> str:
    return etag_of("register-item", item.id, item.content_hash)


@dataclass(frozen=True)
class OrgItemFilter:
    """What the organization's questions or risks may be narrowed to."""

    status: str | None = None
    overdue: bool | None = None  # questions only
    owners: tuple[str, ...] = ()  # any of these names or emails, case-insensitively

    @property
    def scope(self) -> str:
        """The filters a cursor belongs to: a cursor of one list is refused by another."""
        return f"status={self.status}:overdue={self.overdue}:owners={','.join(self.owners)}"


@dataclass(frozen=True)
class OrgItem:
    item: RegisterItem
    document: DocumentHead


class RegisterService:
    def __init__(
        self, session: AsyncSession, documents: DocumentService, clock: Clock, cursors: CursorCodec
    ) -> None:
        self._session = session
        self._documents = documents
        self._clock = clock
        self._cursors = cursors
        self.places = RegisterPlaces(documents.template_of)

    def today(self) -> date:
        return self._clock.now().date()

    async def page(
        self, access: OrgAccess, ref: str, kind: Kind, page: PageRequest
    ) -> tuple[list[RegisterItem], str | None]:
        document = await self._documents.get(access, ref)
        stmt = select(RegisterItem).where(
            RegisterItem.document_id == document.id, RegisterItem.kind == kind.name
        )
        rows, cursor = await keyset_page(
            self._session,
            stmt,
            [RegisterItem.position],
            page,
            self._cursors,
            scope=f"register:{document.id}:{kind.name}",
        )
        return [r[0] for r in rows], cursor

    async def get(
        self, access: OrgAccess, ref: str, kind: Kind, item_id: uuid.UUID
    ) -> RegisterItem:
        document = await self._documents.get(access, ref)
        return await self._item(document, kind, item_id)

    async def create(
        self, access: OrgAccess, ref: str, kind: Kind, body: BaseModel
    ) -> RegisterItem:
        document = await self._documents.writable(access, ref)
        rows = await self._rows(document, kind)
        row = to_row(kind, body)
        if kind is DECISIONS:
            row["number"] = str(max((int(r["number"]) for r in rows), default=0) + 1)
        self._unique(kind, rows, row, skip=None)
        await self._check_links(access, kind, row)
        await self._save(access, document, kind, [*rows, row])
        return await self._at(document, kind, len(rows))

    async def update(
        self,
        access: OrgAccess,
        ref: str,
        kind: Kind,
        item_id: uuid.UUID,
        changes: dict[str, Any],
        if_match: str | None,
    ) -> RegisterItem:
        document = await self._documents.writable(access, ref)
        item = await self._item(document, kind, item_id)
        require_if_match(if_match, item_etag(item))
        try:
            typed = merged(kind, item, changes)
        except ValidationError as exc:
            raise InvalidRegisterItem(errors=validation_errors(exc.errors())) from exc
        rows = await self._rows(document, kind)
        row = to_row(kind, typed)
        if kind is DECISIONS:
            row["number"] = rows[item.position]["number"]
        self._unique(kind, rows, row, skip=item.position)
        await self._check_links(access, kind, row)
        rows[item.position] = row
        await self._save(access, document, kind, rows)
        return await self._at(document, kind, item.position)

    async def delete(
        self, access: OrgAccess, ref: str, kind: Kind, item_id: uuid.UUID, if_match: str | None
    ) -> None:
        document = await self._documents.writable(access, ref)
        item = await self._item(document, kind, item_id)
        require_if_match(if_match, item_etag(item))
        rows = await self._rows(document, kind)
        del rows[item.position]
        await self._save(access, document, kind, rows)

    async def rows(self, access: OrgAccess, ref: str, kind: Kind) -> list[Row]:
        """The register's rows as the head revision's text has them."""
        return await self._rows(await self._documents.get(access, ref), kind)

    async def replace(self, access: OrgAccess, ref: str, kind: Kind, rows: Sequence[Row]) -> None:
        """The whole register at once (an import): one new revision, or none if nothing
        changed. The rows were validated by the caller."""
        document = await self._documents.writable(access, ref)
        await self._rows(document, kind)  # the section must exist
        await self._save(access, document, kind, rows)

    async def _check_links(self, access: OrgAccess, kind: Kind, row: Row) -> None:
        """A decision superseded by another document's decision: that document must exist."""
        target = row.get("superseded_by") if kind is DECISIONS else None
        if target:
            key = target.split()[0]
            if await self._documents.find(access, key) is None:
                raise InvalidRegisterItem(
                    f"{key} does not exist in this organization.",
                    errors=[
                        {
                            "pointer": "/superseded_by",
                            "detail": "no such document",
                            "code": "unknown_document",
                        }
                    ],
                )

    async def _section(self, document: DocumentRef, kind: Kind) -> tuple[str, str]:
        """The head section (id, body) that holds the register, where the document's
        template put it."""
        key = await self.places.section_of(document, kind)
        _, sections = await self._documents.head(document)
        section = next((s for s in sections if key and s.template_number == key), None)
        if section is None:
            where = f"no section {key}" if key else f"a template ({document.template_name}) with no"
            raise RegisterSectionMissing(f"{document.key} has {where} for its {kind.name}.")
        return section.section_id, section.body

    async def _rows(self, document: DocumentRef, kind: Kind) -> list[Row]:
        _, body = await self._section(document, kind)
        return read_rows(kind, body)

    async def _save(
        self, access: OrgAccess, document: LockedDocument, kind: Kind, rows: Sequence[Row]
    ) -> None:
        section_id, body = await self._section(document, kind)
        await self._documents.rewrite_section(
            access, document, section_id, write_rows(kind, body, rows)
        )

    def _unique(self, kind: Kind, rows: Sequence[Row], row: Row, skip: int | None) -> None:
        if kind is not REQUIREMENTS:
            return
        key = normalize_key(row[kind.key])
        if any(normalize_key(r.get(kind.key, "")) == key for i, r in enumerate(rows) if i != skip):
            raise DuplicateKey(f"{row[kind.key]} is already in the register.")

    async def _item(self, document: DocumentRef, kind: Kind, item_id: uuid.UUID) -> RegisterItem:
        item = await self._session.scalar(
            select(RegisterItem).where(
                RegisterItem.id == item_id,
                RegisterItem.document_id == document.id,
                RegisterItem.kind == kind.name,
            )
        )
        if item is None:
            raise ItemNotFound()
        return item

    async def _at(self, document: DocumentRef, kind: Kind, position: int) -> RegisterItem:
        item = await self._session.scalar(
            select(RegisterItem).where(
                RegisterItem.document_id == document.id,
                RegisterItem.kind == kind.name,
                RegisterItem.position == position,
            )
        )
        assert item is not None
        return item

    async def org_page(
        self, access: OrgAccess, kind: Kind, page: PageRequest, filters: OrgItemFilter
    ) -> tuple[list[OrgItem], str | None]:
        """Questions or risks across the organization's live documents."""
        stmt: Select[RegisterItem] = select(RegisterItem).where(
            RegisterItem.org_id == access.org_id,
            RegisterItem.kind == kind.name,
            RegisterItem.document_id.in_(live_document_ids()),
        )
        if filters.status:
            stmt = stmt.where(RegisterItem.status == filters.status)
        if filters.overdue is not None:
            overdue = (RegisterItem.status == "open") & (RegisterItem.target_date < self.today())
            stmt = stmt.where(overdue if filters.overdue else ~overdue)
        if filters.owners:
            names = [name.lower() for name in filters.owners]
            stmt = stmt.where(func.lower(RegisterItem.owner).in_(names))
        keys = [RegisterItem.score, RegisterItem.id] if kind.name == "risks" else [RegisterItem.id]
        scope = f"org-register:{access.org_id}:{kind.name}:{filters.scope}"
        rows, cursor = await keyset_page(
            self._session,
            stmt,
            keys,
            page,
            self._cursors,
            scope=scope,
            descending=kind.name == "risks",
        )
        reader = DocumentReader(self._session, access.org_id)
        heads = await reader.heads(r[0].document_id for r in rows)
        return [OrgItem(r[0], heads[r[0].document_id]) for r in rows], cursor
