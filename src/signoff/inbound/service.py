"""Inbound sources, and applying the requirement events they send.

An event is accepted only with a valid Standard Webhooks signature by one of the
organization's sources, within five minutes of its timestamp; anything else is a 401 and
leaves no trace. An accepted event is applied in one transaction with its inbox entry: the
same event id from the same source is then a no-op (`duplicate`), and an event older than
the version already applied is recorded and ignored (`stale`). Applying writes the §1.3
register through the registers service, so the document gets a revision, the table and the
rows stay one truth, and a reworded requirement makes its trace links suspect.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.core.permissions import Role
from signoff.core.principal import Principal
from signoff.core.security import SecretBox, same_text
from signoff.documents.errors import DocumentNotFound
from signoff.documents.reader import DocumentReader, DocumentRef
from signoff.documents.service.documents import DocumentService
from signoff.inbound.errors import InvalidInboundEvent, InvalidSignature, SourceNotFound
from signoff.inbound.events import RequirementApplied, SourceChanged
from signoff.inbound.models import InboundRequirement, InboundSource, InboxEntry
from signoff.inbound.schemas import RequirementEvent
from signoff.orgs.reader import organization_by_slug
from signoff.orgs.service import OrgAccess
from signoff.registers.kinds import REQUIREMENTS, normalize_key
from signoff.registers.reader import RegisterReader, RegisterRow
from signoff.registers.schemas import RequirementIn, validation_errors
from signoff.registers.service import RegisterService, item_etag
from signoff.webhooks.signing import encode_secret, new_secret, signature

TOLERANCE_S = 300  # a signed event older or newer than this is refused (replays)


def inbound_box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key, "inbound-secrets")


class InboundSources:
    def __init__(
        self, session: AsyncSession, box: SecretBox, events: EventRecorder, clock: Clock
    ) -> None:
        self._session = session
        self._box = box
        self._events = events
        self._clock = clock

    async def create(self, access: OrgAccess, name: str) -> tuple[InboundSource, str]:
        raw = new_secret()
        source = InboundSource(
            org_id=access.org_id,
            name=name,
            secret=self._box.seal(raw),
            created_at=self._clock.now(),
            created_by=access.principal.key,
        )
        self._session.add(source)
        await self._session.flush()
        await self._record(access, "created", source)
        return source, encode_secret(raw)

    async def page(self, access: OrgAccess, page: PageRequest) -> list[InboundSource]:
        query = (
            select(InboundSource)
            .where(InboundSource.org_id == access.org_id, InboundSource.revoked_at.is_(None))
            .order_by(InboundSource.created_at)
            .limit(page.limit)
        )
        return list(await self._session.scalars(query))

    async def revoke(self, access: OrgAccess, source_id: uuid.UUID) -> None:
        source = await self._session.get(InboundSource, source_id)
        if source is None or source.org_id != access.org_id or source.revoked_at is not None:
            raise SourceNotFound()
        source.revoked_at = self._clock.now()
        await self._record(access, "revoked", source)

    async def _record(
        self, access: OrgAccess, change: Literal["created", "revoked"], source: InboundSource
    ) -> None:
        await self._events.emit(
            SourceChanged(
                org_id=access.org_id,
                subject=f"inbound/{source.id}",
                change=change,
                source_id=source.id,
                name=source.name,
            )
        )


@dataclass(frozen=True)
class Applied:
    outcome: str  # applied | duplicate | stale
    event_id: str
    document: str
    requirement_id: str
    revision: int | None


class InboundReceiver:
    def __init__(
        self,
        session: AsyncSession,
        box: SecretBox,
        documents: DocumentService,
        registers: RegisterService,
        events: EventRecorder,
        clock: Clock,
    ) -> None:
        self._session = session
        self._box = box
        self._documents = documents
        self._registers = registers
        self._events = events
        self._clock = clock

    async def receive(self, org_slug: str, headers: Mapping[str, str], body: bytes) -> Applied:
        access, source = await self._verify(org_slug, headers, body)
        event = _parse(body, headers["webhook-id"])
        data = event.data
        entry = await self._session.get(InboxEntry, (source.id, event.id))
        if entry is not None:
            return Applied("duplicate", event.id, data.document, data.requirement_id, None)
        state = await self._session.get(InboundRequirement, (access.org_id, data.external_id))
        order = (event.version if event.version is not None else -1, event.occurred_at)
        if state is not None and order <= (state.version, state.occurred_at):
            await self._inbox(source, event, "stale")
            return Applied("stale", event.id, data.document, data.requirement_id, None)
        document = await self._document(access, data.document)
        if state is not None and state.document_id not in (None, document.id) and not state.retired:
            await self._retire_from(access, state)  # the requirement moved to another document
        previous = state.requirement_id if state is not None and not state.retired else None
        await self._apply(access, document, event, previous)
        if state is None:
            state = InboundRequirement(org_id=access.org_id, external_id=data.external_id)
            self._session.add(state)
        state.document_id, state.requirement_id = document.id, data.requirement_id
        state.version, state.occurred_at = order
        state.retired = event.type == "requirement.retired"
        state.updated_at = self._clock.now()
        await self._inbox(source, event, "applied")
        await self._events.emit(
            RequirementApplied(
                org_id=access.org_id,
                subject=f"documents/{document.key}",
                source_id=source.id,
                event_id=event.id,
                type_=event.type,
                external_id=data.external_id,
                document=document.key,
                requirement_id=data.requirement_id,
            )
        )
        return Applied(
            "applied", event.id, document.key, data.requirement_id, document.head_revision
        )

    async def _verify(
        self, org_slug: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[OrgAccess, InboundSource]:
        """The source that signed the event, and what it may do in its organization."""
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signatures = headers.get("webhook-signature", "").split()
        if not msg_id or not stamp.isdigit() or not signatures:
            raise InvalidSignature(
                "webhook-id, webhook-timestamp and webhook-signature are required."
            )
        if abs(self._clock.now().timestamp() - int(stamp)) > TOLERANCE_S:
            raise InvalidSignature("webhook-timestamp is more than five minutes away from now.")
        org = await organization_by_slug(self._session, org_slug)
        sources: list[InboundSource] = []
        if org is not None:
            query = select(InboundSource).where(
                InboundSource.org_id == org.id, InboundSource.revoked_at.is_(None)
            )
            sources = list(await self._session.scalars(query))
        for source in sources:
            try:
                secret = self._box.open(source.secret)
            except InvalidTag:
                continue  # sealed under another server key: it cannot vouch for anything
            expected = signature(secret, msg_id, int(stamp), body)
            if any(_same(expected, candidate) for candidate in signatures):
                assert org is not None
                principal = Principal(
                    kind="inbound",
                    id=source.id,
                    scopes=frozenset({"documents:write"}),
                    org_id=org.id,
                )
                return OrgAccess(org, principal, Role.MEMBER), source
        # Unknown organization, no source, wrong secret: the same answer, learned nothing.
        raise InvalidSignature()

    async def _document(self, access: OrgAccess, ref: str) -> DocumentRef:
        try:
            return await self._documents.get(access, ref)
        except DocumentNotFound as exc:
            raise InvalidInboundEvent(
                f"No document {ref} in this organization.",
                errors=[{"pointer": "/data/document", "detail": "no such document"}],
            ) from exc

    async def _row(self, document: DocumentRef, requirement_id: str) -> RegisterRow | None:
        reader = RegisterReader(self._session, document.org_id)
        return await reader.by_key(document.id, REQUIREMENTS.name, normalize_key(requirement_id))

    async def _apply(
        self,
        access: OrgAccess,
        document: DocumentRef,
        event: RequirementEvent,
        previous: str | None,
    ) -> None:
        data = event.data
        row = await self._row(document, previous or data.requirement_id)
        if event.type == "requirement.retired":
            if row is not None:
                await self._registers.delete(
                    access, document.key, REQUIREMENTS, row.id, item_etag(row)
                )
            return
        try:
            if row is None:
                if data.summary is None:
                    raise InvalidInboundEvent(
                        "A new requirement needs a summary.",
                        errors=[{"pointer": "/data/summary", "detail": "required"}],
                    )
                body = RequirementIn(
                    requirement_id=data.requirement_id,
                    summary=data.summary,
                    design_sections=data.design_sections or [],
                )
                await self._registers.create(access, document.key, REQUIREMENTS, body)
                return
            changes: dict[str, object] = {"requirement_id": data.requirement_id}
            if data.summary is not None:
                changes["summary"] = data.summary
            if data.design_sections is not None:
                changes["design_sections"] = data.design_sections
            await self._registers.update(
                access, document.key, REQUIREMENTS, row.id, changes, item_etag(row)
            )
        except ValidationError as exc:
            raise InvalidInboundEvent(errors=validation_errors(exc.errors())) from exc

    async def _retire_from(self, access: OrgAccess, state: InboundRequirement) -> None:
        if state.document_id is None:
            return
        old = await DocumentReader(self._session, access.org_id).head(state.document_id)
        if old is None:
            return
        row = await self._row(old, state.requirement_id)
        if row is not None:
            await self._registers.delete(access, old.key, REQUIREMENTS, row.id, item_etag(row))

    async def _inbox(self, source: InboundSource, event: RequirementEvent, outcome: str) -> None:
        self._session.add(
            InboxEntry(
                source_id=source.id,
                event_id=event.id,
                type=event.type,
                external_id=event.data.external_id,
                outcome=outcome,
                received_at=self._clock.now(),
            )
        )
        await self._session.flush()


def _parse(body: bytes, msg_id: str) -> RequirementEvent:
    try:
        event = RequirementEvent.model_validate(json.loads(body))
    except (ValueError, UnicodeDecodeError) as exc:
        errors = validation_errors(exc.errors()) if isinstance(exc, ValidationError) else None
        raise InvalidInboundEvent(
            "The body is not a requirement event.", errors=errors or [{"detail": str(exc)[:200]}]
        ) from exc
    if event.id != msg_id:
        raise InvalidInboundEvent(
            "The event's id must be its webhook-id.",
            errors=[{"pointer": "/id", "detail": "differs from the webhook-id header"}],
        )
    return event


def _same(a: str, b: str) -> bool:
    return same_text(a, b)
