"""Keeping register rows in step with the document's text, in the same transaction.

Runs after every new revision (documents call it as a revision listener), for the register
sections that changed. Rows keep their ids: a row is the same row when its key (requirement
id, decision number, risk, question, term, document, metric) is unchanged, or, failing that,
when it is at the same position.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.types import new_id
from signoff.documents.reader import DocumentRef, SectionRef
from signoff.documents.service.writer import Saved
from signoff.registers.codec import Row, read_rows
from signoff.registers.events import ItemChange, RegisterItemChanged
from signoff.registers.kinds import (
    DECISIONS,
    KINDS,
    QUESTIONS,
    RISKS,
    Kind,
    level,
    normalize_key,
    parse_date,
    resolved,
    truthy,
)
from signoff.registers.models import RegisterItem
from signoff.registers.places import RegisterPlaces
from signoff.templates.service import TemplateService


def item_hash(fields: Row) -> str:
    canonical = {k: " ".join(v.split()) for k, v in fields.items() if v.strip()}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def derived(kind: Kind, fields: Row) -> dict[str, Any]:
    """The typed columns read from a row's text (None where the text does not say)."""
    if kind is QUESTIONS:
        done = resolved(fields.get("status"), fields.get("resolution"))
        return {
            "status": "resolved" if done else "open",
            "owner": fields.get("owner") or None,
            "target_date": parse_date(fields.get("target_date")),
            "blocking": truthy(fields.get("blocking")),
        }
    if kind is RISKS:
        likelihood, impact = level(fields.get("likelihood")), level(fields.get("impact"))
        return {
            "status": (fields.get("status") or "open").strip().lower()[:20],
            "owner": fields.get("owner") or None,
            "likelihood": likelihood,
            "impact": impact,
            "score": (likelihood or 0) * (impact or 0),
        }
    if kind is DECISIONS:
        status = (fields.get("status") or "proposed").strip().lower()
        known = status in {"proposed", "accepted", "rejected", "superseded"}
        return {"status": status if known else "proposed"}
    return {}


def _match(
    old: Sequence[RegisterItem], rows: Sequence[Row], kind: Kind
) -> list[RegisterItem | None]:
    """For each new row, the existing item it continues (by key, then by position)."""
    by_key: dict[str, RegisterItem] = {}
    for existing in old:
        by_key.setdefault(existing.key, existing)
    matched: list[RegisterItem | None] = []
    used: set[uuid.UUID] = set()
    for row in rows:
        found = by_key.get(normalize_key(row.get(kind.key, "")))
        if found is not None and found.id not in used:
            used.add(found.id)
        else:
            found = None
        matched.append(found)
    for position, candidate in enumerate(matched):
        if candidate is None and position < len(old) and old[position].id not in used:
            used.add(old[position].id)
            matched[position] = old[position]
    return matched


class Projector:
    def __init__(self, session: AsyncSession, events: EventRecorder, clock: Clock) -> None:
        self._session = session
        self._events = events
        self._clock = clock
        templates = TemplateService(session, events, clock)
        self._places = RegisterPlaces(lambda d: templates.resolve(d.org_id, d.template_name))

    async def __call__(self, document: DocumentRef, saved: Saved) -> None:
        """Revision listener: re-project the registers whose section changed."""
        touched = {c["section_id"] for c in saved.changes}
        first = saved.revision.number == 1
        by_template = {s.template_number: s for s in saved.sections if s.template_number}
        due: list[tuple[Kind, SectionRef | None]] = []
        for name, key in (await self._places.of(document)).items():
            kind, section = KINDS[name], by_template.get(key)
            was_touched = section is not None and section.section_id in touched
            removed = section is None and any(c["change"] == "removed" for c in saved.changes)
            if first or was_touched or removed:
                due.append((kind, section))
        # One select for every register due (none for a new document: it has no items yet),
        # not one per register: each is a round trip on every write.
        existing: dict[str, list[RegisterItem]] = {}
        if due and not first:
            for item in await self._session.scalars(
                select(RegisterItem)
                .where(
                    RegisterItem.document_id == document.id,
                    RegisterItem.kind.in_([kind.name for kind, _ in due]),
                )
                .order_by(RegisterItem.kind, RegisterItem.position)
            ):
                existing.setdefault(item.kind, []).append(item)
        for kind, held_by in due:
            await self._sync(document, kind, held_by, existing.get(kind.name, []))

    async def _sync(
        self,
        document: DocumentRef,
        kind: Kind,
        section: SectionRef | None,
        old: list[RegisterItem],
    ) -> None:
        rows = read_rows(kind, section.body) if section is not None else []
        now = self._clock.now()
        kept: set[uuid.UUID] = set()
        for position, (row, item) in enumerate(zip(rows, _match(old, rows, kind), strict=True)):
            if item is None:
                item = RegisterItem(
                    id=new_id(),  # known now: the event names it, no flush per row
                    org_id=document.org_id,
                    document_id=document.id,
                    kind=kind.name,
                    created_at=now,
                    position=position,
                )
                self._session.add(item)
                await self._apply(item, row, position, kind, now)
                await self._record(document, kind, item, "created")
            elif await self._apply(item, row, position, kind, now):
                await self._record(document, kind, item, "updated")
            kept.add(item.id)
        gone = [item for item in old if item.id not in kept]
        for item in gone:
            await self._record(document, kind, item, "deleted")
        if gone:
            await self._session.execute(
                delete(RegisterItem).where(RegisterItem.id.in_([item.id for item in gone]))
            )
        await self._session.flush()

    async def _apply(
        self, item: RegisterItem, row: Row, position: int, kind: Kind, now: datetime
    ) -> bool:
        """Copy the row into the item; True when its content changed."""
        content = item_hash(row)
        changed = getattr(item, "content_hash", None) != content
        previous_date = item.target_date
        item.position, item.key, item.fields = position, normalize_key(row.get(kind.key, "")), row
        item.content_hash, item.updated_at = content, now
        for column, value in derived(kind, row).items():
            setattr(item, column, value)
        if item.target_date != previous_date:
            item.overdue_notified_at = None  # a new date passes anew
        return changed

    async def _record(
        self, document: DocumentRef, kind: Kind, item: RegisterItem, what: ItemChange
    ) -> None:
        await self._events.emit(
            RegisterItemChanged(
                org_id=document.org_id,
                subject=f"documents/{document.key}",
                register=kind.event,
                change=what,
                document=document.key,
                item_id=item.id,
                key=item.key,
            )
        )
