"""Keeping trace links true: derived links follow their sources, and a link whose end
changed is marked suspect (once) until someone confirms it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.documents.reader import DocumentRef
from signoff.documents.service.writer import Saved
from signoff.traceability import ends as ends_module
from signoff.traceability.ends import End, Ends
from signoff.traceability.events import TraceLinkSuspected
from signoff.traceability.models import TraceLink

Pair = tuple[str, str, str, str]  # source kind, source ref, target kind, target ref


def derived_pairs(ends: Ends) -> dict[str, set[Pair]]:
    """The links the document's own material implies, by origin."""
    table: set[Pair] = set()
    for req in ends.requirements.values():
        for number in req.detail["design_sections"]:  # type: ignore[attr-defined]
            section = ends.numbers.get(str(number))
            if section is not None:
                table.add(("requirement", req.ref, "section", section))
    spec: set[Pair] = set()
    for op in ends.operations.values():
        for rid in op.detail.get("requirements") or []:  # type: ignore[attr-defined]
            owner = ends.requirement_by_id(str(rid))
            if owner is not None:
                spec.add(("requirement", owner.ref, "operation", op.ref))
    report: set[Pair] = set()
    for test in ends.tests.values():
        for rid in test.detail.get("requirements") or []:  # type: ignore[attr-defined]
            proved = ends.requirement_by_id(str(rid))
            if proved is not None:
                report.add(("requirement", proved.ref, "test", test.ref))
    return {"table": table, "spec": spec, "report": report}


def _why(end: End | None, kind: str, ref: str) -> str:
    if end is None:
        return f"the {kind} {ref} no longer exists"
    if kind == "test" and end.detail.get("outcome") != "passed":
        return f"the test {end.label} is {end.detail.get('outcome')}"
    return f"the {kind} {end.label} changed"


class OnLink(TypedDict):
    org_id: uuid.UUID
    subject: str
    document: str
    link_id: uuid.UUID
    source: str
    target: str


def on_link(document: DocumentRef, link: TraceLink) -> OnLink:
    """Where a trace link's event belongs, spread into its class: ``**on_link(doc, link)``."""
    return {
        "org_id": document.org_id,
        "subject": f"documents/{document.key}",
        "document": document.key,
        "link_id": link.id,
        "source": f"{link.source_kind}:{link.source_ref}",
        "target": f"{link.target_kind}:{link.target_ref}",
    }


class LinkKeeper:
    def __init__(self, session: AsyncSession, events: EventRecorder, clock: Clock) -> None:
        self._session = session
        self._events = events
        self._clock = clock

    async def __call__(self, document: DocumentRef, saved: Saved) -> None:
        """Revision listener (after the registers are projected)."""
        await self.refresh(
            document, await ends_module.load(self._session, document, saved.sections)
        )

    async def refresh(self, document: DocumentRef, ends: Ends) -> None:
        links = list(
            await self._session.scalars(
                select(TraceLink).where(TraceLink.document_id == document.id)
            )
        )
        now = self._clock.now()
        await self._sync_derived(document, ends, links, now)
        await self._reconcile(
            document, ends, [link for link in links if link in self._session], now
        )

    async def _sync_derived(
        self, document: DocumentRef, ends: Ends, links: list[TraceLink], now: datetime
    ) -> None:
        existing = {(x.source_kind, x.source_ref, x.target_kind, x.target_ref): x for x in links}
        for origin, wanted in derived_pairs(ends).items():
            for pair in wanted - existing.keys():
                link = self.make(document, pair, ends, origin, now, actor=None)
                self._session.add(link)
                links.append(link)
                existing[pair] = link
            stale = [
                x.id
                for x in links
                if x.origin == origin
                and (x.source_kind, x.source_ref, x.target_kind, x.target_ref) not in wanted
            ]
            if stale:
                await self._session.execute(delete(TraceLink).where(TraceLink.id.in_(stale)))
                for link in [x for x in links if x.id in stale]:
                    self._session.expunge(link)
        await self._session.flush()

    def make(
        self,
        document: DocumentRef,
        pair: Pair,
        ends: Ends,
        origin: str,
        now: datetime,
        actor: str | None,
    ) -> TraceLink:
        source, target = ends.get(pair[0], pair[1]), ends.get(pair[2], pair[3])
        return TraceLink(
            org_id=document.org_id,
            document_id=document.id,
            source_kind=pair[0],
            source_ref=pair[1],
            target_kind=pair[2],
            target_ref=pair[3],
            origin=origin,
            source_hash=source.hash if source else "",
            target_hash=target.hash if target else "",
            created_at=now,
            created_by=actor,
            confirmed_at=now,
            confirmed_by=actor,
        )

    async def _reconcile(
        self, document: DocumentRef, ends: Ends, links: Iterable[TraceLink], now: datetime
    ) -> None:
        for link in links:
            source = ends.get(link.source_kind, link.source_ref)
            target = ends.get(link.target_kind, link.target_ref)
            reasons = []
            if source is None or source.hash != link.source_hash:
                reasons.append(_why(source, link.source_kind, link.source_ref))
            if target is None or target.hash != link.target_hash:
                reasons.append(_why(target, link.target_kind, link.target_ref))
            if reasons and not link.suspect:
                link.suspect, link.suspect_since = True, now
                link.suspect_reason = reason = "; ".join(reasons)[:300]
                await self._events.emit(
                    TraceLinkSuspected(**on_link(document, link), reason=reason)
                )
        await self._session.flush()
